import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readBody } from '../http/read-body.ts';
import { htmlToText } from '../platforms/mastodon/html-to-text.ts';
import type { BlueskyStandin } from './bluesky-standin.ts';
import type { MastodonStandin } from './mastodon-standin.ts';
import type { MetaStandin } from './meta-standin.ts';
import {
  appHomeOpenedEvent,
  blockSuggestion,
  buttonClick,
  homeButtonClick,
  type SlackBody,
  signSlackRequest,
  slashCommand,
  threadMessageEvent,
  viewSelect,
  viewSubmission,
} from './slack-payloads.ts';
import type { SlackStandin, StoredMessage } from './slack-standin.ts';
import type { RecordedCall } from './standin-server.ts';
import type { XStandin } from './x-standin.ts';

/** The people a newcomer can act as on the page: two allowed to reply, one not. */
export const SANDBOX_PEOPLE = [
  { id: 'U0ALICE001', name: 'alice', realName: 'Alice (support lead, admin)' },
  { id: 'U0BOB00001', name: 'bob', realName: 'Bob (support agent)' },
  { id: 'U0SAM00001', name: 'sam', realName: 'Sam (marketing, viewer)' },
];

export interface LogEntry {
  /** Unique and increasing: the page adds what is new and leaves what a person opened alone. */
  id: number;
  at: string;
  /** `page → bot` for the signed requests the page sent; `bot → slack` / `bot → x` for the stand-ins' calls. */
  direction: 'page → bot' | 'bot → slack' | 'bot → x' | 'bot → mastodon' | 'bot → bluesky' | 'bot → meta' | 'meta → bot';
  summary: string;
  status: number;
  detail: unknown;
}

/** The bot's own calls (pollers fill this in minutes); a person's requests are kept apart, so theirs stay readable. */
const LOG_LIMIT = 400;
const PAGE_LOG_LIMIT = 200;
const PAGE_DIR = path.join(import.meta.dirname, 'page');
const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/blocks.js': 'blocks.js',
  '/style.css': 'style.css',
};
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/**
 * The sandbox page's server: the page itself, its state as JSON, live updates over server-sent
 * events, and the actions a person takes. Every click becomes the signed request Slack would send
 * to the bot, so the sandbox exercises the real listeners.
 */
export class SandboxServer {
  private server?: http.Server;
  private readonly clients = new Set<http.ServerResponse>();
  private readonly log: LogEntry[] = [];
  private readonly pageLog: LogEntry[] = [];
  private logSequence = 0;
  /** Ephemeral answers to slash commands (Slack shows them only to the person who asked). */
  private readonly commandAnswers: Array<StoredMessage & { user: string }> = [];
  private readonly closedViews = new Set<string>();
  private readonly viewErrors = new Map<string, Record<string, string>>();
  private notifyTimer?: NodeJS.Timeout;
  url = '';

  constructor(
    private readonly slack: SlackStandin,
    private readonly x: XStandin,
    private readonly bot: { url: () => string; signingSecret: string },
    private readonly mastodon?: MastodonStandin,
    private readonly bluesky?: BlueskyStandin,
    private readonly meta?: MetaStandin,
  ) {
    const record = (direction: LogEntry['direction']) => (call: RecordedCall) => {
      this.addLog({
        at: call.at,
        direction,
        summary: `${call.method}`,
        status: call.status,
        detail: { query: call.query, body: call.body },
      });
    };
    slack.on('call', record('bot → slack'));
    x.on('call', record('bot → x'));
    slack.on('change', () => this.notify());
    x.on('change', () => this.notify());
    mastodon?.on('call', record('bot → mastodon'));
    mastodon?.on('change', () => this.notify());
    bluesky?.on('call', record('bot → bluesky'));
    bluesky?.on('change', () => this.notify());
    // Meta's Graph API calls, and (from the page's own posts) the webhooks Meta sends the bot.
    meta?.on('call', (call: RecordedCall) => {
      record('bot → meta')(call);
      this.notify();
    });
  }

