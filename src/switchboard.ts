import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import { createSlackApp, type SlackIdentity } from './app.ts';
import type { Config } from './config.ts';
import { allows } from './domain/roles.ts';
import { SwitchboardError } from './errors.ts';
import { crmSyncRoute } from './http/crm-sync-route.ts';
import { metaWebhookRoute } from './http/meta-webhook-route.ts';
import { DigestScheduler } from './jobs/digest-scheduler.ts';
import { Poller } from './jobs/poller.ts';
import { type Log, toBoltLogger } from './log.ts';
import { BlueskyPlatform } from './platforms/bluesky/bluesky-platform.ts';
import { MastodonPlatform } from './platforms/mastodon/mastodon-platform.ts';
import { MetaPlatform } from './platforms/meta/meta-platform.ts';
import type { Platform, PlatformId } from './platforms/platform.ts';
import { PlatformError } from './platforms/platform.ts';
import { XPlatform } from './platforms/x/x-platform.ts';
import { AutoReplies } from './services/auto-replies.ts';
import { Conversations, DirectMessageIngest } from './services/conversations.ts';
import { Crm } from './services/crm.ts';
import { CustomerSync } from './services/customer-sync.ts';
import { DigestService } from './services/digest.ts';
import { ErasureService } from './services/erasure.ts';
import { Health, platformComponent } from './services/health.ts';
import { Inbox } from './services/inbox.ts';
import { MentionIngest } from './services/ingest.ts';
import { MentionActions } from './services/mention-actions.ts';
import { MentionDelivery } from './services/mention-delivery.ts';
import { MentionMessages } from './services/mention-messages.ts';
import { Permissions } from './services/permissions.ts';
import { ReplyService } from './services/replies.ts';
import type { SessionRepository } from './services/repositories.ts';
import { backoffMs, sleep } from './services/sleep.ts';
import { ChatCallError } from './services/team-chat.ts';
import { TriageService } from './services/triage.ts';
import { type PushedIntake, WebhookIntake } from './services/webhook-intake.ts';
import { ChannelPacer } from './slack/channel-pacer.ts';
import { registerListeners } from './slack/listeners/index.ts';
import { SlackGateway } from './slack/slack-gateway.ts';
import { SlackTeamChat } from './slack/slack-team-chat.ts';
import type { FileStore } from './store/files/file-store.ts';
import { openConfiguredStore } from './store/open-store.ts';
import { PiiCipher } from './store/pii-cipher.ts';

/** Internal pacing knobs: production defaults, tightened by tests so they do not wait real minutes. */
export interface Tuning {
  slackPostsPerSecond: number;
  slackBurst: number;
  retryBaseMs: number;
  retryMaxMs: number;
  xPageSize?: number;
  mastodonPageSize?: number;
  blueskyPageSize?: number;
  /** How often the digest scheduler checks for a missed run. */
  digestCheckMs: number;
  /** How often Facebook and Instagram are read to catch up on what a lost webhook missed. */
  metaCatchUpMs: number;
  /** The clock the digest scheduler reads; tests move it instead of waiting for 09:00. */
  now: () => Date;
}

export const DEFAULT_TUNING: Tuning = {
  slackPostsPerSecond: 1,
  slackBurst: 3,
  retryBaseMs: 2_000,
  retryMaxMs: 5 * 60_000,
  digestCheckMs: 5 * 60_000,
  metaCatchUpMs: 5 * 60_000,
  now: () => new Date(),
};

/** A start-up failure that needs a person; main prints it and exits non-zero. */
/** Start-up cannot go on until someone acts (a refused token, a platform refusing the credentials). */
export class StartupError extends SwitchboardError {
  constructor(message: string) {
    super('startup_failed', message, 'needs_person');
  }
}

export interface RunningSwitchboard {
  /** The HTTP port actually bound (PORT=0 picks a free one). */
  port: number;
  health: Health;
  pollNow(): void;
  stop(): Promise<void>;
}

/**
 * Wires Switchboard together and starts it: store (lock and file checks first, before anything
 * talks to Slack or X), the Bolt app, and one poller per configured platform.
 */
