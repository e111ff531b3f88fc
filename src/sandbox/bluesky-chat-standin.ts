import type http from 'node:http';
import { type Reply, StandinServer } from './standin-server.ts';

/**
 * The Bluesky chat service (chat.bsky.convo.*), as the brand's PDS forwards it, built from the
 * lexicons and docs.bsky.app, and checked against the reference PDS (test/real): the PDS forwards a
 * call only with `atproto-proxy: did:web:api.bsky.chat#bsky_chat` (without it, to the AppView, which
 * has no chat: 501); an app password made without "Allow access to your direct messages" gets
 * `400 InvalidToken: Bad token method`; every change is a log entry with a rev (sortable, increasing) that `getLog` pages from;
 * `listConvos` and `getMessages` list newest first; a conversation someone opened with the brand
 * is a request until the brand answers; `sendMessage` takes 1,000 graphemes and 10,000 bytes and
 * refuses a conversation the customer left, or a customer who accepts no messages.
 */
export interface ChatProfile {
  did: string;
  handle: string;
  displayName?: string;
}

export interface ChatMessage {
  $type: 'chat.bsky.convo.defs#messageView';
  id: string;
  rev: string;
  text: string;
  sender: { did: string };
  sentAt: string;
}

interface Convo {
  id: string;
  members: ChatProfile[];
  /** The brand's side: a conversation the customer opened is a request until the brand replies. */
  status: 'request' | 'accepted';
  messages: ChatMessage[];
  /** The customer left it: nothing more can be sent. */
  locked: boolean;
}

interface LogEntry {
  $type: string;
  rev: string;
  convoId: string;
  message?: ChatMessage;
}

export const CHAT_PROXY = 'did:web:api.bsky.chat#bsky_chat';
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

export class BlueskyChatStandin {
  private readonly convos = new Map<string, Convo>();
  private readonly log: LogEntry[] = [];
  private lastRev = 0n;
  private nextMessage = 1;
  /** Customers (by DID) who accept no messages from the brand. */
  readonly closedInboxes = new Set<string>();
  /** False: the app password was made without access to direct messages. */
  appPasswordAllowsChat = true;

  constructor(
    private readonly brand: ChatProfile,
    private readonly now: () => number,
  ) {}

  /** A customer writes to the brand (opening a conversation, as a request, when there is none). */
  customerWrites(customer: ChatProfile, text: string, createdAt?: Date): ChatMessage {
    const convo = this.convoWith(customer);
    return this.append(convo, customer.did, text, createdAt);
  }

  /** The customer leaves the conversation: it is locked for the brand. */
  leave(customer: ChatProfile): void {
    const convo = this.convoWith(customer);
    convo.locked = true;
    this.log.push({ $type: 'chat.bsky.convo.defs#logLeaveConvo', rev: this.rev(), convoId: convo.id });
  }

  /** What the brand sent, oldest first. */
  sentByBrand(): ChatMessage[] {
    return [...this.convos.values()].flatMap((convo) => convo.messages.filter((message) => message.sender.did === this.brand.did));
  }

  /** Every message in every conversation, oldest first (the sandbox's Networks view). */
  allMessages(): ChatMessage[] {
    return [...this.convos.values()].flatMap((convo) => convo.messages).sort((a, b) => (a.rev < b.rev ? -1 : 1));
  }

  memberOf(did: string): ChatProfile | undefined {
    for (const convo of this.convos.values()) {
      const member = convo.members.find((candidate) => candidate.did === did);
      if (member) return member;
    }
    return undefined;
  }

  conversationOf(customer: ChatProfile): string | undefined {
    return [...this.convos.values()].find((convo) => convo.members.some((member) => member.did === customer.did))?.id;
  }

