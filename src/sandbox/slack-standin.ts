import type http from 'node:http';
import { type Reply, StandinServer } from './standin-server.ts';

/**
 * A local stand-in for the Slack Web API, built from its documentation
 * (https://docs.slack.dev/reference/methods): form or JSON bodies, Bearer tokens, `ok`/`error`
 * answers with HTTP 200, HTTP 429 with `Retry-After`, cursor paging, message metadata returned
 * only with `include_all_metadata`. It keeps channels and their messages so tests and the sandbox
 * page can read what the bot posted.
 */
export interface StoredMessage {
  ts: string;
  channel: string;
  text: string;
  blocks?: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  thread_ts?: string;
  /** A thread reply also shown in the channel. */
  reply_broadcast?: boolean;
  user?: string;
  bot_id?: string;
  edited?: { ts: string };
  /** Ephemeral messages are shown to one user and never stored in history. */
  ephemeralTo?: string;
  files?: Array<{ id: string; name: string; title: string }>;
}

export interface SlackStandinOptions {
  botToken?: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  channels?: Array<{ id: string; name: string }>;
  /** Enforce Slack's ~1 post per second per channel (with a small burst) by answering 429. */
  enforcePostRate?: boolean;
  /** User groups (`S…`) and their members, for `usergroups.users.list`. */
  userGroups?: Record<string, string[]>;
  /** The workspace's people, for `users.info`: ID → display name. */
  users?: Record<string, string>;
}

/** The people tests and the sandbox act as. */
const DEFAULT_USERS: Record<string, string> = {
  U0ALICE001: 'alice',
  U0BOB00001: 'bob',
  U0SAM00001: 'sam',
  U0AGENT01: 'agent',
};

/** A modal opened by the bot, as Slack keeps it: the view plus its ID, hash and owner. */
export interface StoredView {
  id: string;
  hash: string;
  user?: string;
  view: Record<string, unknown>;
}

/** Slack: "trigger_id … expires in 3 seconds" and can be used once. */
const TRIGGER_TTL_MS = 3_000;

/** JSON-valued arguments that clients send as strings in form-encoded bodies. */
const JSON_FIELDS = ['blocks', 'attachments', 'metadata', 'view', 'files'];
const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;

export class SlackStandin extends StandinServer {
  readonly botToken: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  private readonly channels = new Map<string, { id: string; name: string; messages: StoredMessage[] }>();
  readonly ephemerals: StoredMessage[] = [];
  private readonly responseUrls = new Map<string, { channel: string; user: string; issuedAt: number; uses: number }>();
  /** Files uploaded through files.getUploadURLExternal → upload → files.completeUploadExternal. */
  readonly files = new Map<
    string,
    { id: string; filename: string; length: number; content?: Buffer; title?: string; channel?: string; altText?: string }
  >();
  private clock = 1_764_000_000;
  private sequence = 0;
  private readonly postTimes = new Map<string, number[]>();
  private readonly triggers = new Map<string, { issuedAt: number; user?: string; used: boolean }>();
  private readonly viewsById = new Map<string, StoredView>();
  private viewSequence = 0;

  constructor(private readonly options: SlackStandinOptions = {}) {
    super();
    this.botToken = options.botToken ?? 'xoxb-standin-token';
    this.teamId = options.teamId ?? 'T0STANDIN';
    this.botUserId = options.botUserId ?? 'U0SWITCHBD';
    this.botId = options.botId ?? 'B0SWITCHBD';
    for (const channel of options.channels ?? [
      { id: 'C0MENTIONS', name: 'social-mentions' },
      { id: 'C0QUESTION', name: 'social-questions' },
      { id: 'C0DIGESTS', name: 'social-digest' },
      // Private messages: a private channel, support only (README says so).
      { id: 'C0SOCDMS1', name: 'social-dms' },
      // Where an automatic-reply rule tells the team about what needs a lead (the sandbox's demo rule).
      { id: 'C0ESCALATE', name: 'escalations' },
    ]) {
      this.channels.set(channel.id, { ...channel, messages: [] });
    }
  }

