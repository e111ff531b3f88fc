import { createHmac } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AtpAgent, RichText } from '@atproto/api';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { ChatServiceStandin } from '../../src/sandbox/bluesky-chat-standin.ts';
import {
  botEnv,
  FAST,
  type InProcessBot,
  readHealth,
  type Standins,
  startBot,
  startStandins,
  tempDataDir,
  waitUntil,
} from '../helpers/harness.ts';
import { type MentionMessage, replyFlow, textOf } from '../helpers/reply-flow.ts';
import { type RealBluesky, requirePrerequisites, startRealBluesky } from './services.ts';

/**
 * Switchboard against the real Bluesky software: the atproto reference PLC, PDS and AppView
 * (`@atproto/dev-env`), with signed Slack requests to the bot's real HTTP endpoint and the Slack
 * stand-in on the far side. What the bot posts and publishes is read back from the real network
 * (listRecords, getPostThread), not from our own imitation.
 */
const available = requirePrerequisites();

describe.runIf(available)('Bluesky: the atproto reference network', () => {
  let real: RealBluesky;
  let standins: Standins;
  let bot: InProcessBot | undefined;
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let brand: AtpAgent;
  let appPassword: string;
  const customers = new Map<string, AtpAgent>();
  /** createSession and refreshSession as the PDS itself counts them (its account manager). */
  const calls = { logins: 0, refreshes: 0 };
  const flow = replyFlow(
    () => standins,
    () => current().url,
  );

  /** The bot started last (a function, so TypeScript does not narrow it after a stop). */
  const current = (): InProcessBot => {
    if (!bot) throw new Error('the bot is not running');
    return bot;
  };

  beforeAll(async () => {
    const started = Date.now();
    real = await startRealBluesky();
    const accounts = real.network.pds.ctx.accountManager;
    const createSession = accounts.createSession.bind(accounts);
    const rotateRefreshToken = accounts.rotateRefreshToken.bind(accounts);
    accounts.createSession = (...args: unknown[]) => {
      calls.logins++;
      return createSession(...args);
    };
    accounts.rotateRefreshToken = (...args: unknown[]) => {
      calls.refreshes++;
      return rotateRefreshToken(...args);
    };
    brand = await account('northwind.test');
    // The bot logs in with an app password, as README tells an operator to make one.
    appPassword = (await brand.com.atproto.server.createAppPassword({ name: 'switchboard' })).data.password;
    standins = await startStandins();
    data = await tempDataDir();
    console.info(`atproto network, PostgreSQL and Redis up in ${Date.now() - started} ms`);
  });

  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
  });

  afterAll(async () => {
    await standins?.close();
    await data?.remove();
    await real?.stop();
  });

  async function account(handle: string): Promise<AtpAgent> {
    const agent: AtpAgent = real.network.pds.getClient();
    await agent.createAccount({ handle, email: `${handle}@example.test`, password: `${handle}-password` });
    return agent;
  }

  async function customer(handle: string): Promise<AtpAgent> {
    const known = customers.get(handle);
    if (known) return known;
    const agent = await account(handle);
    customers.set(handle, agent);
    return agent;
  }

  /** A customer posts through the real PDS; @handles become mention facets as the app makes them. */
  async function post(
    handle: string,
    text: string,
    options: {
      createdAt?: Date;
      replyTo?: { uri: string; cid: string; root?: { uri: string; cid: string } };
      quote?: { uri: string; cid: string };
    } = {},
  ): Promise<{ uri: string; cid: string }> {
    const agent = await customer(handle);
    // detectFacets drops a mention whose handle does not resolve (yet: a handle just created can
    // take a moment), silently: the post would then notify nobody, and the test would wait for a
    // mention that can never come. Resolve every @handle written, or fail saying so.
    const written = text.match(/@[a-z0-9.-]+\.test/g)?.length ?? 0;
    let rich = new RichText({ text });
    for (let attempt = 0; ; attempt++) {
      rich = new RichText({ text });
      await rich.detectFacets(agent);
      const resolved = (rich.facets ?? []).filter((facet) =>
        facet.features.some((f) => f.$type === 'app.bsky.richtext.facet#mention'),
      ).length;
      if (resolved === written) break;
      if (attempt === 20) throw new Error(`test set-up: ${written - resolved} @handle(s) in "${text}" did not resolve`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const parent = options.replyTo;
    return agent.post({
      text: rich.text,
      facets: rich.facets,
      createdAt: (options.createdAt ?? new Date()).toISOString(),
      ...(parent
        ? { reply: { root: parent.root ?? { uri: parent.uri, cid: parent.cid }, parent: { uri: parent.uri, cid: parent.cid } } }
        : {}),
      ...(options.quote ? { embed: { $type: 'app.bsky.embed.record', record: options.quote } } : {}),
    });
  }

  /** The bot's environment: Bluesky only, at the real PDS, the Slack stand-in on the far side. */
  function blueskyOnlyEnv(dataDir: string, identifier: string, password: string, extra: Record<string, string> = {}) {
    return botEnv(standins, dataDir, {
      X_BEARER_TOKEN: '',
      X_APP_KEY: '',
      X_APP_SECRET: '',
      X_ACCESS_TOKEN: '',
      X_ACCESS_SECRET: '',
      X_USER_ID: '',
      BLUESKY_SERVICE: real.pdsUrl,
      BLUESKY_IDENTIFIER: identifier,
      BLUESKY_APP_PASSWORD: password,
      ...extra,
    });
  }

  async function start(extra: Record<string, string> = {}, pageSize?: number) {
    const started = await startBot(blueskyOnlyEnv(data.dir, 'northwind.test', appPassword, extra), {
      ...FAST,
      ...(pageSize ? { blueskyPageSize: pageSize } : {}),
    });
    bot = started;
    // A failure against the real network is hard to reproduce: show what the bot said.
    onTestFailed(() => console.error(`the bot's last log lines:\n${started.logs.slice(-60).join('\n')}`));
    return started;
  }

  /**
   * The mention message for `key`, once it is in Slack. The AppView indexes in the background: under
   * load it can lag behind processAll, so the wait keeps asking it to catch up and the bot to poll.
   */
  async function posted(key: string): Promise<MentionMessage> {
    const find = () => standins.slack.allMessages().find((m) => m.metadata?.event_payload.key === key);
    const message = await waitUntil(
      async () => {
        const found = find();
        if (found) return found;
        await real.network.processAll();
        current().running.pollNow();
        await new Promise((resolve) => setTimeout(resolve, 250));
        return find();
      },
      45_000,
      `the mention message for ${key}`,
    );
    return { key, message };
  }

  /** The AppView has indexed everything the PDS has, then the bot polls. */
  async function indexAndPoll() {
    await real.network.processAll();
    current().running.pollNow();
  }

  const keyOf = (ref: { uri: string }) => `bluesky:${ref.uri}`;
  const postedKeys = () =>
    standins.slack
      .allMessages()
      .flatMap((m) => (m.metadata?.event_type === 'switchboard_mention' ? [String(m.metadata.event_payload.key)] : []));
  const countOf = (ref: { uri: string }) => postedKeys().filter((key) => key === keyOf(ref)).length;
  const rkeyOf = (uri: string) => uri.split('/').pop();

  async function brandRecords(collection: string) {
    const { data: page } = await brand.com.atproto.repo.listRecords({ repo: brand.session!.did, collection, limit: 100 });
    return page.records as Array<{ uri: string; cid: string; value: Record<string, unknown> }>;
  }

  it('posts mentions, replies to the brand, mentions deep in other threads and quotes, each once with its bsky.app link', async () => {
    await start();
    const brandPost = await brand.post({ text: 'New tents are in!', createdAt: new Date().toISOString() });
    // The AppView notifies the brand of a reply or a quote only if it has indexed the brand's post
    // first (once, in CI, a reply written in the same instant never notified anyone): people reply
    // to a post they have seen.
    await real.network.processAll();
    const mention = await post('ada.test', '@northwind.test is the tent waterproof?');
    const reply = await post('grace.test', 'which colours?', { replyTo: brandPost });
    const strangerRoot = await post('hedy.test', 'camping this weekend');
    const deepMention = await post('linus.test', 'ask @northwind.test about it', { replyTo: strangerRoot });
    const quote = await post('margaret.test', 'these look great', { quote: brandPost });
    const typedOnly = await customer('typed.test').then((agent) =>
      agent.post({ text: '@northwind.test typed, no facet', createdAt: new Date().toISOString() }),
    );
    await indexAndPoll();

    for (const [ref, handle] of [
      [mention, 'ada.test'],
      [reply, 'grace.test'],
      [deepMention, 'linus.test'],
      [quote, 'margaret.test'],
    ] as const) {
      const message = (await posted(keyOf(ref))).message;
      expect(textOf(message)).toContain(`https://bsky.app/profile/${handle}/post/${rkeyOf(ref.uri)}`);
    }
    // A notification exists only for a mention facet: the typed-only post is not seen (README says so).
    current().running.pollNow();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const ref of [mention, reply, deepMention, quote]) expect(countOf(ref)).toBe(1);
    expect(countOf(typedOnly)).toBe(0);
    // An author with no profile record has no displayName: the handle stands in.
    expect(textOf((await posted(keyOf(mention))).message)).toContain('ada.test');
  });

  it('posts a backdated mention and one indexed after a newer one, each once', async () => {
    await start();
    const newest = await post('ada.test', '@northwind.test the newest');
    await indexAndPoll();
    await posted(keyOf(newest));

    const slowClock = await post('grace.test', '@northwind.test my phone is 10 minutes slow', {
      createdAt: new Date(Date.now() - 10 * 60_000),
    });
    const secondBefore = await post('hedy.test', '@northwind.test written a second earlier', {
      createdAt: new Date(Date.now() - 1000 - (Date.now() - Date.parse((await readIndexedAt(newest)) ?? new Date().toISOString()))),
    });
    await indexAndPoll();
    await posted(keyOf(slowClock));
    await posted(keyOf(secondBefore));
    current().running.pollNow();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const ref of [newest, slowClock, secondBefore]) expect(countOf(ref)).toBe(1);
  });

  async function readIndexedAt(ref: { uri: string }): Promise<string | undefined> {
    const { data: page } = await brand.app.bsky.notification.listNotifications({ limit: 100 });
    return page.notifications.find((n) => n.uri === ref.uri)?.indexedAt;
  }

  it('posts 60 mentions that waited while the bot was down, over several pages, once each, without a new login', async () => {
    await start({}, 25);
    const before = await post('ada.test', '@northwind.test before the restart');
    await indexAndPoll();
    await posted(keyOf(before));
    await current().stop();
    bot = undefined;
    const loginsBefore = calls.logins;

    const waiting: Array<{ uri: string; cid: string }> = [];
    for (let i = 0; i < 60; i++) waiting.push(await post(`fan${i % 6}.test`, `@northwind.test while you were down ${i}`));
    await real.network.processAll();
    await start({}, 25);
    await waitUntil(() => waiting.every((ref) => countOf(ref) === 1), 30_000, 'all 60 waiting mentions');
    current().running.pollNow();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(waiting.every((ref) => countOf(ref) === 1)).toBe(true);
    expect(countOf(before)).toBe(1);
    expect(calls.logins).toBe(loginsBefore); // resumed the saved session
  });

  it('replies from the modal and from reply: in the thread: one record each, the right root and parent, facets with the right bytes and DIDs', async () => {
    await start();
    const brandPost = await brand.post({ text: 'Ask us anything about tents', createdAt: new Date().toISOString() });
    const question = await post('zoe.test', 'is the fly sheet included? 🏕️', { replyTo: brandPost });
    await indexAndPoll();
    const mention = await posted(keyOf(question));

    const view = await flow.openReplyModal(mention);
    // Letters of two and four bytes before the handle: the facet must count bytes, not characters.
    expect((await flow.submitReply(view, 'Grüße 🎒 @zoe.test: yes, the fly sheet is in the box')).text).toBe('');
    await flow.writeInThread(mention, 'reply: Grüße 🎒 @zoe.test: and the pegs too');
    const answers = await waitUntil(async () => {
      const records = (await brandRecords('app.bsky.feed.post')).filter(
        (record) => (record.value.reply as { parent?: { uri: string } } | undefined)?.parent?.uri === question.uri,
      );
      return records.length === 2 ? records : undefined;
    }, 20_000);
    const zoe = await customer('zoe.test');
    for (const answer of answers) {
      const value = answer.value as {
        text: string;
        reply: Record<string, { uri: string; cid: string }>;
        facets: Array<{ index: { byteStart: number; byteEnd: number }; features: Array<{ did?: string }> }>;
      };
      expect(value.reply.parent).toEqual({ uri: question.uri, cid: question.cid });
      expect(value.reply.root).toEqual({ uri: brandPost.uri, cid: brandPost.cid });
      const handleBytes = Buffer.from(value.text).subarray(value.facets[0]!.index.byteStart, value.facets[0]!.index.byteEnd).toString();
      expect(value.facets[0]?.index.byteStart).toBe(Buffer.byteLength('Grüße 🎒 '));
      expect(handleBytes).toBe('@zoe.test');
      expect(value.facets[0]?.features[0]?.did).toBe(zoe.session!.did);
    }
    await real.network.processAll();
    const thread = (await brand.app.bsky.feed.getPostThread({ uri: question.uri })).data.thread as {
      replies?: Array<{ post: { uri: string } }>;
    };
    expect(thread.replies?.map((r) => r.post.uri).sort()).toEqual(answers.map((a) => a.uri).sort());
    await waitUntil(() => textOf(flow.currentMessage(mention)).includes('Replied by'), 10_000, 'the message updated');
  });

  it('likes once, also on a double click, and refuses replies over 300 graphemes or 3,000 bytes with the reason', async () => {
    await start();
    const loved = await post('ada.test', '@northwind.test love the new tent');
    await indexAndPoll();
    const mention: MentionMessage = await posted(keyOf(loved));
    await Promise.all([flow.press('mention_like', mention.message, mention.key), flow.press('mention_like', mention.message, mention.key)]);
    await waitUntil(
      async () => (await brandRecords('app.bsky.feed.like')).some((like) => (like.value.subject as { uri: string }).uri === loved.uri),
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const likes = (await brandRecords('app.bsky.feed.like')).filter((like) => (like.value.subject as { uri: string }).uri === loved.uri);
    expect(likes).toHaveLength(1);

    const postsBefore = (await brandRecords('app.bsky.feed.post')).length;
    const tooManyGraphemes = await flow.submitReply(await flow.openReplyModal(mention), '🇫🇷'.repeat(301));
    expect(JSON.parse(tooManyGraphemes.text).response_action).toBe('errors');
    expect(tooManyGraphemes.text).toMatch(/301/);
    // 300 graphemes, 7,500 bytes: within the grapheme limit, over the byte limit.
    const tooManyBytes = await flow.submitReply(await flow.openReplyModal(mention), '👨‍👩‍👧‍👦'.repeat(300));
    expect(JSON.parse(tooManyBytes.text).response_action).toBe('errors');
    expect(tooManyBytes.text).toMatch(/7500 bytes; a post may have at most 3,000/);
    expect((await brandRecords('app.bsky.feed.post')).length).toBe(postsBefore);
  });

  it('reads and answers private messages through the real PDS: its scope check, its proxy and service auth, to the chat service', async () => {
    const brandDid = brand.session?.did ?? '';
    const chatService = new ChatServiceStandin({ did: brandDid, handle: 'northwind.test', displayName: 'Northwind' });
    await chatService.listen();
    // The chat service is not open source: the reference PDS resolves did:web:api.bsky.chat to our stand-in of it.
    const dids = real.network.pds.ctx.idResolver.did;
    const resolve = dids.resolve.bind(dids);
    dids.resolve = async (did: string, ...rest: unknown[]) =>
      did === 'did:web:api.bsky.chat'
        ? {
            '@context': ['https://www.w3.org/ns/did/v1'],
            id: did,
            service: [{ id: '#bsky_chat', type: 'BskyChatService', serviceEndpoint: chatService.url }],
          }
        : resolve(did, ...rest);
    try {
      // An app password made without access to direct messages: the real PDS and our PDS stand-in answer alike.
      const failureOf = (call: Promise<unknown>) =>
        call.then(
          () => 'answered',
          (error: { status?: number; error?: string; message?: string }) => ({
            status: error.status,
            error: error.error,
            message: error.message,
          }),
        );
      const viaApp = new AtpAgent({ service: real.pdsUrl });
      await viaApp.login({ identifier: 'northwind.test', password: appPassword });
      const viaStandin = new AtpAgent({ service: standins.bluesky.apiUrl });
      await viaStandin.login({ identifier: standins.bluesky.brand.handle, password: standins.bluesky.appPassword });
      standins.bluesky.chat.appPasswordAllowsChat = false;
      for (const proxied of [true, false]) {
        const call = (agent: AtpAgent) =>
          (proxied ? agent.withProxy('bsky_chat', 'did:web:api.bsky.chat') : agent).chat.bsky.convo.listConvos({});
        const [realAnswer, standinAnswer] = [await failureOf(call(viaApp)), await failureOf(call(viaStandin))];
        expect(standinAnswer, `proxied: ${proxied}`).toEqual(realAnswer);
        expect(realAnswer).toMatchObject({ status: 400, error: 'InvalidToken' });
      }
      standins.bluesky.chat.appPasswordAllowsChat = true;

      // With DM access: the bot reads the customer's message and answers it, every call through the real PDS.
      const privileged = (await brand.com.atproto.server.createAppPassword({ name: 'switchboard-dms', privileged: true })).data.password;
      await start({ BLUESKY_APP_PASSWORD: privileged, SLACK_CHANNEL_DMS: 'C0SOCDMS1' });
      const ada = await customer('ada.test');
      chatService.chat.customerWrites(
        { did: ada.session?.did ?? '', handle: 'ada.test', displayName: 'Ada' },
        'hello, my order 55 is late',
      );
      current().running.pollNow();
      const parent = await waitUntil(
        () => standins.slack.messages('C0SOCDMS1').find((m) => m.metadata?.event_type === 'switchboard_conversation'),
        20_000,
        'the conversation thread',
      );
      expect(textOf(parent)).toContain('hello, my order 55 is late');
      expect(textOf(parent)).toContain('@ada.test');
      await flow.writeInThread({ key: String(parent.metadata?.event_payload.key), message: parent }, 'reply: Sorry Ada, it ships today.');
      await waitUntil(() => chatService.chat.sentByBrand().length === 1, 20_000, 'the reply at the chat service');
      expect(chatService.chat.sentByBrand()[0]?.text).toBe('Sorry Ada, it ships today.');
      // Each call came through the PDS with a service-auth token for the brand and that one method.
      const methods = new Set(chatService.claims.map((claims) => claims.lxm));
      for (const method of [
        'chat.bsky.convo.listConvos',
        'chat.bsky.convo.getConvo',
        'chat.bsky.convo.getMessages',
        'chat.bsky.convo.sendMessage',
      ]) {
        expect(methods).toContain(method);
      }
      expect(new Set(chatService.claims.map((claims) => claims.iss))).toEqual(new Set([brandDid]));
    } finally {
      dids.resolve = resolve;
      await chatService.close();
    }
  });

  it('refreshes an expired access token after a restart, with no new login and nothing posted twice', async () => {
    await start();
    const first = await post('ada.test', '@northwind.test before the token expired');
    await indexAndPoll();
    await posted(keyOf(first));
    await current().stop();
    bot = undefined;

    // The saved access token is made two hours old, signed as the PDS signs them, so the real PDS
    // answers it with ExpiredToken (its lifetime is 120 minutes).
    const file = path.join(data.dir, 'bluesky-session.json');
    const session = JSON.parse(await readFile(file, 'utf8')) as { accessJwt: string };
    session.accessJwt = expiredCopyOf(session.accessJwt, real.jwtSecret);
    await writeFile(file, JSON.stringify(session));
    const { logins, refreshes } = calls;

    await start();
    const after = await post('grace.test', '@northwind.test after the expiry');
    await indexAndPoll();
    await posted(keyOf(after));
    expect(calls.logins).toBe(logins);
    expect(calls.refreshes).toBeGreaterThan(refreshes);
    expect(countOf(first)).toBe(1);
  });

  it('reads the real 429 of createSession and waits for its reset instead of logging in again and again', async () => {
    const limited = await account('limited.test');
    const password = (await limited.com.atproto.server.createAppPassword({ name: 'switchboard' })).data.password;
    // 30 failed logins in 5 minutes: from now on the PDS refuses even the right password.
    const stranger = new AtpAgent({ service: real.pdsUrl });
    let resetHeader = 0;
    for (let i = 0; i < 31; i++) {
      try {
        await stranger.login({ identifier: 'limited.test', password: 'wrong-password' });
      } catch (error) {
        resetHeader = Number((error as { headers?: Record<string, string> }).headers?.['ratelimit-reset'] ?? resetHeader);
      }
    }
    expect(resetHeader).toBeGreaterThan(Date.now() / 1000);
    const fresh = await tempDataDir();
    try {
      bot = await startBot(blueskyOnlyEnv(fresh.dir, 'limited.test', password), FAST);
      const health = await waitUntil(async () => {
        const body = await readHealth(current().url);
        return body.platforms.bluesky?.state === 'rate_limited' ? body.platforms.bluesky : undefined;
      }, 10_000);
      // Waits until the PDS's own reset, not a back-off of its own.
      expect(Math.abs(Date.parse(health.until ?? '') / 1000 - resetHeader)).toBeLessThan(3);
      expect(health.detail).toMatch(/RateLimitExceeded/);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const attempts = current().logs.filter((line) => /cannot reach Bluesky/.test(line));
      expect(attempts).toHaveLength(1);
      // The PDS's window opened at the first failed login, some seconds before: a wait of minutes,
      // where the bot's own back-off in this test would be under a second.
      expect(Number(/retrying in (\d+) s/.exec(attempts[0] ?? '')?.[1])).toBeGreaterThan(240);
    } finally {
      await bot?.stop();
      bot = undefined;
      await fresh.remove();
    }
  });
});

/** The same access token, issued two hours and a minute ago: expired, and signed with the PDS's secret. */
function expiredCopyOf(jwt: string, secret: string): string {
  const [header, payload] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as { iat: number; exp: number };
  const now = Math.floor(Date.now() / 1000);
  const body = Buffer.from(JSON.stringify({ ...claims, iat: now - 2 * 3600 - 60, exp: now - 60 })).toString('base64url');
  const signature = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}