  handle(
    operation: string,
    headers: Record<string, string | string[] | undefined>,
    query: URLSearchParams,
    body: Record<string, unknown>,
    rate: Record<string, string>,
  ): Reply {
    // The PDS checks the token's right to chat first (the reference PDS's words; older ones said
    // "Bad token scope"), then forwards: without the header, to the AppView, which has no chat.
    if (!this.appPasswordAllowsChat) return error(400, 'InvalidToken', 'Bad token method', rate);
    if (headers['atproto-proxy'] !== CHAT_PROXY) {
      return error(501, 'MethodNotImplemented', `Method Not Implemented: ${operation}`, rate);
    }
    switch (operation) {
      case 'chat.bsky.convo.listConvos': {
        const limit = Math.min(Number(query.get('limit') ?? 50) || 50, 100);
        const all = [...this.convos.values()].sort((a, b) => (this.revOf(b) > this.revOf(a) ? 1 : -1));
        const after = query.get('cursor');
        const from = after ? all.findIndex((convo) => this.revOf(convo) < after) : 0;
        const page = from < 0 ? [] : all.slice(from, from + limit);
        const last = page.at(-1);
        return ok(
          { convos: page.map((convo) => this.view(convo)), ...(page.length === limit && last ? { cursor: this.revOf(last) } : {}) },
          rate,
        );
      }
      case 'chat.bsky.convo.getLog': {
        const cursor = query.get('cursor');
        // Without a cursor the log starts now: its cursor is the newest rev.
        if (!cursor) return ok({ logs: [], cursor: this.currentRev() }, rate);
        const logs = this.log.filter((entry) => entry.rev > cursor).slice(0, 100);
        return ok({ logs, cursor: logs.at(-1)?.rev ?? cursor }, rate);
      }
      case 'chat.bsky.convo.getConvo': {
        const convo = this.convos.get(query.get('convoId') ?? '');
        return convo ? ok({ convo: this.view(convo) }, rate) : error(400, 'InvalidRequest', 'Convo not found', rate);
      }
      case 'chat.bsky.convo.getMessages': {
        const convo = this.convos.get(query.get('convoId') ?? '');
        if (!convo) return error(400, 'InvalidRequest', 'Convo not found', rate);
        const limit = Math.min(Number(query.get('limit') ?? 50) || 50, 100);
        const newestFirst = [...convo.messages].reverse();
        const before = query.get('cursor');
        const page = (before ? newestFirst.filter((message) => message.rev < before) : newestFirst).slice(0, limit);
        const last = page.at(-1);
        return ok({ messages: page, ...(page.length === limit && last ? { cursor: last.rev } : {}) }, rate);
      }
      case 'chat.bsky.convo.sendMessage':
        return this.send(body, rate);
      default:
        return error(501, 'MethodNotImplemented', `Method Not Implemented: ${operation}`, rate);
    }
  }

  private send(body: Record<string, unknown>, rate: Record<string, string>): Reply {
    const convo = this.convos.get(String(body.convoId ?? ''));
    if (!convo) return error(400, 'InvalidRequest', 'Convo not found', rate);
    const text = String((body.message as { text?: unknown } | undefined)?.text ?? '');
    let length = 0;
    for (const _ of graphemes.segment(text)) length++;
    if (!text.trim()) return error(400, 'InvalidRequest', 'Message is empty', rate);
    if (length > 1000) return error(400, 'InvalidRequest', 'Input/message/text must not be longer than 1000 graphemes', rate);
    if (Buffer.byteLength(text, 'utf8') > 10_000)
      return error(400, 'InvalidRequest', 'Input/message/text must not be longer than 10000 characters', rate);
    if (convo.locked) return error(400, 'InvalidRequest', 'Convo is locked', rate);
    const customer = convo.members.find((member) => member.did !== this.brand.did);
    if (customer && this.closedInboxes.has(customer.did))
      return error(400, 'InvalidRequest', 'recipient has disabled incoming messages', rate);
    // Answering a request accepts it.
    convo.status = 'accepted';
    return ok(this.append(convo, this.brand.did, text), rate);
  }