  /**
   * A trigger_id as Slack puts in an interaction payload: `views.open` accepts it once, within 3 s.
   * Tests and the sandbox page take one for every click they send.
   */
  issueTriggerId(user?: string): string {
    const id = `${Date.now()}.${Math.floor(Math.random() * 1e12)}.${Math.random().toString(16).slice(2, 10)}`;
    this.triggers.set(id, { issuedAt: Date.now(), user, used: false });
    return id;
  }

  /** Views the bot opened, newest last. */
  views(): StoredView[] {
    return [...this.viewsById.values()];
  }

  view(id: string): StoredView | undefined {
    return this.viewsById.get(id);
  }

  /** Each person's App Home tab as the bot last published it. */
  readonly homes = new Map<string, Record<string, unknown>>();

  homeOf(user: string): Record<string, unknown> | undefined {
    return this.homes.get(user);
  }

  /** The Web API base URL to give the bot (`SLACK_API_URL`). */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  channelList(): Array<{ id: string; name: string }> {
    return [...this.channels.values()].map(({ id, name }) => ({ id, name }));
  }

  messages(channel: string): StoredMessage[] {
    return [...(this.channels.get(channel)?.messages ?? [])];
  }

  allMessages(): StoredMessage[] {
    return [...this.channels.values()].flatMap((channel) => channel.messages);
  }

