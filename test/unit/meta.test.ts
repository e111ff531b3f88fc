import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GraphApi, usageOf } from '../../src/platforms/meta/graph-api.ts';
import { messagingWindow } from '../../src/platforms/meta/messaging-window.ts';
import { MetaPlatform } from '../../src/platforms/meta/meta-platform.ts';
import { isValidMetaSignature, readDelivery, signMetaBody } from '../../src/platforms/meta/webhook.ts';
import { PlatformError } from '../../src/platforms/platform.ts';
import { MetaStandin } from '../../src/sandbox/meta-standin.ts';

describe("Meta's webhook signature", () => {
  const body = Buffer.from('{"object":"page","entry":[]}');
  it('accepts the HMAC-SHA256 of the raw bytes with the app secret, and nothing else', () => {
    const signature = signMetaBody('secret', body);
    expect(isValidMetaSignature('secret', body, signature)).toBe(true);
    expect(isValidMetaSignature('secret', body, signature.toUpperCase().replace('SHA256', 'sha256'))).toBe(true);
    expect(isValidMetaSignature('other', body, signature)).toBe(false);
    expect(isValidMetaSignature('secret', Buffer.from(`${body} `), signature)).toBe(false);
    expect(isValidMetaSignature('secret', body, undefined)).toBe(false);
    expect(isValidMetaSignature('secret', body, signature.slice(0, -2))).toBe(false);
    // The older SHA-1 header's shape is not taken for the SHA-256 one.
    expect(isValidMetaSignature('secret', body, `sha1=${'a'.repeat(40)}`)).toBe(false);
  });

  it('reads Page changes, Instagram changes in either layout, and messaging; leaves out what is not one', () => {
    const delivery = readDelivery(
      JSON.stringify({
        object: 'instagram',
        entry: [
          { id: '17841', time: 1_764_000_000, field: 'comments', value: { id: 'c1', text: 'hi' } },
          { id: '17841', time: 1_764_000_001, changes: [{ field: 'mentions', value: { comment_id: 'c2', media_id: 'm1' } }, 'junk'] },
          {
            id: '17841',
            time: 1_764_000_002,
            messaging: [
              {
                sender: { id: 'u1' },
                recipient: { id: '17841' },
                timestamp: 1_764_000_002_000,
                message: { mid: 'mid.1', text: 'yo', is_echo: true },
              },
            ],
          },
          'junk',
          { id: '17841', messaging: [{ sender: 'nobody' }] },
        ],
      }),
    );
    expect(delivery.changes.map((change) => [change.field, change.value.id ?? change.value.comment_id])).toEqual([
      ['comments', 'c1'],
      ['mentions', 'c2'],
    ]);
    expect(delivery.messaging).toEqual([
      {
        object: 'instagram',
        accountId: '17841',
        senderId: 'u1',
        recipientId: '17841',
        timestamp: 1_764_000_002_000,
        message: { mid: 'mid.1', text: 'yo', isEcho: true, isDeleted: false, hasAttachments: false },
      },
    ]);
    expect(readDelivery('{"object":"user","entry":[{"id":"1","changes":[]}]}')).toEqual({ changes: [], messaging: [] });
    expect(() => readDelivery('not json')).toThrow(SyntaxError);
  });
});

describe("Messenger's and Instagram's messaging window", () => {
  const last = '2026-12-01T10:00:00.000Z';
  const at = (hours: number) => new Date(Date.parse(last) + hours * 3_600_000);
  it('is open for 24 hours after the customer last wrote', () => {
    expect(messagingWindow('Messenger', last, at(23.9), false)).toEqual({ kind: 'open' });
  });
  it('after that needs the Human Agent permission, up to 7 days, and says until when it could have gone', () => {
    const closed = messagingWindow('Messenger', last, at(30), false);
    expect(closed.kind).toBe('closed');
    expect(closed.kind === 'closed' && closed.reason).toContain('could have been sent until 2026-12-02 10:00 UTC');
    expect(closed.kind === 'closed' && closed.reason).toContain('META_HUMAN_AGENT=true');
    expect(messagingWindow('Messenger', last, at(30), true)).toEqual({ kind: 'human_agent' });
    const week = messagingWindow('Instagram', last, at(24 * 7 + 1), true);
    expect(week.kind === 'closed' && week.reason).toContain('Instagram allows no reply more than 7 days');
    expect(week.kind === 'closed' && week.reason).toContain('until 2026-12-08 10:00 UTC');
  });
  it('is closed before the customer has written at all', () => {
    expect(messagingWindow('Messenger', undefined, at(0), true).kind).toBe('closed');
  });
});