  async listen(port: number): Promise<string> {
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://localhost:${(this.server.address() as AddressInfo).port}/`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.end();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (req.method === 'GET' && STATIC[url.pathname]) return this.serveFile(res, STATIC[url.pathname]!);
    if (req.method === 'GET' && url.pathname === '/favicon.ico') {
      res.writeHead(204);
      return void res.end();
    }
    if (req.method === 'GET' && url.pathname.startsWith('/files/')) {
      const file = this.slack.files.get(decodeURIComponent(url.pathname.slice('/files/'.length)));
      if (!file?.content) return json(res, 404, { error: 'no such file' });
      res.writeHead(200, { 'content-type': file.filename.endsWith('.png') ? 'image/png' : 'application/octet-stream' });
      return void res.end(file.content);
    }
    if (req.method === 'GET' && url.pathname === '/api/state') return json(res, 200, this.state(url.searchParams.get('person') ?? ''));
    if (req.method === 'GET' && url.pathname === '/api/events') return this.subscribe(req, res);
    if (req.method !== 'POST') return json(res, 404, { error: 'not found' });
    const body = JSON.parse((await readBody(req)) || '{}') as Record<string, string>;
    const person = SANDBOX_PEOPLE.find((p) => p.id === body.userId) ?? SANDBOX_PEOPLE[0]!;
    switch (url.pathname) {
      case '/api/click': {
        const triggerId = this.slack.issueTriggerId(person.id);
        const payload = buttonClick({
          actionId: body.actionId ?? '',
          blockId: body.blockId,
          value: body.value ?? '',
          element: body.element === 'static_select' || body.element === 'overflow' ? body.element : 'button',
          label: body.label,
          channel: body.channel ?? '',
          messageTs: body.messageTs ?? '',
          threadTs: body.threadTs || undefined,
          userId: person.id,
          userName: person.name,
          triggerId,
        });
        const what = body.element === 'button' || !body.element ? `button “${body.actionId}”` : `menu “${body.actionId}”`;
        return json(res, 200, await this.sendToBot(payload, what));
      }
      case '/api/select': {
        const view = this.slack.view(body.viewId ?? '');
        if (!view) return json(res, 404, { error: 'no such view' });
        const payload = viewSelect({
          view,
          actionId: body.actionId ?? '',
          blockId: body.blockId ?? '',
          value: body.value ?? '',
          userId: person.id,
          userName: person.name,
          triggerId: this.slack.issueTriggerId(person.id),
        });
        return json(res, 200, await this.sendToBot(payload, `select “${body.actionId}” in a modal`));
      }
      case '/api/suggest': {
        // Typing in an external_select: Slack asks the app for options (block_suggestion).
        const view = this.slack.view(body.viewId ?? '');
        if (!view) return json(res, 404, { error: 'no such view' });
        const payload = blockSuggestion({
          view,
          actionId: body.actionId ?? '',
          blockId: body.blockId ?? '',
          value: body.value ?? '',
          userId: person.id,
        });
        return json(res, 200, await this.sendToBot(payload, `options for “${body.actionId}”`));
      }
      case '/api/submit': {
        const view = this.slack.view(body.viewId ?? '');
        if (!view) return json(res, 404, { error: 'no such view' });
        const values = JSON.parse(body.values ?? '{}') as Record<string, string | string[]>;
        const answer = await this.sendToBot(viewSubmission({ view, userId: person.id, values }), 'modal submission');
        const parsed = safeJson(answer.body) as { response_action?: string; errors?: Record<string, string> } | undefined;
        if (parsed?.response_action === 'errors' && parsed.errors) this.viewErrors.set(view.id, parsed.errors);
        else if (answer.status === 200) {
          this.closedViews.add(view.id);
          this.viewErrors.delete(view.id);
        }
        this.notify();
        return json(res, 200, answer);
      }
      case '/api/home': {
        // The person opened the app's Home tab: Slack sends app_home_opened.
        await this.sendToBot(appHomeOpenedEvent({ userId: person.id }), 'app_home_opened');
        return json(res, 200, {});
      }
      case '/api/home-click': {
        const answer = await this.sendToBot(
          homeButtonClick({ actionId: body.actionId ?? '', value: body.value ?? '', blockId: body.blockId, userId: person.id }),
          `Home tab button ${body.actionId ?? ''}`,
        );
        return json(res, 200, answer);
      }
      case '/api/close': {
        this.closedViews.add(body.viewId ?? '');
        this.notify();
        return json(res, 200, {});
      }
      case '/api/thread': {
        // The person's message lands in Slack first; then Slack's event for it reaches the bot.
        const message = this.slack.postAsUser(body.channel ?? '', person.id, body.text ?? '', body.threadTs);
        const event = threadMessageEvent({
          channel: message.channel,
          threadTs: body.threadTs ?? '',
          text: message.text,
          userId: person.id,
          ts: message.ts,
        });
        return json(res, 200, await this.sendToBot(event, 'message event in a thread'));
      }
      case '/api/command': {
        const answer = await this.sendToBot(
          slashCommand({
            text: body.text ?? '',
            userId: person.id,
            channel: body.channel,
            responseUrl: this.slack.responseUrl(body.channel ?? '', person.id),
            triggerId: this.slack.issueTriggerId(person.id),
          }),
          `/crm ${body.text ?? ''}`,
        );
        const parsed = safeJson(answer.body) as { text?: string; blocks?: unknown[] } | undefined;
        if (parsed?.text) {
          this.commandAnswers.push({
            ts: String(Date.now() / 1000),
            channel: body.channel ?? '',
            text: parsed.text,
            blocks: parsed.blocks,
            user: person.id,
            ephemeralTo: person.id,
          });
          this.notify();
        }
        return json(res, 200, answer);
      }
      case '/api/mention': {
        const handle = (body.username ?? 'customer').replace(/^@/, '');
        const name = body.name || handle || 'Customer';
        if (body.network === 'mastodon' && this.mastodon) {
          const [username = handle, domain] = handle.split('@');
          return json(res, 200, { post: this.mastodon.addMention({ username, display_name: name, domain }, body.text ?? '') });
        }
        if (body.network === 'bluesky' && this.bluesky) {
          return json(res, 200, { post: this.bluesky.addMention({ handle, displayName: name }, body.text ?? '') });
        }
        if ((body.network === 'facebook' || body.network === 'instagram') && this.meta) {
          const person = this.metaPerson(handle, name);
          const comment =
            body.network === 'facebook'
              ? await this.meta.facebookComment(person, body.text ?? '')
              : await this.meta.instagramComment(person, body.text ?? '');
          this.logWebhook(body.network, 'comment');
          return json(res, 200, { post: comment });
        }
        return json(res, 200, { post: this.x.addMention({ username: handle, name }, body.text ?? '') });
      }
      case '/api/surge': {
        // Strangers complaining about an outage and chattering about it, and one customer the shop
        // knows (a demo contact) among the newest: Slack should get hers first.
        const complaints = ['the app is down, I cannot check out', 'app down again?? my basket is gone', 'is the site down for everyone'];
        const chatter = ['lol the app is down again', 'everyone complaining about the app today', 'guess I am not shopping today'];
        for (let i = 0; i < 120; i++) {
          const text = i % 3 === 2 ? chatter[i % 3] : complaints[i % 3];
          this.x.addMention({ username: `shopper_${Date.now() % 100_000}_${i}`, name: `Shopper ${i}` }, text ?? '');
        }
        const known = this.x.addMention(
          { username: 'margaret_h', name: 'Margaret Hamilton' },
          'the app is down and my order 10482 is stuck at payment, please help',
        );
        return json(res, 200, { posts: 121, known: known.id });
      }
      case '/api/dm': {
        const handle = (body.username ?? 'customer').replace(/^@/, '');
        const name = body.name || handle || 'Customer';
        const text = body.text ?? '';
        if (body.network === 'mastodon' && this.mastodon) {
          const [username = handle, domain] = handle.split('@');
          return json(res, 200, { message: this.mastodon.addDirectMessage({ username, display_name: name, domain }, text) });
        }
        if (body.network === 'bluesky' && this.bluesky) {
          return json(res, 200, { message: this.bluesky.addChatMessage({ handle, displayName: name }, text) });
        }
        if ((body.network === 'facebook' || body.network === 'instagram') && this.meta) {
          const message = await this.meta.customerMessage(body.network, this.metaPerson(handle, name), text);
          this.logWebhook(body.network, 'message');
          return json(res, 200, { message });
        }
        return json(res, 200, { message: this.x.addDirectMessage({ username: handle, name }, text) });
      }
      default:
        return json(res, 404, { error: 'not found' });
    }
  }

