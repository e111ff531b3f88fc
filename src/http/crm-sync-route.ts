import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CustomerDataError, validateCustomerData } from '../domain/customer-data.ts';
import type { Log } from '../log.ts';
import type { CustomerSync } from '../services/customer-sync.ts';
import { readBodyWithin } from './read-body.ts';

/** A request older (or newer) than this is refused: a captured request cannot be replayed later. */
export const SYNC_REPLAY_WINDOW_SECONDS = 300;
export const SYNC_MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Bodies read at once: unsigned floods cannot hold more than this many buffers in memory. */
const MAX_CONCURRENT_BODIES = 4;
const SIGNATURE = /^v1=[0-9a-f]{64}$/;

/**
 * POST /crm/sync: a shop or billing system pushes customers and orders in real time.
 * Signed like Slack's requests: `x-switchboard-signature: v1=<hex HMAC-SHA256 of "{timestamp}.{body}">`
 * with CRM_SYNC_SECRET, and `x-switchboard-timestamp` (Unix seconds). Checked in the order that
 * costs a sender the most and us the least: the headers (a stale or missing timestamp, a signature
 * that is not even shaped like one: 401) and the declared length (413) before a byte of the body is
 * read; then the body, up to its limit (413, and the connection closed); then the signature (401),
 * and a signature already used within its window (409: the same push is not applied twice); then
 * every field (400, naming each row and field). Nothing is stored on any 4xx.
 */
export function crmSyncRoute(options: { secret: string; sync: CustomerSync; log: Log; now?: () => number }) {
  const now = options.now ?? Date.now;
  /** Signatures accepted within the window, with when they stop mattering (the timestamp check refuses them after). */
  const used = new Map<string, number>();
  let reading = 0;
  return {
    path: '/crm/sync',
    method: ['POST'],
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(body));
      };
      const tooLarge = { error: 'body_too_large', message: `the body is over ${SYNC_MAX_BODY_BYTES} bytes` };
      const timestamp = String(req.headers['x-switchboard-timestamp'] ?? '');
      const signature = String(req.headers['x-switchboard-signature'] ?? '');
      if (!/^\d+$/.test(timestamp) || Math.abs(now() / 1000 - Number(timestamp)) > SYNC_REPLAY_WINDOW_SECONDS) {
        return reply(401, {
          error: 'stale_or_missing_timestamp',
          message: `x-switchboard-timestamp must be within ${SYNC_REPLAY_WINDOW_SECONDS} s of now`,
        });
      }
      if (!SIGNATURE.test(signature)) {
        return reply(401, { error: 'bad_signature', message: 'x-switchboard-signature must be v1= and 64 hex digits' });
      }
      if (Number(req.headers['content-length'] ?? 0) > SYNC_MAX_BODY_BYTES) return reply(413, tooLarge, { connection: 'close' });
      if (reading >= MAX_CONCURRENT_BODIES) {
        return reply(429, { error: 'busy', message: 'too many pushes at once; try again in a second' }, { 'retry-after': '1' });
      }
      let bytes: Buffer | undefined;
      reading++;
      try {
        bytes = await readBodyWithin(req, SYNC_MAX_BODY_BYTES);
      } finally {
        reading--;
      }
      if (!bytes) return reply(413, tooLarge, { connection: 'close' });
      const raw = bytes.toString('utf8');
      if (!isValidSignature(options.secret, timestamp, raw, signature)) {
        return reply(401, { error: 'bad_signature', message: 'x-switchboard-signature does not match the body' });
      }
      const nowMs = now();
      for (const [seen, until] of used) if (until < nowMs) used.delete(seen);
      if (used.has(signature)) {
        return reply(409, { error: 'replayed', message: 'this exact signed push was already received; sign each push anew' });
      }
      used.set(signature, Number(timestamp) * 1000 + SYNC_REPLAY_WINDOW_SECONDS * 1000);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return reply(400, { error: 'malformed_json', message: 'the body is not JSON' });
      }
      try {
        const result = await options.sync.apply(validateCustomerData(body));
        options.log.info('crm sync applied', { ...result });
        return reply(200, { ok: true, ...result });
      } catch (error) {
        if (error instanceof CustomerDataError) return reply(400, { error: 'invalid_data', problems: error.problems });
        options.log.error('crm sync failed', { error });
        return reply(500, { error: 'internal_error' });
      }
    },
  };
}

export function signSyncBody(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

function isValidSignature(secret: string, timestamp: string, body: string, given: string): boolean {
  const expected = Buffer.from(signSyncBody(secret, Number(timestamp), body));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