export async function startSwitchboard(config: Config, log: Log, tuning: Partial<Tuning> = {}): Promise<RunningSwitchboard> {
  const tune = { ...DEFAULT_TUNING, ...tuning };
  const cipher = config.piiEncryptionKey ? PiiCipher.fromKeys(config.piiEncryptionKey, config.piiEncryptionOldKeys) : undefined;
  const { store, files, leadership, replica, description } = await openConfiguredStore(config, { cipher });
  log.info(`store: ${description}`);
  if (files) warnAboutUnsealed(files, log);
  const shutdown = new AbortController();
  const health = new Health();
  const pollers: Poller[] = [];
  let server: Server | undefined;
  let app: ReturnType<typeof createSlackApp> | undefined;
  let replies: ReplyService | undefined;
  let autoReplies: AutoReplies | undefined;
  let delivery: MentionDelivery | undefined;
  let digestScheduler: DigestScheduler | undefined;
  let webhooks: WebhookIntake | undefined;
  let homeInbox: Inbox | undefined;

  const stop = async () => {
    shutdown.abort();
    homeInbox?.stop();
    await webhooks?.stop();
    await Promise.all(pollers.map((poller) => poller.stop()));
    await delivery?.stop();
    await autoReplies?.stop();
    await replies?.stop();
    await digestScheduler?.stop();
    await app?.stop().catch((error: unknown) => log.warn('Slack app did not stop cleanly', { error }));
    // Duties first: the other replicas take over polling and the digest at once.
    await leadership.close();
    await store.close();
  };

  try {
    const client = new WebClient(config.slack.botToken, {
      slackApiUrl: config.slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 10_000,
      logger: toBoltLogger(log.child('slack'), config.logLevel),
    });
    const slack = new SlackGateway(client);
    health.set('slack', 'starting');
    const identity = connectToSlack(slack, health, log, tune, shutdown.signal);

    // Filled once each platform has connected; services hold the map, not a copy.
    const platforms = new Map<PlatformId, Platform>();
    // /healthz: what this replica does. Every replica answers Slack and works the outbox; polling
    // (each platform account) and the digest belong to whichever replica holds the duty.
    health.reportRoles(() => [
      ...leadership
        .held()
        .flatMap((duty) =>
          duty === 'ingest'
            ? [...platforms.values()].flatMap((platform) => [
                `poller:${platform.id}`,
                ...(platform.directMessages && config.slack.dmChannel ? [`poller:${platform.id}:dms`] : []),
              ])
            : [duty],
        ),
      'outbox',
    ]);
    const pacer = new ChannelPacer({ perSecond: tune.slackPostsPerSecond, burst: tune.slackBurst });
    const chat = new SlackTeamChat(slack, async () => (await identity).workspaceUrl, pacer);
    const permissions = new Permissions(config.roles, slack, store.audit);
    void permissions.warm();
    const mentionMessages = new MentionMessages(store, chat, log.child('messages'));
    const conversations = new Conversations(store, platforms, chat, log.child('conversations'));
    replies = new ReplyService(store, platforms, chat, mentionMessages, log.child('replies'), {
      conversations,
      undoSeconds: config.replyUndoSeconds,
      retryDelayMs: tune.retryBaseMs,
      replica,
    });
    const triage = await TriageService.start(store, chat, mentionMessages, config.slack.channels, log.child('triage'));
    const rules = new AutoReplies(
      store,
      platforms,
      replies,
      mentionMessages,
      chat,
      triage.classifier,
      log.child('auto-replies'),
      { ...config.autoReplies, timeZone: config.digest.timezone },
      conversations,
    );
    autoReplies = rules;
    const actions = new MentionActions(store, platforms, mentionMessages, log.child('actions'), undefined, (key, user, what) =>
      rules.personActed(key, user, what),
    );
    const digests = new DigestService(store, chat, health, log.child('digest'), {
      channel: config.slack.channels.digest,
      timeZone: config.digest.timezone,
      responseTargetMinutes: config.digest.responseTargetMinutes,
    });
    const inbox = new Inbox(store, conversations, chat, log.child('inbox'), {
      days: 14,
      timeZone: config.digest.timezone,
      canSeePersonalData: async (userId) => allows(await permissions.roleOf(userId), 'see_personal_data'),
    });
    homeInbox = inbox;
    // The last 14 days read into the inbox's index in the background: the first Home tab opened need not wait for it.
    void inbox.load().catch((error: unknown) => log.warn('the inbox could not read its lists yet; it tries again when opened', { error }));
    mentionMessages.watch((record) => inbox.noteMention(record));
    conversations.watch((conversation) => inbox.noteConversation(conversation));
    const crm = new Crm(store);
    const erasure = new ErasureService(store, replies, chat, digests, log.child('erasure'));
    // A merge or an erasure a crash cut short is finished before anything reads the store.
    const customerSync = new CustomerSync(store);
    const finished = (await crm.finishInterrupted()) + (await erasure.finishInterrupted()) + (await customerSync.finishInterrupted());
    if (finished) log.info(`finished ${finished} merge(s) or erasure(s) that a stop had cut short`);

    // What networks push (Meta) is taken in through the same intake as their reads, filled in as each connects.
    const intakes = new Map<PlatformId, PushedIntake>();
    const intake = new WebhookIntake(
      store,
      platforms,
      (id) => intakes.get(id),
      mentionMessages,
      leadership,
      health,
      log.child('webhooks'),
      {
        networks: config.meta ? (config.meta.instagramAccountId ? ['facebook', 'instagram'] : ['facebook']) : [],
        retryBaseMs: tune.retryBaseMs,
        retryMaxMs: tune.retryMaxMs,
      },
    );
    webhooks = intake;
    const routes = [
      ...(config.crmSyncSecret ? [crmSyncRoute({ secret: config.crmSyncSecret, sync: customerSync, log: log.child('crm-sync') })] : []),
      ...(config.meta
        ? [
            metaWebhookRoute({
              appSecret: config.meta.appSecret,
              verifyToken: config.meta.verifyToken,
              receive: (body) => intake.receive(body),
              log: log.child('meta-webhook'),
            }),
          ]
        : []),
    ];
    app = createSlackApp({ config, log, health, identity, routes });
    registerListeners(app, {
      slack,
      replies,
      triage,
      actions,
      conversations,
      inbox,
      autoReplies: rules,
      businessHours: config.autoReplies.businessHours,
      crm,
      erasure,
      mentionMessages,
      permissions,
      platforms,
      identity,
      undoSeconds: config.replyUndoSeconds,
      digests,
      digestTimeZone: config.digest.timezone,
      now: tune.now,
      log: log.child('listeners'),
    });
    const started = await app.start(config.port);
    server = isServer(started) ? started : undefined;
    const port = server ? (server.address() as AddressInfo).port : config.port;
    log.info(`listening on port ${port} (${config.slack.appToken ? 'Socket Mode' : 'HTTP mode: POST /slack/events'}, GET /healthz)`);

    await identity;
    digestScheduler = new DigestScheduler(digests, store.digests, log.child('digest'), {
      cron: config.digest.cron,
      timeZone: config.digest.timezone,
      now: tune.now,
      checkEveryMs: tune.digestCheckMs,
      leadership,
    });
    await digestScheduler.start();

    // One queue to Slack for every platform: channels are shared, and so is their pace.
    const mentionDelivery = new MentionDelivery(store, chat, health, log.child('delivery'), {
      retryBaseMs: tune.retryBaseMs,
      retryMaxMs: tune.retryMaxMs,
      leadership,
      onPosted: async (records) => {
        inbox.noteMentions(records);
        await mentionMessages.redrawChangedWhilePosting(records);
        await rules.considerMentions(records);
      },
      surges: {
        settings: config.surges,
        perSecond: tune.slackPostsPerSecond,
        noticeChannel: config.slack.channels.questions,
        notifyGroup: config.surges.notifyGroup,
      },
    });
    delivery = mentionDelivery;
    const startPolling = (platform: Platform) => {
      platforms.set(platform.id, platform);
      const ingest = new MentionIngest(platform, store, triage.classifier, mentionDelivery, health, log.child(platform.id), {
        channels: config.slack.channels,
        backfillHours: config.backfillHours,
      });
      const poller = new Poller(platform.id, ingest, health, log.child(`poller.${platform.id}`), {
        platformName: platform.displayName,
        intervalMs: platform.pollIntervalMs ?? config.pollIntervalSeconds * 1000,
        retryBaseMs: tune.retryBaseMs,
        retryMaxMs: tune.retryMaxMs,
        leadership,
      });
      pollers.push(poller);
      poller.start();
      const dms = platform.directMessages;
      const dmChannel = config.slack.dmChannel;
      intakes.set(platform.id, { mentions: ingest });
      if (dms && dmChannel) {
        const dmIngest = new DirectMessageIngest(platform, store, chat, conversations, health, log.child(`${platform.id}.dms`), {
          channel: dmChannel,
          backfillHours: config.backfillHours,
          retryBaseMs: tune.retryBaseMs,
          retryMaxMs: tune.retryMaxMs,
          onReceived: (keys) => rules.considerConversations(keys),
        });
        const dmPoller = new Poller(`${platform.id}:dms`, dmIngest, health, log.child(`poller.${platform.id}.dms`), {
          platformName: `${platform.displayName} (private messages)`,
          intervalMs: dms.pollIntervalMs,
          retryBaseMs: tune.retryBaseMs,
          retryMaxMs: tune.retryMaxMs,
          leadership,
        });
        pollers.push(dmPoller);
        dmPoller.start();
        intakes.set(platform.id, { mentions: ingest, directMessages: dmIngest });
      }
      // Deliveries that waited for this network (stored before it connected) are taken in now.
      if (platform.pushed) intake.takeInSoon();
    };
    // Platforms that answer start now; one that is unreachable keeps being retried on its own, so an
    // outage of one network does not hold up the others. Refused credentials stop start-up.
    const { allConnected } = await connectPlatforms(config, log, health, tune, shutdown.signal, startPolling, store.sessions);
    intake.start();
    await replies.resume();
    // Replies waiting for a platform that connected late are resumed once it is there.
    void allConnected
      .then(() => replies?.resume({ allConnected: true }))
      .catch((error: unknown) => log.error('resuming replies failed', { error }));

    return {
      port,
      health,
      pollNow: () => {
        for (const poller of pollers) poller.pollNow();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * `auth.test`, retried while Slack is unreachable (the process serves /healthz meanwhile) and
 * fatal when Slack refuses the token: no amount of waiting fixes a revoked token.
 */
async function connectToSlack(slack: SlackGateway, health: Health, log: Log, tune: Tuning, signal: AbortSignal): Promise<SlackIdentity> {
  for (let attempt = 0; ; attempt++) {
    try {
      const { userId, botId, teamId, url } = await slack.authTest();
      health.set('slack', 'ok');
      log.info(`connected to Slack as bot user ${userId} in team ${teamId}`);
      return { botUserId: userId, botId, teamId, workspaceUrl: url };
    } catch (error) {
      if (error instanceof ChatCallError && error.kind === 'rejected') {
        throw new StartupError(`Slack refused SLACK_BOT_TOKEN (${error.detail}): check the token and that the app is installed`);
      }
      const wait = backoffMs(attempt, tune.retryBaseMs, tune.retryMaxMs);
      const detail = error instanceof Error ? error.message : String(error);
      health.set('slack', 'backing_off', { detail, until: new Date(Date.now() + wait) });
      log.warn(`cannot reach Slack (${detail}); retrying in ${Math.round(wait / 1000)} s`);
      await sleep(wait, signal);
      if (signal.aborted) throw new StartupError('stopped before Slack could be reached');
    }
  }
}

/**
 * Connects each configured platform and hands it to `ready`. The first attempts run together:
 * refused credentials are a StartupError; a platform that cannot be reached is retried in the
 * background (the returned promise settles when all are connected or the bot stops).
 */
async function connectPlatforms(
  config: Config,
  log: Log,
  health: Health,
  tune: Tuning,
  signal: AbortSignal,
  ready: (platform: Platform) => void,
  sessions: SessionRepository,
): Promise<{ allConnected: Promise<void> }> {
  const wanted: Array<{ id: PlatformId; name: string; what: string; connect: () => Promise<Platform> }> = [];
  const { x, mastodon, bluesky } = config;
  // Private messages are read at the mentions' pace, except on X (its own, tighter limit).
  const dmReads = config.slack.dmChannel ? { pollIntervalMs: config.pollIntervalSeconds * 1000 } : undefined;
  if (x) {
    wanted.push({
      id: 'x',
      name: 'X',
      what: 'looking up the brand account with GET /2/users/me',
      connect: () => XPlatform.connect(x, { pageSize: tune.xPageSize, directMessages: Boolean(config.slack.dmChannel) }),
    });
  }
  if (mastodon) {
    wanted.push({
      id: 'mastodon',
      name: 'Mastodon',
      what: `verifying MASTODON_ACCESS_TOKEN on ${mastodon.url}`,
      connect: () => MastodonPlatform.connect(mastodon, { pageSize: tune.mastodonPageSize, directMessages: dmReads }),
    });
  }
  const meta = config.meta;
  if (meta) {
    const options = { pollIntervalMs: tune.metaCatchUpMs, directMessages: Boolean(config.slack.dmChannel) };
    wanted.push({
      id: 'facebook',
      name: 'Facebook',
      what: `reading the Page ${meta.pageId} with META_PAGE_ACCESS_TOKEN`,
      connect: () => MetaPlatform.connect(meta, 'facebook', options),
    });
    if (meta.instagramAccountId) {
      wanted.push({
        id: 'instagram',
        name: 'Instagram',
        what: `reading the Instagram account ${meta.instagramAccountId} with META_PAGE_ACCESS_TOKEN`,
        connect: () => MetaPlatform.connect(meta, 'instagram', options),
      });
    }
  }
  if (bluesky) {
    wanted.push({
      id: 'bluesky',
      name: 'Bluesky',
      what: `logging in to ${bluesky.service} as ${bluesky.identifier}`,
      connect: () =>
        BlueskyPlatform.connect(bluesky, {
          pageSize: tune.blueskyPageSize,
          sessions,
          log: log.child('bluesky'),
          directMessages: dmReads,
        }),
    });
  }
  /** Connects, or answers how long to wait before the next try. Refused credentials throw. */
  const attempt = async (platform: (typeof wanted)[number], tries: number): Promise<number | undefined> => {
    try {
      const connected = await platform.connect();
      // Start-up may have failed meanwhile (another platform refused its credentials): poll nothing.
      if (signal.aborted) return undefined;
      ready(connected);
      log.info(`${platform.name} connected`);
      return undefined;
    } catch (error) {
      if (error instanceof PlatformError && !error.isTransient)
        throw new StartupError(`${platform.name}: ${error.message} (${platform.what})`);
      // A rate limit (Bluesky's createSession: 30 per 5 minutes) is waited out to its reset: a
      // retry before it only spends the window again.
      const resetAt = error instanceof PlatformError && error.code === 'rate_limited' ? error.details.resetAt : undefined;
      const wait = resetAt ? Math.max(resetAt.getTime() - Date.now() + 1000, 0) : backoffMs(tries, tune.retryBaseMs, tune.retryMaxMs);
      const state = resetAt ? 'rate_limited' : 'backing_off';
      health.set(platformComponent(platform.id), state, { detail: String(error), until: new Date(Date.now() + wait) });
      log.warn(`cannot reach ${platform.name} (${platform.what}); retrying in ${Math.round(wait / 1000)} s`);
      return wait;
    }
  };
  for (const platform of wanted) health.set(platformComponent(platform.id), 'starting');
  // The first round decides start-up; the waits and retries happen in the background.
  const first = await Promise.all(wanted.map((platform) => attempt(platform, 0)));
  const retry = async (platform: (typeof wanted)[number], firstWait: number) => {
    let wait: number | undefined = firstWait;
    for (let tries = 1; wait !== undefined && !signal.aborted; tries++) {
      await sleep(wait, signal);
      if (signal.aborted) return;
      try {
        wait = await attempt(platform, tries);
      } catch (error) {
        // Refused after start-up (a token revoked meanwhile): say so and leave the others running.
        health.set(platformComponent(platform.id), 'failing', { detail: error instanceof Error ? error.message : String(error) });
        log.error(error instanceof Error ? error.message : String(error));
        return;
      }
    }
  };
  const retries = wanted.flatMap((platform, index) => {
    const wait = first[index];
    return wait === undefined ? [] : [retry(platform, wait)];
  });
  return { allConnected: Promise.all(retries).then(() => undefined) };
}

function isServer(value: unknown): value is Server {
  return typeof value === 'object' && value !== null && 'address' in value && typeof (value as Server).address === 'function';
}

/**
 * With a key set, says once at start-up what is still plain or sealed with an older key (data
 * written before the key was set or rotated), and the command that seals it. Counts only.
 */
function warnAboutUnsealed(store: FileStore, log: Log): void {
  let plain = 0;
  let stale = 0;
  for (const collection of Object.values(store.sealable())) {
    plain += collection.sealing.plain;
    stale += collection.sealing.stale;
  }
  if (plain || stale) {
    log.warn(
      `${plain} records hold personal data unencrypted and ${stale} are sealed with an older key: stop the bot and run \`npm run crm -- encrypt\``,
    );
  }
}