  private convoWith(customer: ChatProfile): Convo {
    const existing = this.conversationOf(customer);
    if (existing) return this.convos.get(existing) as Convo;
    const convo: Convo = {
      id: `3l${this.rev().slice(2)}`,
      members: [this.brand, customer],
      status: 'request',
      messages: [],
      locked: false,
    };
    this.convos.set(convo.id, convo);
    this.log.push({ $type: 'chat.bsky.convo.defs#logBeginConvo', rev: this.rev(), convoId: convo.id });
    return convo;
  }

  private append(convo: Convo, senderDid: string, text: string, createdAt?: Date): ChatMessage {
    const message: ChatMessage = {
      $type: 'chat.bsky.convo.defs#messageView',
      id: `msg${String(this.nextMessage++).padStart(8, '0')}`,
      rev: this.rev(),
      text,
      sender: { did: senderDid },
      sentAt: (createdAt ?? new Date(this.now())).toISOString(),
    };
    convo.messages.push(message);
    this.log.push({ $type: 'chat.bsky.convo.defs#logCreateMessage', rev: message.rev, convoId: convo.id, message });
    return message;
  }

  private view(convo: Convo) {
    return {
      id: convo.id,
      rev: this.revOf(convo),
      members: convo.members,
      lastMessage: convo.messages.at(-1),
      muted: false,
      status: convo.status,
      unreadCount: 0,
    };
  }

  private revOf(convo: Convo): string {
    return convo.messages.at(-1)?.rev ?? '2222222222222';
  }

  private currentRev(): string {
    return this.log.at(-1)?.rev ?? '2222222222222';
  }

  /** A TID: 13 base32-sortable characters, increasing (microseconds since the epoch, then a counter). */
  private rev(): string {
    const micros = BigInt(this.now()) * 1000n;
    this.lastRev = micros > this.lastRev ? micros : this.lastRev + 1n;
    let value = this.lastRev << 10n;
    let out = '';
    for (let i = 0; i < 13; i++) {
      out = '234567abcdefghijklmnopqrstuvwxyz'[Number(value & 31n)] + out;
      value >>= 5n;
    }
    return out;
  }
}

const ok = (body: unknown, headers: Record<string, string>): Reply => ({ status: 200, body, headers });
const error = (status: number, name: string, message: string, headers: Record<string, string>): Reply => ({
  status,
  body: { error: name, message },
  headers,
});

/**
 * The chat service on its own, as the real PDS proxies to it (test/real points the reference PDS's
 * `did:web:api.bsky.chat` at this): each call carries the PDS's service-auth JWT for the user, with
 * the method it may call (`lxm`) and this service as audience. The JWT's claims are checked; its
 * signature is not (that needs the user's key from the PLC directory).
 */
export class ChatServiceStandin extends StandinServer {
  readonly chat: BlueskyChatStandin;
  /** The service-auth claims of every call, for a test to read. */
  readonly claims: Array<Record<string, unknown>> = [];

  constructor(brand: ChatProfile, now: () => number = Date.now) {
    super();
    this.chat = new BlueskyChatStandin(brand, now);
  }

  protected operationOf(_req: http.IncomingMessage, path: string): string {
    return path.replace(/^\/xrpc\//, '');
  }

  protected outageReply(): Reply {
    return { status: 503, body: { error: 'InternalServerError', message: 'Service Unavailable' } };
  }

  protected handle(
    operation: string,
    req: http.IncomingMessage,
    _path: string,
    _query: Record<string, string>,
    body: Record<string, unknown>,
  ): Reply {
    const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    let claims: Record<string, unknown>;
    try {
      claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return error(401, 'AuthenticationRequired', 'jwt malformed', {});
    }
    this.claims.push(claims);
    if (claims.aud !== CHAT_PROXY.split('#')[0]) return error(401, 'BadJwtAudience', 'jwt audience does not match service did', {});
    if (claims.lxm !== operation) return error(401, 'BadJwtLexiconMethod', 'jwt lexicon method ("lxm") does not match', {});
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return error(401, 'JwtExpired', 'jwt expired', {});
    const url = new URL(req.url ?? '/', 'http://standin');
    return this.chat.handle(operation, { 'atproto-proxy': CHAT_PROXY }, url.searchParams, body, {});
  }
}