  /**
   * Who a message would notify, read the way Slack reads mrkdwn: `<!channel>`, `<!here>`,
   * `<!everyone>`, `<!subteam^…>`, `<@U…>`, and bare `@channel`/`@here`/`@everyone` in text
   * objects that are not `verbatim` (Slack auto-parses those).
   */
  static pingsIn(message: Pick<StoredMessage, 'text' | 'blocks'>): string[] {
    const pings: string[] = [];
    const scan = (text: string, verbatim: boolean) => {
      for (const match of text.matchAll(/<(!channel|!here|!everyone|!subteam\^[A-Z0-9]+|@[UW][A-Z0-9]+)(\|[^>]*)?>/g)) {
        pings.push(match[1] ?? '');
      }
      if (!verbatim) for (const match of text.matchAll(/(^|\s)@(channel|here|everyone)\b/g)) pings.push(`@${match[2]}`);
    };
    scan(message.text, false);
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) {
        for (const item of node) walk(item);
        return;
      }
      if (!node || typeof node !== 'object') return;
      const record = node as Record<string, unknown>;
      if (record.type === 'mrkdwn' && typeof record.text === 'string') scan(record.text, record.verbatim === true);
      for (const value of Object.values(record)) if (typeof value === 'object') walk(value);
    };
    walk(message.blocks ?? []);
    return pings;
  }

  protected operationOf(_req: http.IncomingMessage, path: string): string {
    return path.replace(/^\/api\//, '');
  }

  protected outageReply(): Reply {
    return { status: 503, body: { ok: false, error: 'service_unavailable' } };
  }

  protected handle(
    method: string,
    req: http.IncomingMessage,
    _path: string,
    query: Record<string, string>,
    rawBody: Record<string, unknown>,
    _rawText = '',
    rawBytes: Buffer = Buffer.alloc(0),
  ): Reply {
    // The upload URL is pre-authorised, as Slack's is: no token on this request.
    if (method.startsWith('upload/')) return this.receiveUpload(method.slice('upload/'.length), rawBytes);
    if (method.startsWith('response/')) return this.receiveResponse(method.slice('response/'.length), rawBody);
    const args = { ...query, ...decodeJsonFields(rawBody) };
    const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '') || String(args.token ?? '');
    if (!token) return ok({ ok: false, error: 'not_authed' });
    if (token !== this.botToken) return ok({ ok: false, error: 'invalid_auth' });

    switch (method) {
      case 'auth.test':
        return ok({
          ok: true,
          url: 'https://standin.slack.com/',
          team: 'Stand-in',
          user: 'switchboard',
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
        });
      case 'chat.postMessage':
        return this.postMessage(args);
      case 'chat.update':
        return this.updateMessage(args);
      case 'chat.postEphemeral':
        return this.postEphemeral(args);
      case 'conversations.history':
        return this.history(args);
      case 'conversations.replies':
        return this.replies(args);
      case 'views.open':
        return this.openView(args);
      case 'views.update':
        return this.updateView(args);
      case 'views.publish':
        return this.publishView(args);
      case 'conversations.open':
        return this.openDirectMessage(args);
      case 'files.getUploadURLExternal':
        return this.uploadUrl(args);
      case 'files.completeUploadExternal':
        return this.completeUpload(args);
      case 'users.info': {
        // https://docs.slack.dev/reference/methods/users.info
        const id = String(args.user ?? '');
        const name = (this.options.users ?? DEFAULT_USERS)[id];
        if (!name) return ok({ ok: false, error: 'user_not_found' });
        return ok({
          ok: true,
          user: { id, team_id: this.teamId, name, real_name: name, profile: { display_name: name, real_name: name } },
        });
      }
      case 'usergroups.users.list': {
        const members = this.options.userGroups?.[String(args.usergroup ?? '')];
        return ok(members ? { ok: true, users: members } : { ok: false, error: 'no_such_subteam' });
      }
      default:
        return ok({ ok: false, error: 'unknown_method' });
    }
  }

  /** Posts as a person would (the sandbox's thread box); returns the stored message. */
  postAsUser(channel: string, user: string, text: string, threadTs?: string): StoredMessage {
    const target = this.channels.get(channel);
    if (!target) throw new Error(`no channel ${channel}`);
    const message: StoredMessage = { ts: this.nextTs(), channel, text, user, thread_ts: threadTs };
    target.messages.push(message);
    this.emit('change', { type: 'message', message });
    return message;
  }

  private postMessage(args: Record<string, unknown>): Reply {
    const channel = this.channels.get(String(args.channel ?? ''));
    if (!channel) return ok({ ok: false, error: 'channel_not_found' });
    const problem = validateMessage(args);
    if (problem) return ok({ ok: false, error: problem });
    if (this.options.enforcePostRate && this.isOverPostRate(channel.id)) {
      return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '1' } };
    }
    const message: StoredMessage = {
      ts: this.nextTs(),
      channel: channel.id,
      text: String(args.text ?? ''),
      blocks: args.blocks as unknown[] | undefined,
      metadata: args.metadata as StoredMessage['metadata'],
      thread_ts: args.thread_ts ? String(args.thread_ts) : undefined,
      ...(args.thread_ts && (args.reply_broadcast === true || args.reply_broadcast === 'true') ? { reply_broadcast: true } : {}),
      user: this.botUserId,
      bot_id: this.botId,
    };
    channel.messages.push(message);
    this.emit('change', { type: 'message', message });
    return ok({ ok: true, channel: channel.id, ts: message.ts, message: { ...message, channel: undefined } });
  }

  private updateMessage(args: Record<string, unknown>): Reply {
    const channel = this.channels.get(String(args.channel ?? ''));
    if (!channel) return ok({ ok: false, error: 'channel_not_found' });
    const message = channel.messages.find((m) => m.ts === String(args.ts));
    if (!message) return ok({ ok: false, error: 'message_not_found' });
    if (message.bot_id !== this.botId) return ok({ ok: false, error: 'cant_update_message' });
    const problem = validateMessage(args);
    if (problem) return ok({ ok: false, error: problem });
    if (args.text !== undefined) message.text = String(args.text);
    if (args.blocks !== undefined) message.blocks = args.blocks as unknown[];
    if (args.metadata !== undefined) message.metadata = args.metadata as StoredMessage['metadata'];
    message.edited = { ts: this.nextTs() };
    this.emit('change', { type: 'update', message });
    return ok({ ok: true, channel: channel.id, ts: message.ts, text: message.text });
  }

  private postEphemeral(args: Record<string, unknown>): Reply {
    const channel = this.channels.get(String(args.channel ?? ''));
    if (!channel) return ok({ ok: false, error: 'channel_not_found' });
    if (!args.user) return ok({ ok: false, error: 'user_not_in_channel' });
    const problem = validateMessage(args);
    if (problem) return ok({ ok: false, error: problem });
    const message: StoredMessage = {
      ts: this.nextTs(),
      channel: channel.id,
      text: String(args.text ?? ''),
      blocks: args.blocks as unknown[] | undefined,
      thread_ts: args.thread_ts ? String(args.thread_ts) : undefined,
      ephemeralTo: String(args.user),
    };
    this.ephemerals.push(message);
    this.emit('change', { type: 'ephemeral', message });
    return ok({ ok: true, message_ts: message.ts });
  }

  /** https://docs.slack.dev/reference/methods/conversations.history: newest first, cursor paging. */
  private history(args: Record<string, unknown>): Reply {
    const channel = this.channels.get(String(args.channel ?? ''));
    if (!channel) return ok({ ok: false, error: 'channel_not_found' });
    const oldest = tsValue(String(args.oldest ?? '0'));
    const latest = args.latest ? tsValue(String(args.latest)) : undefined;
    const inclusive = String(args.inclusive) === 'true';
    const inRange = (ts: string) => {
      const value = tsValue(ts);
      const afterOldest = inclusive ? value >= oldest : value > oldest;
      const beforeLatest = latest === undefined || (inclusive ? value <= latest : value < latest);
      return afterOldest && beforeLatest;
    };
    const limit = Math.min(Math.max(Number(args.limit ?? 100) || 100, 1), 999);
    const withMetadata = String(args.include_all_metadata) === 'true';
    const topLevel = channel.messages
      .filter((m) => !m.thread_ts || m.thread_ts === m.ts)
      .filter((m) => inRange(m.ts))
      .reverse();
    const start = args.cursor ? Number(Buffer.from(String(args.cursor), 'base64').toString('utf8').replace('offset:', '')) : 0;
    const page = topLevel.slice(start, start + limit);
    const hasMore = start + limit < topLevel.length;
    return ok({
      ok: true,
      messages: page.map((m) => toWire(m, withMetadata)),
      has_more: hasMore,
      response_metadata: { next_cursor: hasMore ? Buffer.from(`offset:${start + limit}`).toString('base64') : '' },
    });
  }

  private replies(args: Record<string, unknown>): Reply {
    const channel = this.channels.get(String(args.channel ?? ''));
    if (!channel) return ok({ ok: false, error: 'channel_not_found' });
    const ts = String(args.ts ?? '');
    const thread = channel.messages.filter((m) => m.ts === ts || m.thread_ts === ts);
    if (thread.length === 0) return ok({ ok: false, error: 'thread_not_found' });
    return ok({ ok: true, messages: thread.map((m) => toWire(m, String(args.include_all_metadata) === 'true')), has_more: false });
  }

  private openDirectMessage(args: Record<string, unknown>): Reply {
    const user = String(args.users ?? '');
    if (!/^[UW][A-Z0-9]+$/.test(user)) return ok({ ok: false, error: 'user_not_found' });
    const id = `D${user.slice(1)}`;
    if (!this.channels.has(id)) this.channels.set(id, { id, name: `dm-${user}`, messages: [] });
    return ok({ ok: true, channel: { id } });
  }

  /** https://docs.slack.dev/reference/methods/files.getUploadURLExternal */
  private uploadUrl(args: Record<string, unknown>): Reply {
    const length = Number(args.length);
    if (!args.filename || !Number.isInteger(length) || length <= 0) return ok({ ok: false, error: 'invalid_arguments' });
    const id = `F${String(this.files.size + 1).padStart(8, '0')}`;
    this.files.set(id, { id, filename: String(args.filename), length, altText: args.alt_text ? String(args.alt_text) : undefined });
    return ok({ ok: true, upload_url: `${this.url}/api/upload/${id}`, file_id: id });
  }

  /**
   * A slash command's response_url, as Slack issues one with each command: it takes a JSON
   * message, up to five times within 30 minutes, ephemeral unless `response_type: in_channel`.
   * https://docs.slack.dev/interactivity/handling-user-interaction#message_responses
   */
  responseUrl(channel: string, user: string): string {
    const id = String(this.responseUrls.size + 1);
    this.responseUrls.set(id, { channel, user, issuedAt: Date.now(), uses: 0 });
    return `${this.url}/api/response/${id}`;
  }

  private receiveResponse(id: string, body: Record<string, unknown>): Reply {
    const target = this.responseUrls.get(id);
    if (!target) return { status: 404, body: { ok: false, error: 'no_such_response_url' } };
    if (target.uses >= 5 || Date.now() - target.issuedAt > 30 * 60_000) return { status: 410, body: { ok: false, error: 'expired_url' } };
    const problem = validateMessage(body);
    if (problem) return { status: 400, body: { ok: false, error: problem } };
    target.uses++;
    const message: StoredMessage = {
      ts: this.nextTs(),
      channel: target.channel,
      text: String(body.text ?? ''),
      blocks: body.blocks as unknown[] | undefined,
      ...(body.response_type === 'in_channel' ? { user: this.botUserId, bot_id: this.botId } : { ephemeralTo: target.user }),
    };
    if (message.ephemeralTo) {
      this.ephemerals.push(message);
      this.emit('change', { type: 'ephemeral', message });
    } else {
      this.channels.get(target.channel)?.messages.push(message);
      this.emit('change', { type: 'message', message });
    }
    return { status: 200, body: { ok: true } };
  }

  private receiveUpload(id: string, body: Buffer): Reply {
    const file = this.files.get(id);
    if (!file) return { status: 404, body: { error: 'unknown upload' } };
    // Slack checks the bytes against the length promised in getUploadURLExternal.
    if (body.length !== file.length) return { status: 400, body: { error: `expected ${file.length} bytes, received ${body.length}` } };
    file.content = Buffer.from(body);
    return { status: 200, body: { ok: true, bytes: file.content.length } };
  }

  /** https://docs.slack.dev/reference/methods/files.completeUploadExternal */
  private completeUpload(args: Record<string, unknown>): Reply {
    const list = Array.isArray(args.files) ? (args.files as Array<{ id?: string; title?: string }>) : [];
    const files = list.map((entry) => this.files.get(String(entry.id)));
    if (files.length === 0 || files.some((file) => !file?.content)) return ok({ ok: false, error: 'file_not_found' });
    const channel = args.channel_id ? this.channels.get(String(args.channel_id)) : undefined;
    if (args.channel_id && !channel) return ok({ ok: false, error: 'channel_not_found' });
    list.forEach((entry, index) => {
      const file = files[index];
      if (file) Object.assign(file, { title: entry.title, channel: channel?.id });
    });
    if (channel) {
      const message: StoredMessage = {
        ts: this.nextTs(),
        channel: channel.id,
        text: String(args.initial_comment ?? ''),
        user: this.botUserId,
        bot_id: this.botId,
        files: files.map((file) => ({ id: file?.id ?? '', name: file?.filename ?? '', title: file?.title ?? '' })),
      };
      channel.messages.push(message);
      this.emit('change', { type: 'message', message });
    }
    return ok({ ok: true, files: files.map((file) => ({ id: file?.id, title: file?.title })) });
  }

  /** https://docs.slack.dev/reference/methods/views.open */
  private openView(args: Record<string, unknown>): Reply {
    const triggerId = String(args.trigger_id ?? '');
    const trigger = this.triggers.get(triggerId);
    if (!trigger) return ok({ ok: false, error: 'invalid_trigger_id' });
    if (trigger.used) return ok({ ok: false, error: 'exchanged_trigger_id' });
    if (Date.now() - trigger.issuedAt > TRIGGER_TTL_MS) return ok({ ok: false, error: 'expired_trigger_id' });
    const view = args.view as Record<string, unknown> | undefined;
    const problem = validateView(view);
    if (problem) return ok({ ok: false, error: problem });
    trigger.used = true;
    const stored: StoredView = {
      id: `V${String(++this.viewSequence).padStart(8, '0')}`,
      hash: this.nextHash(),
      user: trigger.user,
      view: view ?? {},
    };
    this.viewsById.set(stored.id, stored);
    this.emit('change', { type: 'view', view: stored });
    return ok({ ok: true, view: { id: stored.id, hash: stored.hash, ...stored.view } });
  }

  /** `views.publish`: a Home tab (type `home`, at most 100 blocks) for one user of the workspace. */
  private publishView(args: Record<string, unknown>): Reply {
    const user = String(args.user_id ?? '');
    if (!/^[UW][A-Z0-9]{2,}$/.test(user)) return ok({ ok: false, error: 'invalid_arguments' });
    const view = args.view as Record<string, unknown> | undefined;
    if (!view || view.type !== 'home' || !Array.isArray(view.blocks) || view.blocks.length > 100)
      return ok({ ok: false, error: 'invalid_arguments' });
    this.homes.set(user, view);
    this.emit('change', { type: 'home', user });
    return ok({ ok: true, view: { id: `VH${user}`, ...view } });
  }

  private updateView(args: Record<string, unknown>): Reply {
    const stored = this.viewsById.get(String(args.view_id ?? ''));
    if (!stored) return ok({ ok: false, error: 'not_found' });
    if (args.hash && args.hash !== stored.hash) return ok({ ok: false, error: 'hash_conflict' });
    const view = args.view as Record<string, unknown> | undefined;
    const problem = validateView(view);
    if (problem) return ok({ ok: false, error: problem });
    stored.view = view ?? {};
    stored.hash = this.nextHash();
    this.emit('change', { type: 'view', view: stored });
    return ok({ ok: true, view: { id: stored.id, hash: stored.hash, ...stored.view } });
  }

  private nextHash(): string {
    return `${Date.now()}.${Math.random().toString(36).slice(2, 10)}`;
  }

  private isOverPostRate(channel: string): boolean {
    const now = Date.now();
    const recent = (this.postTimes.get(channel) ?? []).filter((t) => now - t < 5_000);
    recent.push(now);
    this.postTimes.set(channel, recent);
    // About one a second, with a burst: more than 8 in 5 s is refused.
    return recent.length > 8;
  }

  private nextTs(): string {
    this.sequence++;
    const seconds = Math.max(this.clock, Math.floor(Date.now() / 1000));
    this.clock = seconds;
    return `${seconds}.${String(this.sequence % 1_000_000).padStart(6, '0')}`;
  }
}

