import { beforeEach, describe, expect, it } from 'vitest';
import { customers, SIGNING_SECRET, useTestBed, waitUntil } from '../helpers/harness.ts';
import { buttonClick, postSignedToSlackEndpoint } from '../helpers/slack-request.ts';

describe('requests from Slack at POST /slack/events', () => {
  const bed = useTestBed();
  let mention: { channel: string; ts: string; key: string };

  beforeEach(async () => {
    bed.standins.x.addMention(customers[0]!, 'how do I return a jacket');
    await bed.start();
    const message = await waitUntil(() => bed.standins.slack.messages('C0QUESTION')[0], 10_000, 'the mention message');
    mention = { channel: message.channel, ts: message.ts, key: String(message.metadata?.event_payload.key) };
  });

  const slackCallsExceptPolling = () => bed.standins.slack.calls.filter((c) => c.method !== 'conversations.history').length;

  it('answers the url_verification challenge of a correctly signed request', async () => {
    const response = await postSignedToSlackEndpoint(
      bed.bot.url,
      { json: { type: 'url_verification', token: 'x', challenge: 'challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' } },
      { secret: SIGNING_SECRET },
    );
    expect(response.status).toBe(200);
    expect(response.text).toContain('challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P');
  });

  it('refuses a bad signature with 401 and does nothing', async () => {
    const before = slackCallsExceptPolling();
    const click = buttonClick({ actionId: 'mention_resolve', value: mention.key, channel: mention.channel, messageTs: mention.ts });
    const response = await postSignedToSlackEndpoint(bed.bot.url, click, { secret: 'not-the-signing-secret' });
    expect(response.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(slackCallsExceptPolling()).toBe(before);
    expect(bed.standins.slack.ephemerals).toHaveLength(0);
  });

  it('refuses a correctly signed but stale request (over 5 minutes old) with 401 and does nothing', async () => {
    const before = slackCallsExceptPolling();
    const click = buttonClick({ actionId: 'mention_resolve', value: mention.key, channel: mention.channel, messageTs: mention.ts });
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    const response = await postSignedToSlackEndpoint(bed.bot.url, click, { secret: SIGNING_SECRET, timestamp: stale });
    expect(response.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(slackCallsExceptPolling()).toBe(before);
    expect(bed.standins.slack.ephemerals).toHaveLength(0);
  });

  it('refuses a request with no signature headers', async () => {
    const response = await fetch(`${bed.bot.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'url_verification', challenge: 'abc' }),
    });
    expect(response.status).toBe(401);
  });

  it('acts on a correctly signed button click and updates the message in place', async () => {
    const click = buttonClick({
      actionId: 'mention_assign_to_me',
      value: mention.key,
      channel: mention.channel,
      messageTs: mention.ts,
      userId: 'U0AGENT07',
    });
    const response = await postSignedToSlackEndpoint(bed.bot.url, click, { secret: SIGNING_SECRET });
    expect(response.status).toBe(200);
    await waitUntil(
      () =>
        JSON.stringify(bed.standins.slack.messages(mention.channel).find((m) => m.ts === mention.ts)?.blocks).includes(
          'Assigned to <@U0AGENT07>',
        ),
      5_000,
      'the message updated',
    );
  });
});
