/**
 * npm run sandbox: the real bot (src/main.ts, exactly as `npm start` runs it) against local
 * stand-ins for Slack and X, with a fresh data folder and a stream of demo mentions. No token,
 * no network. What the bot posts is printed here as it arrives.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEMO_CUSTOMERS, DEMO_MENTIONS } from './demo-data.ts';
import { SlackStandin, type StoredMessage } from './slack-standin.ts';
import { XStandin } from './x-standin.ts';

const MENTION_EVERY_MS = 6_000;

const slack = new SlackStandin({ enforcePostRate: true });
const x = new XStandin();
await Promise.all([slack.listen(), x.listen()]);
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-sandbox-'));
const channelNames = new Map(slack.channelList().map((c) => [c.id, c.name]));

const env = {
  ...process.env,
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_SIGNING_SECRET: 'sandbox-signing-secret',
  SLACK_API_URL: slack.apiUrl,
  SLACK_CHANNEL_MENTIONS: 'C0MENTIONS',
  SLACK_CHANNEL_QUESTIONS: 'C0QUESTION',
  SLACK_CHANNEL_DIGEST: 'C0DIGESTS',
  X_API_URL: x.apiUrl,
  X_BEARER_TOKEN: x.bearerToken,
  X_USER_ID: x.brand.id,
  POLL_INTERVAL_SECONDS: '3',
  PORT: process.env.PORT ?? '3000',
  DATA_DIR: dataDir,
};

// Two mentions are waiting before the bot starts; more arrive every few seconds.
let next = 0;
const publish = () => {
  const author = DEMO_CUSTOMERS[next % DEMO_CUSTOMERS.length]!;
  const text = DEMO_MENTIONS[next % DEMO_MENTIONS.length]!;
  next++;
  x.addMention(author, text);
};
publish();
publish();

const bot = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(import.meta.dirname, '../main.ts')], {
  env,
  stdio: ['ignore', 'inherit', 'inherit'],
});
const timer = setInterval(publish, MENTION_EVERY_MS);

slack.on('change', (change: { type: string; message: StoredMessage }) => {
  if (change.type !== 'message' || !change.message.metadata) return;
  const { message } = change;
  const section = (message.blocks?.[1] as { text?: { text?: string } } | undefined)?.text?.text ?? '';
  process.stdout.write(`\n#${channelNames.get(message.channel)}  ${message.text}\n  ${section.replace(/\n/g, '\n  ')}\n`);
});

process.stdout.write(
  [
    '',
    'Switchboard sandbox: no credentials, nothing leaves this machine.',
    `  Slack stand-in   ${slack.apiUrl}`,
    `  X stand-in       ${x.apiUrl}`,
    `  Bot health       http://localhost:${env.PORT}/healthz`,
    `  Data folder      ${dataDir}`,
    `A demo mention arrives every ${MENTION_EVERY_MS / 1000} s. Ctrl-C stops everything.`,
    '',
  ].join('\n'),
);

const shutdown = () => {
  clearInterval(timer);
  bot.kill('SIGTERM');
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
bot.on('exit', async (code) => {
  clearInterval(timer);
  await Promise.all([slack.close(), x.close()]);
  process.exit(code ?? 0);
});