/** Slack timestamps are `seconds.micros` strings: compared exactly, not as floats (16 digits exceed a double). */
function tsValue(ts: string): bigint {
  const [seconds = '0', fraction = ''] = ts.split('.');
  return BigInt(seconds || '0') * 1_000_000n + BigInt(fraction.padEnd(6, '0').slice(0, 6) || '0');
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function decodeJsonFields(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  for (const field of JSON_FIELDS) {
    const value = out[field];
    if (typeof value === 'string') {
      try {
        out[field] = JSON.parse(value);
      } catch {
        out[field] = { __invalid_json__: value };
      }
    }
  }
  return out;
}

function validateView(view: Record<string, unknown> | undefined): string | undefined {
  if (!view || typeof view !== 'object') return 'invalid_arguments';
  if (view.type !== 'modal' || !view.title || !Array.isArray(view.blocks)) return 'invalid_arguments';
  if (view.blocks.length > 100) return 'invalid_arguments';
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) return 'invalid_arguments';
  return undefined;
}

/** The checks Slack makes that a bot most often trips on. */
function validateMessage(args: Record<string, unknown>): string | undefined {
  const blocks = args.blocks;
  if (blocks !== undefined) {
    if (!Array.isArray(blocks)) return 'invalid_blocks_format';
    if (blocks.length > MAX_BLOCKS) return 'invalid_blocks';
    for (const block of blocks as Array<Record<string, unknown>>) {
      const text = (block.text as { text?: unknown } | undefined)?.text;
      if (block.type === 'section' && typeof text === 'string' && (text.length === 0 || text.length > MAX_SECTION_TEXT)) {
        return 'invalid_blocks';
      }
    }
  } else if (!args.text && args.attachments === undefined) {
    return 'no_text';
  }
  const metadata = args.metadata as Record<string, unknown> | undefined;
  if (metadata !== undefined && (typeof metadata.event_type !== 'string' || typeof metadata.event_payload !== 'object')) {
    return 'invalid_metadata_format';
  }
  return undefined;
}

function toWire(message: StoredMessage, withMetadata: boolean): Record<string, unknown> {
  const { channel: _channel, ephemeralTo: _ephemeral, metadata, ...rest } = message;
  return { type: 'message', ...rest, ...(withMetadata && metadata ? { metadata } : {}) };
}
