import { AtpAgent, XRPCError } from '@atproto/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snowflakeTime } from '../../src/platforms/x/x-platform.ts';
import { BlueskyStandin } from '../../src/sandbox/bluesky-standin.ts';
import { MastodonStandin } from '../../src/sandbox/mastodon-standin.ts';
import { XStandin } from '../../src/sandbox/x-standin.ts';

/**
 * The stand-ins behave as the real services do where the bot depends on it. Each case is a
 * difference found by running the bot against the real software (the atproto reference PDS and
 * AppView, test/real/) or in the platforms' documentation, fixed in the stand-in and held here.
 */
describe('the Bluesky stand-in, as the reference PDS and AppView behave', () => {
  let bluesky: BlueskyStandin;
  let agent: AtpAgent;
  beforeEach(async () => {
    bluesky = new BlueskyStandin();
    await bluesky.listen();
    agent = new AtpAgent({ service: bluesky.apiUrl });
    await agent.login({ identifier: bluesky.brand.handle, password: bluesky.appPassword });
  });
  afterEach(() => bluesky.close());

  const list = async (cursor?: string) => (await agent.app.bsky.notification.listNotifications({ limit: 1, cursor })).data;
  const refusal = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      if (error instanceof XRPCError) return { status: error.status, error: error.error, message: error.message };
      throw error;
    }
    throw new Error('expected a refusal');
  };

  it('sorts by the author’s createdAt, so a backdated post is listed below newer ones', async () => {
    const newer = bluesky.addMention({ handle: 'ada' }, 'now');
    const backdated = bluesky.addMention({ handle: 'grace' }, 'written earlier', { createdAt: new Date(Date.now() - 600_000) });
    expect(backdated.indexedAt).toBe(backdated.record.createdAt);
    const first = await list();
    expect(first.notifications[0]?.uri).toBe(newer.uri);
    expect((await list(first.cursor)).notifications[0]?.uri).toBe(backdated.uri);
    // A clock running ahead is capped at arrival.
    const future = bluesky.addMention({ handle: 'hedy' }, 'from the future', { createdAt: new Date(Date.now() + 3_600_000) });
    expect(Date.parse(future.indexedAt)).toBeLessThanOrEqual(Date.now());
  });

  it('pages with the last item’s timestamp as cursor, on the last page too, and ends with an empty page', async () => {
    const older = bluesky.addMention({ handle: 'ada' }, 'one');
    const newer = bluesky.addMention({ handle: 'ada' }, 'two');
    const first = await list();
    expect(first.cursor).toBe(newer.indexedAt);
    const second = await list(first.cursor);
    expect(second.notifications.map((n) => n.uri)).toEqual([older.uri]);
    expect(second.cursor).toBe(older.indexedAt);
    const third = await list(second.cursor);
    expect(third.notifications).toEqual([]);
    expect(third.cursor).toBeUndefined();
  });

  it('notifies only for a mention facet, once per post, as mention, reply or quote', async () => {
    const brandPost = bluesky.brandPost('New tents are in!');
    bluesky.addMention({ handle: 'typed' }, `@${bluesky.brand.handle} typed without a facet`, { facet: false });
    const replyMentioning = bluesky.addMention({ handle: 'ada' }, `@${bluesky.brand.handle} love them`, { replyTo: brandPost });
    const stranger = bluesky.customerPost({ handle: 'grace' }, 'me too', { replyTo: replyMentioning });
    const deepReply = bluesky.customerPost({ handle: 'hedy' }, 'which colour?', { replyTo: stranger });
    const quote = bluesky.addQuote({ handle: 'linus' }, 'look at these', brandPost);
    const { notifications } = (await agent.app.bsky.notification.listNotifications({ limit: 50 })).data;
    expect(notifications.map((n) => [n.uri, n.reason])).toEqual([
      [quote.uri, 'quote'],
      [deepReply.uri, 'reply'],
      [stranger.uri, 'reply'],
      [replyMentioning.uri, 'mention'],
    ]);
    const facet = JSON.stringify(replyMentioning.record.facets);
    expect(facet).toContain(bluesky.brand.did);
    expect(facet).toContain(`"byteStart":0,"byteEnd":${Buffer.byteLength(`@${bluesky.brand.handle}`)}`);
  });

  it('leaves displayName out for an author with no profile', async () => {
    bluesky.addMention({ handle: 'noprofile' }, 'hi');
    bluesky.addMention({ handle: 'named', displayName: 'Named Person' }, 'hi');
    const { notifications } = (await agent.app.bsky.notification.listNotifications({})).data;
    expect(notifications.map((n) => n.author.displayName)).toEqual(['Named Person', undefined]);
    expect(JSON.stringify(notifications[1]?.author)).not.toContain('displayName');
  });

  it('answers 500 for a record key that exists, and refuses text over 3,000 bytes or 300 graphemes in the PDS’s words', async () => {
    const record = (text: string) => ({ $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() });
    const create = (text: string, rkey?: string) =>
      agent.com.atproto.repo.createRecord({ repo: bluesky.brand.did, collection: 'app.bsky.feed.post', rkey, record: record(text) });
    await create('first', '3lzzzzzzzzzz2');
    expect(await refusal(() => create('again', '3lzzzzzzzzzz2'))).toEqual({
      status: 500,
      error: 'InternalServerError',
      message: 'Internal Server Error',
    });
    expect((await refusal(() => create('é'.repeat(1600)))).message).toBe(
      'Invalid app.bsky.feed.post record: string too big (maximum 3000, got 3200) at $.record.text',
    );
    expect((await refusal(() => create('a'.repeat(301)))).message).toBe(
      'Invalid app.bsky.feed.post record: grapheme too big (maximum 300, got 301) at $.record.text',
    );
    expect(
      await refusal(() =>
        agent.com.atproto.repo.getRecord({ repo: bluesky.brand.did, collection: 'app.bsky.feed.post', rkey: '3lzzzzzzzzzz3' }),
      ),
    ).toMatchObject({ status: 400, error: 'RecordNotFound' });
  });

  it('rotates the refresh token on resume, and after 30 failed logins refuses even the right password', async () => {
    const saved = agent.session!;
    const resumed = new AtpAgent({ service: bluesky.apiUrl });
    await resumed.resumeSession(saved);
    expect(resumed.session?.refreshJwt).not.toBe(saved.refreshJwt);
    const reused = await refusal(() => new AtpAgent({ service: bluesky.apiUrl }).resumeSession(saved));
    expect(reused).toMatchObject({ status: 400, error: 'ExpiredToken' });

    const stranger = new AtpAgent({ service: bluesky.apiUrl });
    // One login already spent above; 29 wrong passwords fill the window of 30.
    for (let i = 0; i < 29; i++) {
      expect(await refusal(() => stranger.login({ identifier: bluesky.brand.handle, password: 'wrong' }))).toMatchObject({ status: 401 });
    }
    expect(await refusal(() => stranger.login({ identifier: bluesky.brand.handle, password: bluesky.appPassword }))).toMatchObject({
      status: 429,
      error: 'RateLimitExceeded',
    });
  });
});