describe('the Graph API client', () => {
  let standin: MetaStandin;
  const pauses: number[] = [];
  const client = (token = standin.pageAccessToken) =>
    new GraphApi({ baseUrl: standin.apiUrl, version: standin.version, accessToken: token, sleep: async (ms) => void pauses.push(ms) });
  beforeEach(async () => {
    standin = new MetaStandin({ callsPerHour: 10 });
    await standin.listen();
    pauses.length = 0;
  });
  afterEach(() => standin.close());

  it('reads the usage headers, spaces calls out above 80 %, and waits on error code 4', async () => {
    const graph = client();
    for (let i = 0; i < 8; i++) await graph.get(standin.page.id, { fields: 'id' });
    expect(graph.usagePercent).toBe(80);
    expect(pauses).toEqual([]);
    await graph.get(standin.page.id, { fields: 'id' }); // 90 % after this one
    await graph.get(standin.page.id, { fields: 'id' });
    // From nothing at 80 % to 30 s at 100 %: at 90 % half of it.
    expect(pauses).toEqual([15_000]);
    const throttled = await graph.get(standin.page.id).catch((error: unknown) => error);
    expect(throttled).toBeInstanceOf(PlatformError);
    expect(throttled).toMatchObject({ code: 'rate_limited', graph: { code: 4 } });
    expect((throttled as PlatformError).details.resetAt?.getTime()).toBeGreaterThan(Date.now());
    // The token is sent in a header, never in the URL.
    expect(standin.calls.every((call) => !JSON.stringify(call.query).includes(standin.pageAccessToken))).toBe(true);
    expect(standin.calls[0]?.headers.authorization).toBe(`Bearer ${standin.pageAccessToken}`);
  });

  it("turns Meta's errors into what the core acts on", async () => {
    await expect(client('wrong').get(standin.page.id)).rejects.toMatchObject({ code: 'unauthorized', graph: { code: 190 } });
    standin.faults.inject('GET page', { kind: 'status', status: 500, body: { error: { message: 'oops', code: 2 } } });
    await expect(client().get(standin.page.id)).rejects.toMatchObject({ code: 'unavailable', isTransient: true });
    standin.faults.inject('GET page', {
      kind: 'status',
      status: 400,
      body: { error: { message: '(#80001) There have been too many calls to this Page account', code: 80_001 } },
      headers: {
        'x-business-use-case-usage': JSON.stringify({
          [standin.page.id]: [{ type: 'pages', call_count: 100, estimated_time_to_regain_access: 5 }],
        }),
      },
    });
    const paged = await client()
      .get(standin.page.id)
      .catch((error: unknown) => error as PlatformError);
    expect(paged).toMatchObject({ code: 'rate_limited' });
    // Meta's estimate (5 minutes) is when the next try happens.
    expect(((paged as PlatformError).details.resetAt?.getTime() ?? 0) - Date.now()).toBeGreaterThan(4 * 60_000);
    expect(usageOf(new Headers({ 'x-app-usage': '{"call_count":12,"total_time":85,"total_cputime":3}' }))).toBe(85);
    expect(usageOf(new Headers({ 'x-app-usage': 'not json' }))).toBe(0);
    await expect(client().get('999/nothing')).rejects.toMatchObject({ code: 'rejected', graph: { code: 100 } });
  });
});

describe('a private reply on Messenger', () => {
  let standin: MetaStandin;
  beforeEach(async () => {
    standin = new MetaStandin();
    await standin.listen();
  });
  afterEach(() => standin.close());

  it('goes out tagged HUMAN_AGENT after 24 hours only when a person sends it, never for a rule', async () => {
    standin.humanAgentPermission = true;
    const config = {
      appSecret: standin.appSecret,
      verifyToken: standin.verifyToken,
      pageId: standin.page.id,
      pageAccessToken: standin.pageAccessToken,
      graphUrl: standin.apiUrl,
      graphVersion: standin.version,
      humanAgent: true,
    };
    const facebook = await MetaPlatform.connect(config, 'facebook', { pollIntervalMs: 60_000, directMessages: true });
    const wroteAt = Date.now() - 30 * 3_600_000;
    await standin.customerMessage('facebook', { id: '6100000000000077', name: 'Mary Jackson' }, 'Any news on my refund?', { at: wroteAt });
    const target = { conversationId: '6100000000000077', participants: [], lastInboundAt: new Date(wroteAt).toISOString() };
    const dms = facebook.directMessages;
    if (!dms) throw new Error('Messenger is not on');
    await expect(dms.send(target, 'Automatic: we are on it', 'auto:1', { byRule: true })).rejects.toThrow(/24 hours/);
    expect(standin.callsTo('POST messages')).toHaveLength(0);
    await dms.send(target, 'Your refund left today, Mary.', 'reply:1');
    expect(standin.callsTo('POST messages')[0]?.body).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
    expect(standin.brandMessages().map((message) => message.text)).toEqual(['Your refund left today, Mary.']);
  });
});
