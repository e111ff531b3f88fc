import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MentionRecord } from '../src/domain/records.ts';
import { type TriageModel, trainTriageModel } from '../src/domain/triage/triage-model.ts';
import { createLog } from '../src/log.ts';
import { compareNumericIds, type InboundMention, type Platform } from '../src/platforms/platform.ts';
import { AutoReplies } from '../src/services/auto-replies.ts';
import { Health } from '../src/services/health.ts';
import { MentionIngest } from '../src/services/ingest.ts';
import { MentionDelivery } from '../src/services/mention-delivery.ts';
import { MentionMessages } from '../src/services/mention-messages.ts';
import { ReplyService } from '../src/services/replies.ts';
import type { Store } from '../src/services/repositories.ts';
import type { TeamChat } from '../src/services/team-chat.ts';
import { renderAutomationNote } from '../src/slack/views/automation-note.ts';
import { renderMentionMessage } from '../src/slack/views/mention-message.ts';
import { openFileStore as openStore } from '../src/store/files/file-store.ts';
import type { PiiCipher } from '../src/store/pii-cipher.ts';
import { syntheticMention } from './synthetic.ts';

const PAGE = 100;

/** Trained once for every run, as a bot trains once at start. */
let model: TriageModel | undefined;
const shippedModel = (): TriageModel => {
  model ??= trainTriageModel();
  return model;
};

/**
 * The whole ingest path without a network: `MentionIngest.pollOnce` over `count` new mentions served
 * newest first in pages of 100 (as X does), with its classification, contacts, write-ahead,
 * rendering and batched writes; Slack answers at once. Then every mention is read back by day.
 */
export async function benchIngestPipeline(
  count: number,
  cipher?: PiiCipher,
  open: () => Promise<{ store: Store; dispose(): Promise<void> }> = openTempFiles(cipher),
  /** Automatic-reply rules: ten, nine that never match and one dry run acting on every question (a note, a decision, a redraw). */
  withRules = false,
): Promise<{ perSecond: number; readBackMs: number; withRulesDonePerSecond?: number }> {
  const { store, dispose } = await open();
  let replies: ReplyService | undefined;
  let delivery: MentionDelivery | undefined;
  try {
    const mentions: InboundMention[] = Array.from({ length: count }, (_, i) => syntheticMention(i)).reverse();
    await store.cursors.set('x', '1'); // not a first start: nothing is skipped as too old
    let ts = 0;
    const chat = {
      postMention: async (record, contact) => {
        renderMentionMessage(record, contact);
        ts += 1;
        return { channel: record.slack.channel, ts: `1764000000.${String(ts).padStart(6, '0')}` };
      },
      updateMention: async (record, contact) => void renderMentionMessage(record, contact),
      postAutomationNote: async (note) => {
        renderAutomationNote(note, {});
        ts += 1;
        return { channel: 'C0QUESTION', ts: `1764000000.${String(ts).padStart(6, '0')}` };
      },
    } as Pick<TeamChat, 'postMention' | 'updateMention' | 'postAutomationNote'> as TeamChat;
    const platform = {
      id: 'x',
      displayName: 'X',
      brandHandle: 'northwind',
      compareCursors: compareNumericIds,
      fetchMentionPage: async ({ pageToken }: { pageToken?: string }) => {
        const start = Number(pageToken ?? 0);
        const next = start + PAGE;
        return { mentions: mentions.slice(start, next), nextPageToken: next < mentions.length ? String(next) : undefined };
      },
    } as unknown as Platform;
    const log = createLog({ level: 'error' });
    let onPosted: ((records: MentionRecord[]) => Promise<void>) | undefined;
    let rules: AutoReplies | undefined;
    if (withRules) {
      await store.savedReplies.upsert({
        name: 'help',
        text: 'Hi {{first_name}}, we are on it.',
        createdBy: 'U0ADMIN01',
        createdAt: '2026-11-01T00:00:00Z',
      });
      for (let i = 0; i < 10; i++) {
        const acts = i === 9;
        await store.autoReplies.addRule({
          id: `rule-${i}`,
          name: `rule ${i}`,
          position: i,
          mode: 'dry_run',
          when: acts ? { labels: ['Question', 'Complaint'] } : { keywords: [`never-${i}`], pattern: `nomatch${i}\\d+` },
          actions: { savedReply: 'help' },
          continueAfter: false,
          dailyCap: 1_000,
          version: 1,
          createdBy: 'U0ADMIN01',
          createdAt: '2026-11-01T00:00:00Z',
          updatedBy: 'U0ADMIN01',
          updatedAt: '2026-11-01T00:00:00Z',
        });
      }
      const platforms = new Map([['x' as const, platform]]);
      const messages = new MentionMessages(store, chat, log);
      replies = new ReplyService(store, platforms, chat, messages, log, { undoSeconds: 60, retryDelayMs: 10 });
      rules = new AutoReplies(store, platforms, replies, messages, chat, shippedModel(), log, {
        undoSeconds: 60,
        authorWindowHours: 24,
        timeZone: 'UTC',
      });
      const acting = rules;
      onPosted = (records) => acting.considerMentions(records);
    }
    const health = new Health();
    delivery = new MentionDelivery(store, chat, health, log, { retryBaseMs: 10, retryMaxMs: 100, onPosted });
    const ingest = new MentionIngest(platform, store, shippedModel(), delivery, health, log, {
      channels: { mentions: 'C0MENTIONS', questions: 'C0QUESTION' },
      backfillHours: 24 * 365 * 10,
    });
    const t0 = performance.now();
    const result = await ingest.pollOnce(new AbortController().signal);
    // Ingest hands over and moves on; the figure is until every mention is in (stub) Slack and recorded.
    await delivery.idle();
    const perSecond = count / ((performance.now() - t0) / 1000);
    if (result.posted !== count) throw new Error(`bench: queued ${result.posted} of ${count}`);
    // The rules act behind ingest (queued): how long until they have acted on every mention.
    await rules?.idle();
    const withRulesDonePerSecond = rules ? count / ((performance.now() - t0) / 1000) : undefined;

    const r0 = performance.now();
    let read = 0;
    for (const day of await store.mentions.days()) for await (const _record of store.mentions.readDay(day)) read++;
    if (read !== count) throw new Error(`bench: read back ${read} of ${count}`);
    return { perSecond, readBackMs: performance.now() - r0, withRulesDonePerSecond };
  } finally {
    await delivery?.stop();
    await replies?.stop();
    await dispose();
  }
}

/** A fresh data folder for the lowdb files, removed after. */
function openTempFiles(cipher?: PiiCipher) {
  return async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-bench-ingest-'));
    const store = await openStore(dir, { cipher });
    return {
      store,
      dispose: async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
}
