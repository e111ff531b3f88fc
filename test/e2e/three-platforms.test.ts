import { describe, expect, it } from 'vitest';
import { FAST, useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow, textOf } from '../helpers/reply-flow.ts';

describe('X, Mastodon and Bluesky together', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const allThree = () => ({
    MASTODON_URL: bed.standins.mastodon.apiUrl,
    MASTODON_ACCESS_TOKEN: bed.standins.mastodon.accessToken,
    BLUESKY_SERVICE: bed.standins.bluesky.apiUrl,
    BLUESKY_IDENTIFIER: bed.standins.bluesky.brand.handle,
    BLUESKY_APP_PASSWORD: bed.standins.bluesky.appPassword,
  });

  it('ingests all three, says which are on in /healthz, and keeps one contact with identities on each', async () => {
    await bed.start(allThree(), FAST);
    const health = await bed.health();
    expect(Object.keys(health.platforms).sort()).toEqual(['bluesky', 'mastodon', 'x']);

    const onX = await flow.mention('where is my order?', { username: 'ada_l', name: 'Ada Lovelace' });
    const toot = bed.standins.mastodon.addMention({ username: 'ada', display_name: 'Ada L.', domain: 'other.example' }, 'and my refund?');
    const skeet = bed.standins.bluesky.addMention({ handle: 'ada', displayName: 'Ada' }, 'also: the zip');
    const onMastodon = await flow.posted(`mastodon:${toot.id}`);
    const onBluesky = await flow.posted(`bluesky:${skeet.uri}`);
    expect(textOf(onX.message)).toContain('on 𝕏 X');
    expect(textOf(onMastodon.message)).toContain('on :elephant: Mastodon');
    expect(textOf(onBluesky.message)).toContain('on :butterfly: Bluesky');
    expect(textOf(onBluesky.message)).toContain('https://bsky.app/profile/ada.bsky.social/post/');

    expect((await flow.command('link @ada@other.example "Ada Lovelace"')).text).toContain(
      '@ada@other.example on Mastodon is now linked to Ada Lovelace',
    );
    expect((await flow.command('link @ada.bsky.social "Ada Lovelace"')).text).toContain(
      '@ada.bsky.social on Bluesky is now linked to Ada Lovelace',
    );

    for (const handle of ['@ada_l', '@ada@other.example', 'ada@other.example', '@ada.bsky.social']) {
      const card = JSON.stringify(await flow.command(`lookup ${handle}`));
      expect(card, handle).toContain('Ada Lovelace');
      expect(card, handle).toContain('X <https://x.com/ada_l|@ada_l>');
      expect(card, handle).toContain('Mastodon <https://other.example/@ada|@ada@other.example>');
      expect(card, handle).toContain('Bluesky <https://bsky.app/profile/ada.bsky.social|@ada.bsky.social>');
    }

    // Her next toot lands on the same contact.
    const next = bed.standins.mastodon.addMention({ username: 'ada', domain: 'other.example' }, 'thanks all');
    const nextMessage = await flow.posted(`mastodon:${next.id}`);
    expect(textOf(nextMessage.message)).toContain('Contact: *Ada Lovelace*');
  });

  it("tells comments on the brand's own posts from mentions, on each network, and counts them in the digest", async () => {
    await bed.start(allThree(), FAST);
    const { x, mastodon, bluesky } = bed.standins;
    const onX = x.addMention(
      { username: 'ada_l', name: 'Ada Lovelace' },
      'is it waterproof?',
      undefined,
      x.addPost(x.brand, 'New tents are in!'),
    );
    const onMastodon = mastodon.addMention({ username: 'ada', domain: 'other.example' }, 'nice colours', {
      replyTo: mastodon.brandPost('New tents are in!'),
    });
    const onBluesky = bluesky.addMention({ handle: 'ada' }, 'want one', { replyTo: bluesky.brandPost('New tents are in!') });
    const plain = x.addMention({ username: 'grace_h', name: 'Grace Hopper' }, 'hello there');
    for (const key of [`x:${onX.id}`, `mastodon:${onMastodon.id}`, `bluesky:${onBluesky.uri}`]) {
      expect(textOf((await flow.posted(key)).message), key).toContain('reply to our post');
    }
    expect(textOf((await flow.posted(`x:${plain.id}`)).message)).not.toContain('reply to our post');

    await flow.command('digest today');
    const digest = await waitUntil(
      () => bed.standins.slack.messages('C0DIGESTS').find((m) => m.metadata?.event_type === 'switchboard_digest'),
      10_000,
      'the digest',
    );
    const text = textOf(digest);
    expect(text).toMatch(/X 2 .*Mastodon 1 .*Bluesky 1|Bluesky 1 .*Mastodon 1 .*X 2/);
    expect(text).toContain('1 comment');
    expect(text).toContain('1 mention');
  });

  it("counts likes of the brand's posts per known contact (Mastodon favourites, Bluesky likes), once across a restart", async () => {
    await bed.start(allThree(), FAST);
    const { mastodon, bluesky } = bed.standins;
    const toot = mastodon.addMention({ username: 'ada', display_name: 'Ada L.', domain: 'other.example' }, 'hello');
    const skeet = bluesky.addMention({ handle: 'ada', displayName: 'Ada' }, 'hello');
    await flow.posted(`mastodon:${toot.id}`);
    await flow.posted(`bluesky:${skeet.uri}`);
    // Ada (a contact now, on both networks) likes the brand's posts; a stranger does too.
    mastodon.addFavouriteNotification({ username: 'ada', domain: 'other.example' }, mastodon.brandPost('New tents!'));
    bluesky.addLikeNotification({ handle: 'ada' }, bluesky.brandPost('New tents!'));
    mastodon.addFavouriteNotification({ username: 'stranger', domain: 'far.example' });
    bed.bot.running.pollNow();
    await waitUntil(
      () => bed.standins.bluesky.callsTo('app.bsky.notification.listNotifications').some((c) => c.query.reasons === 'like'),
      5_000,
      'the likes read',
    );

    const digestText = async () => {
      const before = bed.standins.slack.messages('C0DIGESTS').length;
      await flow.command('digest today');
      const message = await waitUntil(
        () =>
          bed.standins.slack
            .messages('C0DIGESTS')
            .slice(before)
            .find((m) => m.metadata?.event_type === 'switchboard_digest'),
        10_000,
        'the digest',
      );
      return textOf(message);
    };
    await waitUntil(async () => (await digestText()).includes('*Likes on our posts* 3 from 3 people'), 10_000, 'three likes counted');
    const text = await digestText();
    expect(text).toMatch(/Ada L\.: 1 mention, 1 like of our posts|Ada: 1 mention, 1 like of our posts/);

    // After a restart the same notifications are not counted again.
    await bed.bot.stop();
    await bed.start(allThree(), FAST);
    bed.bot.running.pollNow();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await digestText()).toContain('*Likes on our posts* 3 from 3 people');
  });

  it('keeps X running while Mastodon is down at start, and connects Mastodon when it is back', async () => {
    bed.standins.mastodon.faults.outage = true;
    await bed.start(allThree(), FAST);
    await flow.mention('X still works', { username: 'grace_h', name: 'Grace Hopper' });
    expect((await bed.health()).platforms.mastodon?.state).toBe('backing_off');
    bed.standins.mastodon.faults.outage = false;
    const toot = bed.standins.mastodon.addMention({ username: 'grace' }, 'back now?');
    await flow.posted(`mastodon:${toot.id}`);
    await waitUntil(async () => (await bed.health()).platforms.mastodon?.state === 'ok', 5_000, 'Mastodon ok');
  });
});