describe('the X stand-in, as X documents it', () => {
  let x: XStandin;
  beforeEach(() => {
    x = new XStandin();
    return x.listen();
  });
  afterEach(() => x.close());

  it('makes Snowflake IDs from the creation time, so a post made earlier and seen later has a lower ID', () => {
    const now = x.addMention({ username: 'ada_l', name: 'Ada' }, 'now');
    const earlier = x.addMention({ username: 'grace_h', name: 'Grace' }, 'earlier', new Date(Date.now() - 30_000));
    // X gives created_at to the second; the ID keeps the millisecond.
    const second = (id: string) => Math.floor(snowflakeTime(id) / 1000) * 1000;
    expect(second(now.id)).toBe(Date.parse(now.created_at));
    expect(second(earlier.id)).toBe(Date.parse(earlier.created_at));
    expect(BigInt(earlier.id) < BigInt(now.id)).toBe(true);
  });

  it('names the bad parameter of an Invalid Request in `errors`', async () => {
    const response = await fetch(`${x.apiUrl}users/${x.brand.id}/mentions?max_results=3`, {
      headers: { authorization: `Bearer ${x.bearerToken}` },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [{ parameters: { max_results: ['3'] }, message: 'The `max_results` query parameter value [3] is not between 5 and 100' }],
      title: 'Invalid Request',
      detail: 'One or more parameters to your request was invalid.',
      type: 'https://api.twitter.com/2/problems/invalid-request',
    });
    expect(response.headers.get('x-rate-limit-limit')).not.toBeNull();
  });
});

describe('the Mastodon stand-in, as Mastodon documents and runs it', () => {
  let mastodon: MastodonStandin;
  beforeEach(() => {
    mastodon = new MastodonStandin();
    return mastodon.listen();
  });
  afterEach(() => mastodon.close());

  const list = async (query: string) => {
    const response = await fetch(`${mastodon.apiUrl}/api/v1/notifications?${query}`, {
      headers: { authorization: `Bearer ${mastodon.accessToken}` },
    });
    return { ids: ((await response.json()) as Array<{ id: string }>).map((n) => n.id), link: response.headers.get('link') ?? '' };
  };

  it('gives rel="next" only after a full page', async () => {
    for (let i = 0; i < 3; i++) mastodon.addMention({ username: `user${i}` }, `hello ${i}`);
    expect((await list('limit=2')).link).toContain('rel="next"');
    expect((await list('limit=5')).link).not.toContain('rel="next"');
    expect((await list('limit=5')).link).toContain('rel="prev"');
  });

  it('lists a notification whose transaction commits late only then, under its lower ID', async () => {
    const late = mastodon.addMention({ username: 'grace' }, 'slow transaction', { uncommitted: true });
    mastodon.addMention({ username: 'ada' }, 'fast one');
    const before = await list('types[]=mention');
    expect(before.ids).toHaveLength(1);
    mastodon.commitNotifications();
    const after = await list('types[]=mention');
    expect(after.ids).toHaveLength(2);
    expect(after.ids[0]).toBe(before.ids[0]); // newest first: the late one sorts below
    expect(late.id).toBeDefined();
  });
});
