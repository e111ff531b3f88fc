import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Meta's webhooks, as its documentation describes them (Webhooks getting started, Webhooks for
 * Pages, Instagram webhook examples, Messenger webhook events): a signed JSON body of
 * `{ object: 'page' | 'instagram', entry: [{ id, time, changes?: [{ field, value }], messaging?: [...] }] }`.
 * This file checks the signature and reads the shape; what it means to Switchboard is
 * `meta-platform.ts`'s business. Everything in a body is untrusted.
 */

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`, compared in constant time. */
export function isValidMetaSignature(appSecret: string, rawBody: Buffer, header: string | undefined): boolean {
  const match = SIGNATURE.exec(header ?? '');
  if (!match?.[1]) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  const given = Buffer.from(match[1], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function signMetaBody(appSecret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** One change of one entry: a comment on a Page post, an Instagram comment or @mention. */
export interface WebhookChange {
  object: 'page' | 'instagram';
  /** The Page's or the Instagram account's ID the entry is for. */
  accountId: string;
  /** When Meta sent it (Unix seconds). */
  time: number;
  field: string;
  value: Record<string, unknown>;
}

/** One Messenger or Instagram messaging event. */
export interface WebhookMessaging {
  object: 'page' | 'instagram';
  accountId: string;
  senderId: string;
  recipientId: string;
  /** Unix milliseconds. */
  timestamp: number;
  message?: { mid: string; text?: string; isEcho: boolean; isDeleted: boolean; hasAttachments: boolean };
}

export interface WebhookDelivery {
  changes: WebhookChange[];
  messaging: WebhookMessaging[];
}

/** Reads a delivery's shape, leaving out whatever is not one; throws only when it is not JSON at all. */
export function readDelivery(body: string): WebhookDelivery {
  const parsed: unknown = JSON.parse(body);
  const delivery: WebhookDelivery = { changes: [], messaging: [] };
  if (!isRecord(parsed) || (parsed.object !== 'page' && parsed.object !== 'instagram') || !Array.isArray(parsed.entry)) return delivery;
  const object = parsed.object;
  for (const entry of parsed.entry) {
    if (!isRecord(entry)) continue;
    const accountId = String(entry.id ?? '');
    const time = typeof entry.time === 'number' ? entry.time : 0;
    // Instagram's examples put one change's field/value on the entry itself; Pages use `changes`.
    const changes = Array.isArray(entry.changes) ? entry.changes : typeof entry.field === 'string' ? [entry] : [];
    for (const change of changes) {
      if (isRecord(change) && typeof change.field === 'string' && isRecord(change.value)) {
        delivery.changes.push({
          object,
          accountId,
          time: time > 1e12 ? Math.floor(time / 1000) : time,
          field: change.field,
          value: change.value,
        });
      }
    }
    if (!Array.isArray(entry.messaging)) continue;
    for (const event of entry.messaging) {
      if (!isRecord(event) || !isRecord(event.sender) || !isRecord(event.recipient)) continue;
      const message = isRecord(event.message) ? event.message : undefined;
      delivery.messaging.push({
        object,
        accountId,
        senderId: String(event.sender.id ?? ''),
        recipientId: String(event.recipient.id ?? ''),
        timestamp: typeof event.timestamp === 'number' ? event.timestamp : time * 1000,
        message:
          message && typeof message.mid === 'string'
            ? {
                mid: message.mid,
                text: typeof message.text === 'string' ? message.text : undefined,
                isEcho: message.is_echo === true,
                isDeleted: message.is_deleted === true,
                hasAttachments: Array.isArray(message.attachments) && message.attachments.length > 0,
              }
            : undefined,
      });
    }
  }
  return delivery;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const stringOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
