/**
 * How fast Slack gets its answer (the 3-second ack; goal 100 ms at p99), per request kind, with a
 * Slack that takes 250 ms per Web API call: the bot runs in this process through its real HTTP
 * endpoint, against the Slack and X stand-ins, and every request is signed as Slack signs it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createLog } from '../src/log.ts';
import {
  buttonClick,
  type SlackBody,
  signSlackRequest,
  slashCommand,
  threadMessageEvent,
  viewSubmission,
} from '../src/sandbox/slack-payloads.ts';
import { SlackStandin } from '../src/sandbox/slack-standin.ts';
import { XStandin } from '../src/sandbox/x-standin.ts';
import { startSwitchboard } from '../src/switchboard.ts';

const SECRET = 'bench-signing-secret-0123456789';
const SLACK_LATENCY_MS = 250;

export interface AckFigures {
  kind: string;
  samples: number;
  p50: number;
  p99: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

export async function benchSlackAcks(samples: number): Promise<AckFigures[]> {
  const slack = new SlackStandin({ userGroups: { S0AGENTS01: ['U0AGENT01'] } });
  const x = new XStandin();
  await Promise.all([slack.listen(), x.listen()]);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-bench-acks-'));
  const config = loadConfig({
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
    SLACK_CHANNEL_MENTIONS: 'C0MENTIONS',
    SLACK_CHANNEL_QUESTIONS: 'C0QUESTION',
    SLACK_CHANNEL_DIGEST: 'C0DIGESTS',
    SLACK_AGENTS: 'S0AGENTS01',
    SLACK_ADMINS: 'U0AGENT01',
    ...x.env,
    REPLY_UNDO_SECONDS: '600',
    POLL_INTERVAL_SECONDS: '3600',
    SLACK_CHANNEL_DMS: 'C0SOCDMS1',
    X_DM_POLL_INTERVAL_SECONDS: '3600',
    PORT: '0',
    DATA_DIR: dataDir,
  });
  const bot = await startSwitchboard(config, createLog({ level: 'error', write: () => {} }), {
    slackPostsPerSecond: 1000,
    slackBurst: 1000,
    retryBaseMs: 50,
    retryMaxMs: 400,
  });
  const url = `http://127.0.0.1:${bot.port}/slack/events`;
  try {
    // The mentions and private conversations to act on, posted while Slack is still fast.
    for (let i = 0; i < samples; i++) {
      x.addMention({ username: `customer${i}`, name: `Customer ${i}` }, `where is my order ${i}?`);
      x.addDirectMessage({ username: `customer${i}`, name: `Customer ${i}` }, `my address for order ${i} changed`);
    }
    bot.pollNow();
    const deadline = Date.now() + 60_000;
    const countOf = (event: string) => slack.allMessages().filter((m) => m.metadata?.event_type === event).length;
    while (countOf('switchboard_mention') < samples || countOf('switchboard_conversation') < samples) {
      if (Date.now() > deadline) throw new Error('the mentions and conversations did not reach Slack');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const conversations = slack.allMessages().filter((m) => m.metadata?.event_type === 'switchboard_conversation');
    const mentions = slack.allMessages().filter((m) => m.metadata?.event_type === 'switchboard_mention');
    const keyOf = (message: (typeof mentions)[number]) => String(message.metadata?.event_payload.key);
    // Reply forms opened ahead (each submission needs its own view), then Slack turns slow.
    const views: ReturnType<SlackStandin['views']> = [];
    for (const message of mentions) {
      const before = slack.views().length;
      await send(
        url,
        buttonClick({
          actionId: 'mention_reply',
          value: keyOf(message),
          channel: message.channel,
          messageTs: message.ts,
          triggerId: slack.issueTriggerId('U0AGENT01'),
        }),
      );
      while (slack.views().length === before) await new Promise((resolve) => setTimeout(resolve, 10));
      views.push(slack.views()[before]!);
    }
    slack.latencyMs = SLACK_LATENCY_MS;

    const kinds: Array<[string, (i: number) => SlackBody]> = [
      [
        'button: Assign to me',
        (i) =>
          buttonClick({
            actionId: 'mention_assign_to_me',
            value: keyOf(mentions[i]!),
            channel: mentions[i]!.channel,
            messageTs: mentions[i]!.ts,
          }),
      ],
      [
        'button: Like',
        (i) =>
          buttonClick({ actionId: 'mention_like', value: keyOf(mentions[i]!), channel: mentions[i]!.channel, messageTs: mentions[i]!.ts }),
      ],
      [
        // Questions relabelled Praise: each one moves to the mentions channel (a post and an edit after the ack).
        'menu: Relabel',
        (i) =>
          buttonClick({
            actionId: 'mention_relabel',
            element: 'static_select',
            value: `Praise|${keyOf(mentions[i]!)}`,
            label: 'Praise',
            channel: mentions[i]!.channel,
            messageTs: mentions[i]!.ts,
          }),
      ],
      ['command: /crm triage', () => slashCommand({ text: 'triage', responseUrl: slack.responseUrl('C0MENTIONS', 'U0AGENT01') })],
      ['form: Reply, Send', (i) => viewSubmission({ view: views[i]!, values: { reply_text: `@customer${i} on its way` } })],
      [
        'event: reply: in a thread',
        (i) =>
          threadMessageEvent({
            channel: mentions[i]!.channel,
            threadTs: mentions[i]!.ts,
            text: `reply: @customer${i} noted`,
            ts: `1790000000.${String(i).padStart(6, '0')}`,
          }),
      ],
      [
        'button: DM Assign to me',
        (i) =>
          buttonClick({
            actionId: 'conversation_assign_to_me',
            value: keyOf(conversations[i]!),
            channel: conversations[i]!.channel,
            messageTs: conversations[i]!.ts,
          }),
      ],
      [
        'button: DM Resolve',
        (i) =>
          buttonClick({
            actionId: 'conversation_resolve',
            value: keyOf(conversations[i]!),
            channel: conversations[i]!.channel,
            messageTs: conversations[i]!.ts,
          }),
      ],
      [
        'event: reply: in a DM thread',
        (i) =>
          threadMessageEvent({
            channel: conversations[i]!.channel,
            threadTs: conversations[i]!.ts,
            text: `reply: thanks, noted for order ${i}`,
            ts: `1790000001.${String(i).padStart(6, '0')}`,
          }),
      ],
      ['command: /crm lookup', (i) => slashCommand({ text: `lookup @customer${i}` })],
      ['command: /crm note', (i) => slashCommand({ text: `note @customer${i} called about it` })],
      [
        'command: /crm export',
        (i) => slashCommand({ text: `export @customer${i}`, responseUrl: slack.responseUrl('C0MENTIONS', 'U0AGENT01') }),
      ],
      ['command: /crm digest', () => slashCommand({ text: 'digest', responseUrl: slack.responseUrl('C0MENTIONS', 'U0AGENT01') })],
      ['command: /crm rules', () => slashCommand({ text: 'rules' })],
      ['command: /crm rules test', (i) => slashCommand({ text: `rules test where is my order ${i}? it has been a week` })],
    ];
    const figures: AckFigures[] = [];
    for (const [kind, payload] of kinds) {
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const started = performance.now();
        const status = await send(url, payload(i));
        times.push(performance.now() - started);
        if (status !== 200) throw new Error(`${kind}: HTTP ${status}`);
        await quietSlack(slack);
      }
      times.sort((a, b) => a - b);
      figures.push({ kind, samples, p50: percentile(times, 0.5), p99: percentile(times, 0.99) });
    }
    return figures;
  } finally {
    slack.latencyMs = 0;
    await bot.stop();
    await Promise.all([slack.close(), x.close()]);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Each request is measured on its own: the previous one's work after the answer (a digest built
 * and posted, a message updated) is let finish first, as between two people's clicks. Slack is
 * quiet when no call has come for twice its latency.
 */
async function quietSlack(slack: SlackStandin): Promise<void> {
  const giveUp = Date.now() + 10_000;
  let count = slack.callCount;
  let quietSince = Date.now();
  while (Date.now() < giveUp && Date.now() - quietSince < 2 * SLACK_LATENCY_MS) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (slack.callCount !== count) {
      count = slack.callCount;
      quietSince = Date.now();
    }
  }
}

async function send(url: string, body: SlackBody): Promise<number> {
  const signed = signSlackRequest(body, SECRET);
  const response = await fetch(url, { method: 'POST', headers: signed.headers, body: signed.raw });
  await response.text();
  return response.status;
}