  /** A person on Facebook or Instagram, with a stable ID made from the handle typed (Meta scopes IDs to the Page). */
  private metaPerson(handle: string, name: string) {
    let hash = 7;
    for (const char of handle) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) % 1_000_000_007;
    return { id: String(6_100_000_000_000_000 + hash), name, username: handle };
  }

  private logWebhook(network: string, what: string): void {
    const last = this.meta?.deliveries.at(-1);
    this.addLog({
      at: new Date().toISOString(),
      direction: 'meta → bot',
      summary: `POST /meta/webhook: a ${network === 'facebook' ? 'Facebook' : 'Instagram'} ${what} (signed X-Hub-Signature-256)`,
      status: last?.status ?? 0,
      detail: safeJson(last?.body ?? '') ?? {},
    });
  }

  /** Signs and sends a payload to the bot's /slack/events, as Slack would, and logs both ways. */
  private async sendToBot(body: SlackBody, summary: string): Promise<{ status: number; body: string }> {
    const signed = signSlackRequest(body, this.bot.signingSecret);
    let status = 0;
    let text = '';
    try {
      const response = await fetch(`${this.bot.url()}/slack/events`, { method: 'POST', headers: signed.headers, body: signed.raw });
      status = response.status;
      text = await response.text();
    } catch (error) {
      text = error instanceof Error ? error.message : String(error);
    }
    this.addLog({
      at: new Date().toISOString(),
      direction: 'page → bot',
      summary: `POST /slack/events: ${summary}`,
      status,
      detail: { headers: signed.headers, body: 'json' in body ? body.json : body.form, response: safeJson(text) ?? text },
    });
    return { status, body: text };
  }

  /** Everything the page draws; `person` picks whose Home tab it shows (Slack publishes one per person). */
  private state(person: string) {
    const people = Object.fromEntries(SANDBOX_PEOPLE.map((p) => [p.id, p.realName]));
    return {
      people: SANDBOX_PEOPLE,
      // Users by ID for <@U…>, channels by ID for <#C…>: what Slack shows instead of the IDs.
      names: {
        ...people,
        [this.slack.botUserId]: 'Switchboard',
        ...Object.fromEntries(this.slack.channelList().map((channel) => [channel.id, channel.name])),
      },
      channels: this.slack.channelList().map((channel) => ({ ...channel, messages: this.slack.messages(channel.id) })),
      ephemerals: [...this.slack.ephemerals, ...this.commandAnswers],
      views: this.slack
        .views()
        .filter((view) => !this.closedViews.has(view.id))
        .map((view) => ({ ...view, errors: this.viewErrors.get(view.id) })),
      networks: this.networkPosts(),
      log: [...this.pageLog, ...this.log].sort((a, b) => a.id - b.id),
      home: this.slack.homeOf(person),
    };
  }

  /** Every network's mentions of the brand and the brand's replies, in one shape for the page. */
  private networkPosts() {
    const posts: Array<{
      network: 'x' | 'mastodon' | 'bluesky' | 'facebook' | 'instagram';
      id: string;
      name: string;
      handle: string;
      text: string;
      createdAt: string;
      isBrand: boolean;
      inReplyTo?: string;
      liked: boolean;
      /** A private message (X DM, Mastodon direct status, Bluesky chat), not a public post. */
      isPrivate?: boolean;
    }> = [];
    const brandX = this.x.brand;
    for (const post of this.x.mentions()) {
      posts.push({
        network: 'x',
        id: post.id,
        name: post.author.name,
        handle: post.author.username,
        text: post.text,
        createdAt: post.created_at,
        isBrand: false,
        liked: this.x.likes.has(post.id),
      });
    }
    for (const post of this.x.published()) {
      posts.push({
        network: 'x',
        id: post.id,
        name: brandX.name,
        handle: brandX.username,
        text: post.text,
        createdAt: post.created_at,
        isBrand: true,
        inReplyTo: post.in_reply_to_post_id,
        liked: false,
      });
    }
    for (const event of this.x.directMessages()) {
      const sender = this.x.userById(event.sender_id);
      posts.push({
        network: 'x',
        id: event.id,
        name: sender?.name ?? event.sender_id,
        handle: sender?.username ?? event.sender_id,
        text: event.text,
        createdAt: event.created_at,
        isBrand: event.sender_id === brandX.id,
        liked: false,
        isPrivate: true,
      });
    }
    const m = this.mastodon;
    if (m) {
      for (const status of [...m.mentionStatuses(), ...m.published()]) {
        const isBrand = status.account.id === m.brand.id;
        posts.push({
          network: 'mastodon',
          id: status.id,
          name: status.account.display_name,
          handle: status.account.acct.includes('@') ? status.account.acct : `${status.account.acct}@${m.domain}`,
          text: htmlToText(status.content),
          createdAt: status.created_at,
          isBrand,
          inReplyTo: status.in_reply_to_id ?? undefined,
          liked: m.favourites.has(status.id),
          isPrivate: status.visibility === 'direct',
        });
      }
    }
    const b = this.bluesky;
    if (b) {
      for (const post of [...b.mentionPosts(), ...b.published()]) {
        posts.push({
          network: 'bluesky',
          id: post.uri,
          name: post.author.displayName ?? post.author.handle,
          handle: post.author.handle,
          text: post.record.text,
          createdAt: post.indexedAt,
          isBrand: post.author.did === b.brand.did,
          inReplyTo: post.record.reply?.parent.uri,
          liked: b.likes.has(post.uri),
        });
      }
    }
    if (b) {
      for (const message of b.chat.allMessages()) {
        const sender = message.sender.did === b.brand.did ? b.brand : b.chat.memberOf(message.sender.did);
        posts.push({
          network: 'bluesky',
          id: message.id,
          name: sender?.displayName ?? sender?.handle ?? message.sender.did,
          handle: sender?.handle ?? message.sender.did,
          text: message.text,
          createdAt: message.sentAt,
          isBrand: message.sender.did === b.brand.did,
          liked: false,
          isPrivate: true,
        });
      }
    }
    const meta = this.meta;
    if (meta) {
      for (const comment of meta.comments.values()) {
        posts.push({
          network: comment.network,
          id: comment.id,
          name: comment.from.name,
          handle: comment.from.username ?? comment.from.name,
          text: comment.hidden ? `${comment.text}  (hidden by the brand)` : comment.text,
          createdAt: new Date(comment.createdAt).toISOString(),
          isBrand: comment.from.id === meta.page.id || comment.from.id === meta.instagram.id,
          inReplyTo: comment.parentId,
          liked: meta.likes.has(comment.id),
        });
      }
      for (const message of meta.messages) {
        const person = meta.people.get(message.customerId);
        const brand = message.network === 'facebook' ? meta.page.name : meta.instagram.username;
        posts.push({
          network: message.network,
          id: message.id,
          name: message.fromBrand ? brand : (person?.name ?? message.customerId),
          handle: message.fromBrand ? brand : (person?.username ?? message.customerId),
          text: message.text,
          createdAt: new Date(message.at).toISOString(),
          isBrand: message.fromBrand,
          liked: false,
          isPrivate: true,
        });
      }
    }
    return {
      brands: {
        x: `@${brandX.username}`,
        facebook: meta?.page.name,
        instagram: meta ? `@${meta.instagram.username}` : undefined,
        mastodon: m ? `@${m.brand.username}@${m.domain}` : undefined,
        bluesky: b ? `@${b.brand.handle}` : undefined,
      },
      posts: posts.sort((p, q) => (p.createdAt < q.createdAt ? 1 : p.createdAt > q.createdAt ? -1 : 0)),
    };
  }

  private subscribe(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }

  /** Coalesces bursts of changes into one push, so the page refetches once. */
  private notify(): void {
    if (this.notifyTimer) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      for (const client of this.clients) client.write('event: change\ndata: {}\n\n');
    }, 50);
  }

  private addLog(entry: Omit<LogEntry, 'id'>): void {
    const logged = { ...entry, id: ++this.logSequence };
    const list = entry.direction === 'page → bot' ? this.pageLog : this.log;
    list.push(logged);
    const limit = entry.direction === 'page → bot' ? PAGE_LOG_LIMIT : LOG_LIMIT;
    if (list.length > limit) list.splice(0, list.length - limit);
    this.notify();
  }

  private async serveFile(res: http.ServerResponse, name: string): Promise<void> {
    const content = await readFile(path.join(PAGE_DIR, name));
    res.writeHead(200, { 'content-type': `${TYPES[path.extname(name)] ?? 'text/plain'}; charset=utf-8`, 'cache-control': 'no-store' });
    res.end(content);
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function safeJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
