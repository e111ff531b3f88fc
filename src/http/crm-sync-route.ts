import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CustomerDataError, validateCustomerData } from '../domain/customer-data.ts';
import type { Log } from '../log.ts';
import type { CustomerSync } from '../services/customer-sync.ts';
import { readBody } from './read-body.ts';

/** A request older (or newer) than this is refused: a captured request cannot be replayed later. */
export const SYNC_REPLAY_WINDOW_SECONDS = 300;
const MAX_BODY_BYTES = 5 * 1024 * 1024;

/**
 * POST /crm/sync: a shop or billing system pushes customers and orders in real time.
 * Signed like Slack's requests: `x-switchboard-signature: v1=<hex HMAC-SHA256 of "{timestamp}.{body}">`
 * with CRM_SYNC_SECRET, and `x-switchboard-timestamp` (Unix seconds). Bad signature or stale
 * timestamp: 401; malformed body: 400 naming each row and field. Nothing is stored on any 4xx.
 */
export function crmSyncRoute(options: { secret: string; sync: CustomerSync; log: Log; now?: () => number }) {
  const now = options.now ?? Date.now;
  return {
    path: '/crm/sync',
    method: ['POST'],
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      let raw: string;
      try {
        raw = await readBody(req, MAX_BODY_BYTES);
      } catch {
        return reply(413, { error: 'body_too_large', message: `the body is over ${MAX_BODY_BYTES} bytes` });
      }
      const timestamp = String(req.headers['x-switchboard-timestamp'] ?? '');
      const signature = String(req.headers['x-switchboard-signature'] ?? '');
      if (!/^\d+$/.test(timestamp) || Math.abs(now() / 1000 - Number(timestamp)) > SYNC_REPLAY_WINDOW_SECONDS) {
        return reply(401, {
          error: 'stale_or_missing_timestamp',
          message: `x-switchboard-timestamp must be within ${SYNC_REPLAY_WINDOW_SECONDS} s of now`,
        });
      }
      if (!isValidSignature(options.secret, timestamp, raw, signature)) {
        return reply(401, { error: 'bad_signature', message: 'x-switchboard-signature does not match the body' });
      }
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
