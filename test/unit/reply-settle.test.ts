import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MentionWorkflow } from '../../src/domain/records.ts';
import { createLog } from '../../src/log.ts';
import type { Platform, PublishedPost } from '../../src/platforms/platform.ts';
import { SlackStandin } from '../../src/sandbox/slack-standin.ts';
import { MentionMessages } from '../../src/services/mention-messages.ts';
import { ReplyService } from '../../src/services/replies.ts';
import { ChannelPacer } from '../../src/slack/channel-pacer.ts';
import { SlackGateway } from '../../src/slack/slack-gateway.ts';
import { SlackTeamChat } from '../../src/slack/slack-team-chat.ts';
import { openFileStore as openStore, type FileStore as Store } from '../../src/store/files/file-store.ts';
import { mentionRecord } from '../helpers/factories.ts';
import { waitUntil } from '../helpers/harness.ts';

/** A network that counts what it publishes (the Platform port, our own interface). */
function countingPlatform(): Platform & { published: string[] } {
  const published: string[] = [];
  return {
    id: 'x',
    displayName: 'X',
    brandHandle: 'northwind',
    published,
    replyWarning: () => undefined,
    measureText: (text) => ({ length: text.length, limit: 280, isValid: true, countingRule: 'characters' }),
    publishReply: async ({ text }): Promise<PublishedPost> => {
      published.push(text);
      return { id: String(published.length), url: `https://x.com/northwind/status/${published.length}` };
    },
    like: async () => {},
    fetchMentionPage: async () => ({ mentions: [] }),
    compareCursors: (a, b) => a.localeCompare(b),
  };
}

/** The mention message cannot be updated: a failure of ours, after the platform confirmed the send. */
class FailingMentionMessages extends MentionMessages {
  override async update(_key: string, _change: (workflow: MentionWorkflow) => MentionWorkflow): Promise<never> {
    throw new Error('disk full');
  }
}

describe('settling a reply the platform confirmed', () => {
  let slack: SlackStandin;
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    slack = new SlackStandin();
    await slack.listen();
    dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-settle-'));
    store = await openStore(dir);
  });
  afterEach(async () => {
    store.close();
    await slack.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('never sends again because of our own error after a confirmed send, and records it as sent', async () => {
    const platform = countingPlatform();
    const gateway = new SlackGateway(new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }));
    const chat = new SlackTeamChat(
      gateway,
      async () => 'https://switchboard-sandbox.slack.com/',
      new ChannelPacer({ perSecond: 100, burst: 100 }),
    );
    const lines: string[] = [];
    const log = createLog({ level: 'debug', write: (line) => lines.push(line) });
    const replies = new ReplyService(store, new Map([['x', platform]]), chat, new FailingMentionMessages(store, chat, log), log, {
      undoSeconds: 0,
      retryDelayMs: 10,
    });
    await store.mentions.recordAttempt(mentionRecord('1861'));
    await store.mentions.recordPosted('x:1861', '1764000000.000100');

    const outcome = await replies.request({ requestKey: 'view:V1', mentionKey: 'x:1861', text: '@ada on its way', userId: 'U0AGENT01' });
    expect(outcome.kind).toBe('scheduled');
    const settled = await waitUntil(async () => {
      const reply = await store.outbox.get('view:V1');
      return reply?.state === 'sent' ? reply : undefined;
    }, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 100)); // any retry would have happened by now
    await replies.stop();

    expect(platform.published).toEqual(['@ada on its way']);
    expect(settled.attempts).toBe(1);
    expect(lines.join('\n')).toMatch(/reply view:V1 is sent, but updating the mention message failed/);
    expect((await store.audit.latest(5)).map((entry) => entry.action)).toEqual(expect.arrayContaining(['reply_scheduled', 'reply_sent']));
  });
});
