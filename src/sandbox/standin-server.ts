import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBodyBytes } from '../http/read-body.ts';

/**
 * What the stand-ins share: a real HTTP server on a free port, a record of every call, and
 * injectable faults (HTTP errors, rate limits, delays, a dropped connection after the call took
 * effect, a whole outage), so tests can put the bot through what the real platforms do.
 */
export type Fault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'rate_limit'; retryAfterSeconds: number }
  | { kind: 'delay'; ms: number }
  /** The call takes effect, then the connection is cut before the answer: the caller cannot know. */
  | { kind: 'drop_after_commit' }
  /** The connection is cut before anything happens. */
  | { kind: 'drop' }
  /** No answer and no effect, ever: the caller waits until it gives up (or dies). */
  | { kind: 'hang' };

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
  status: number;
  at: string;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export class FaultPlan {
  private readonly queued = new Map<string, Array<Fault | undefined>>();
  outage = false;

  /** The next `times` calls of `operation` meet `fault`, after `after` calls that go through normally. */
  inject(operation: string, fault: Fault, times = 1, options: { after?: number } = {}): void {
    const list = this.queued.get(operation) ?? [];
    for (let i = 0; i < (options.after ?? 0); i++) list.push(undefined);
    for (let i = 0; i < times; i++) list.push(fault);
    this.queued.set(operation, list);
  }

  take(operation: string): Fault | undefined {
    const list = this.queued.get(operation);
    const fault = list?.shift();
    if (list && list.length === 0) this.queued.delete(operation);
    return fault;
  }

  clear(): void {
    this.queued.clear();
    this.outage = false;
  }
}

export abstract class StandinServer extends EventEmitter {
  readonly calls: RecordedCall[] = [];
  readonly faults = new FaultPlan();
  private server?: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  url = '';

  /** Which fault queue a request draws from (e.g. the Slack method name). */
  protected abstract operationOf(req: http.IncomingMessage, path: string): string;
  protected abstract handle(
    operation: string,
    req: http.IncomingMessage,
    path: string,
    query: Record<string, string>,
    body: Record<string, unknown>,
    rawBody: string,
    rawBytes: Buffer,
  ): Reply | Promise<Reply>;
  protected abstract outageReply(): Reply;

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = http.createServer((req, res) => void this.dispatch(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    const address = this.server.address() as AddressInfo;
    this.url = `http://${host}:${address.port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Added to every answer: a slow far side (`npm run bench` measures Slack acks with 250 ms here). */
  latencyMs = 0;

  /** Every call answered so far: a bench waits for it to stop growing. */
  get callCount(): number {
    return this.calls.length;
  }

  callsTo(operation: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === operation);
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawBytes = await readBodyBytes(req);
    const rawBody = rawBytes.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://standin');
    const query = Object.fromEntries(url.searchParams);
    const body = parseBody(req.headers['content-type'], rawBody);
    const operation = this.operationOf(req, url.pathname);
    // Emitted on arrival, before any fault or effect: a test can crash the bot mid-call.
    this.emit('request', { method: operation, body, query });
    const record = (status: number) => {
      const call: RecordedCall = {
        method: operation,
        path: url.pathname,
        query,
        body,
        headers: req.headers,
        status,
        at: new Date().toISOString(),
      };
      this.calls.push(call);
      this.emit('call', call);
    };

    const fault = this.faults.outage ? undefined : this.faults.take(operation);
    if (this.faults.outage) {
      const reply = this.outageReply();
      record(reply.status);
      return send(res, reply);
    }
    const delay = (fault?.kind === 'delay' ? fault.ms : 0) + this.latencyMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (fault?.kind === 'hang') {
      record(0);
      return;
    }
    if (fault?.kind === 'drop') {
      record(0);
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      record(fault.status);
      return send(res, { status: fault.status, body: fault.body ?? { error: 'injected' }, headers: fault.headers });
    }
    if (fault?.kind === 'rate_limit') {
      record(429);
      return send(res, this.rateLimitReply(operation, fault.retryAfterSeconds));
    }
    let reply: Reply;
    try {
      reply = await this.handle(operation, req, url.pathname, query, body, rawBody, rawBytes);
    } catch (error) {
      reply = { status: 500, body: { error: error instanceof Error ? error.message : String(error) } };
    }
    record(reply.status);
    if (fault?.kind === 'drop_after_commit') {
      req.socket.destroy();
      return;
    }
    send(res, reply);
  }

  protected rateLimitReply(_operation: string, retryAfterSeconds: number): Reply {
    return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(retryAfterSeconds) } };
  }
}

function send(res: http.ServerResponse, reply: Reply): void {
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
  res.end(body);
}

function parseBody(contentType: string | undefined, raw: string): Record<string, unknown> {
  if (!raw) return {};
  if (contentType?.includes('application/json')) {
    try {
      const parsed = JSON.parse(raw);
      return typeof parsed === 'object' && parsed !== null ? parsed : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}
