import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Log } from '../log.ts';
import { isValidMetaSignature } from '../platforms/meta/webhook.ts';
import { readBodyWithin } from './read-body.ts';

/** Meta's deliveries are small (a few events); anything this large is not one. */
export const META_MAX_BODY_BYTES = 1024 * 1024;
/** Bodies read at once: unsigned floods cannot hold more than this many buffers in memory. */
const MAX_CONCURRENT_BODIES = 16;

/**
 * `GET /meta/webhook`: the subscription handshake — `hub.mode=subscribe` with the right
 * `hub.verify_token` gets `hub.challenge` back, anything else 403.
 * `POST /meta/webhook`: a delivery. The signature header is checked for shape (401) and the
 * declared length (413) before the body is read; the body is read up to 1 MB (413, connection
 * closed); `X-Hub-Signature-256` is checked against the raw bytes in constant time (403) before a
 * byte is parsed; then the delivery is stored and answered 200 at once. Nothing is stored on a 4xx.
 * Meta retries a delivery that is not answered 200 within seconds, so the slow work (reading
 * Instagram comments, posting to Slack) happens after the answer, from the stored copy.
 */
export function metaWebhookRoute(options: { appSecret: string; verifyToken: string; receive: (body: string) => Promise<void>; log: Log }) {
  let reading = 0;
  return {
    path: '/meta/webhook',
    method: ['GET', 'POST'],
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
        res.end(body);
      };
      if (req.method === 'GET') {
        const query = new URL(req.url ?? '/', 'http://switchboard').searchParams;
        const challenge = query.get('hub.challenge') ?? '';
        if (query.get('hub.mode') === 'subscribe' && constantTimeEquals(query.get('hub.verify_token') ?? '', options.verifyToken)) {
          options.log.info('Meta webhook subscription verified');
          // Echoed as plain text, as Meta expects; only digits and letters, so nothing can be injected.
          return reply(200, challenge.replace(/[^\w-]/g, ''));
        }
        return reply(403, 'the verify token does not match META_VERIFY_TOKEN');
      }
      const signature = req.headers['x-hub-signature-256'];
      if (typeof signature !== 'string' || !/^sha256=[0-9a-f]{64}$/i.test(signature)) {
        return reply(401, 'X-Hub-Signature-256 is missing or not sha256= and 64 hex digits');
      }
      if (Number(req.headers['content-length'] ?? 0) > META_MAX_BODY_BYTES)
        return reply(413, 'the body is too large', { connection: 'close' });
      if (reading >= MAX_CONCURRENT_BODIES) return reply(429, 'too many deliveries at once', { 'retry-after': '1' });
      let raw: Buffer | undefined;
      reading++;
      try {
        raw = await readBodyWithin(req, META_MAX_BODY_BYTES);
      } finally {
        reading--;
      }
      if (!raw) return reply(413, 'the body is too large', { connection: 'close' });
      if (!isValidMetaSignature(options.appSecret, raw, signature)) {
        options.log.warn('refused a Meta webhook delivery whose signature does not match META_APP_SECRET');
        return reply(403, 'the signature does not match');
      }
      try {
        await options.receive(raw.toString('utf8'));
      } catch (error) {
        // Not stored: Meta delivers it again later.
        options.log.error('could not store a Meta webhook delivery', { error });
        return reply(500, 'not stored; deliver it again');
      }
      return reply(200, 'EVENT_RECEIVED');
    },
  };
}

/** Compares digests of equal length, so neither the content nor the length of the token leaks through timing. */
function constantTimeEquals(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
