/**
 * npm run sandbox: the real bot (src/main.ts, exactly as `npm start` runs it) against local
 * stand-ins for Slack, X, Mastodon, Bluesky and Meta (Facebook, Instagram), with a fresh data folder, demo data and a stream of mentions, plus a
 * web page that shows the Slack channels and the X timeline and lets a person click through.
 * No token, no network.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { trainTriageModel } from '../domain/triage/triage-model.ts';
import { DigestLogStore } from '../store/files/digest-log-store.ts';
import { LikeStore } from '../store/files/like-store.ts';
import { MentionStore } from '../store/files/mention-store.ts';
import { BlueskyStandin } from './bluesky-standin.ts';
import {
  DEMO_CONTACTS,
  DEMO_CUSTOMERS,
  DEMO_MASTODON_SERVER,
  DEMO_MENTIONS,
  DEMO_ORDERS,
  DEMO_RULES,
  DEMO_SAVED_REPLIES,
  demoBlueskyHandle,
  demoHistory,
  demoLikes,
} from './demo-data.ts';
import { MastodonStandin } from './mastodon-standin.ts';
import { MetaStandin } from './meta-standin.ts';
import { SANDBOX_PEOPLE, SandboxServer } from './sandbox-server.ts';
import { SlackStandin } from './slack-standin.ts';
import { XStandin } from './x-standin.ts';

const MENTION_EVERY_MS = Number(process.env.SANDBOX_MENTION_EVERY_MS ?? 8_000);
const SIGNING_SECRET = 'sandbox-signing-secret';

const slack = new SlackStandin({ enforcePostRate: true });
const x = new XStandin();
const mastodon = new MastodonStandin();
const bluesky = new BlueskyStandin();
const meta = new MetaStandin();
await Promise.all([slack.listen(), x.listen(), mastodon.listen(), bluesky.listen(), meta.listen()]);
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-sandbox-'));
// Demo data in the store's own file format, as if the team had used Switchboard for a while.
await writeFile(path.join(dataDir, 'saved-replies.json'), JSON.stringify({ replies: DEMO_SAVED_REPLIES }));
await writeFile(path.join(dataDir, 'auto-replies.json'), JSON.stringify({ rules: DEMO_RULES }));
await mkdir(path.join(dataDir, 'contacts'));
await writeFile(path.join(dataDir, 'contacts', '2026-11.0.json'), JSON.stringify({ records: DEMO_CONTACTS }));
await mkdir(path.join(dataDir, 'orders'));
await writeFile(path.join(dataDir, 'orders', '2026-11.0.json'), JSON.stringify({ records: DEMO_ORDERS }));
// Last week's mentions, and a scheduler that has been running all week: the bot posts the digest of
// the latest run it "missed" as soon as it starts, so the digest channel is not empty.
const history = await MentionStore.open(dataDir);
const classifier = trainTriageModel();
for (const record of demoHistory(new Date(), (text) =>
  classifier.classify(`@${x.brand.username} ${text}`, { brandHandles: [x.brand.username] }),
)) {
  await history.recordAttempt(record);
  await history.recordPosted(record.key, record.slack.ts ?? '');
  await history.updateWorkflow(record.key, () => record.workflow ?? {});
}
const likes = await LikeStore.open(dataDir);
for (const like of demoLikes(new Date())) await likes.record(like);
await (await DigestLogStore.open(dataDir)).since(new Date(Date.now() - 8 * 86_400_000));

const [alice, bob] = SANDBOX_PEOPLE;
const env = {
  ...process.env,
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_APP_TOKEN: '',
  SLACK_API_URL: slack.apiUrl,
  SLACK_CHANNEL_MENTIONS: 'C0MENTIONS',
  SLACK_CHANNEL_QUESTIONS: 'C0QUESTION',
  SLACK_CHANNEL_DIGEST: 'C0DIGESTS',
  // Private messages, one thread each (in a workspace: a private channel, support only).
  SLACK_CHANNEL_DMS: 'C0SOCDMS1',
  ...x.env,
  // Nothing is billed here: read X DMs as often as the other networks.
  X_DM_POLL_INTERVAL_SECONDS: '3',
  MASTODON_URL: mastodon.apiUrl,
  MASTODON_ACCESS_TOKEN: mastodon.accessToken,
  BLUESKY_SERVICE: bluesky.apiUrl,
  BLUESKY_IDENTIFIER: bluesky.brand.handle,
  BLUESKY_APP_PASSWORD: bluesky.appPassword,
  // Facebook and Instagram push by webhook (Meta's stand-in signs and sends them to the bot).
  ...meta.env,
  POLL_INTERVAL_SECONDS: '3',
  REPLY_UNDO_SECONDS: process.env.REPLY_UNDO_SECONDS ?? '10',
  // Long enough to see the automatic reply's Undo, short enough not to wait a minute for it.
  AUTO_REPLY_UNDO_SECONDS: process.env.AUTO_REPLY_UNDO_SECONDS ?? '20',
  BUSINESS_HOURS: process.env.BUSINESS_HOURS ?? 'Mon-Fri 09:00-18:00',
  // Alice leads support (admin), Bob is an agent, Sam from marketing only looks (viewer).
  SLACK_AGENTS: `${alice?.id},${bob?.id}`,
  SLACK_ADMINS: `${alice?.id}`,
  PORT: process.env.PORT ?? '0',
  DATA_DIR: dataDir,
};

// A few mentions are waiting before the bot starts; more arrive every few seconds.
let next = 0;
const publish = () => {
  const author = DEMO_CUSTOMERS[next % DEMO_CUSTOMERS.length]!;
  const text = DEMO_MENTIONS[next % DEMO_MENTIONS.length]!;
  // Two on X, then one each on Mastodon, Bluesky, Facebook and Instagram: every network in the same channels.
  const network = next % 6;
  next++;
  const person = { id: `61000000${String(next % 100).padStart(8, '0')}`, name: author.name, username: author.username };
  if (network === 2) mastodon.addMention({ username: author.username, display_name: author.name, domain: DEMO_MASTODON_SERVER }, text);
  else if (network === 3) bluesky.addMention({ handle: demoBlueskyHandle(author.username), displayName: author.name }, text);
  else if (network === 4) void meta.facebookComment(person, text);
  else if (network === 5) void meta.instagramComment(person, text);
  else x.addMention(author, text);
};
for (let i = 0; i < 3; i++) publish();
// Two customers already wrote privately: their conversations wait in #social-dms.
const [firstCustomer, secondCustomer] = DEMO_CUSTOMERS;
if (firstCustomer) x.addDirectMessage(firstCustomer, 'Hi! My order #2231 shows delivered but nothing came. Can you check?');
if (secondCustomer) {
  bluesky.addChatMessage(
    { handle: demoBlueskyHandle(secondCustomer.username), displayName: secondCustomer.name },
    'Could you change the delivery address on my order? I moved last week.',
  );
}

let botPort = 0;
const bot = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(import.meta.dirname, '../main.ts')], {
  env,
  stdio: ['ignore', 'inherit', 'pipe'],
});
const listening = new Promise<void>((resolve) => {
  let buffered = '';
  bot.stderr?.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    buffered += chunk.toString('utf8');
    const match = /listening on port (\d+)/.exec(buffered);
    if (match && !botPort) {
      botPort = Number(match[1]);
      resolve();
    }
  });
});
const page = new SandboxServer(
  slack,
  x,
  { url: () => `http://127.0.0.1:${botPort}`, signingSecret: SIGNING_SECRET },
  mastodon,
  bluesky,
  meta,
);
const pageUrl = await page.listen(Number(process.env.SANDBOX_PORT ?? 3030));
await listening;
// Meta's webhooks go to the bot's /meta/webhook, checked the way Meta does when it is set up.
meta.webhookUrl = `http://127.0.0.1:${botPort}/meta/webhook`;
const handshake = await meta.verifySubscription();
if (handshake.status !== 200) process.stderr.write(`sandbox: the bot refused Meta's webhook handshake (${handshake.status})\n`);
// A Messenger conversation is already waiting, like the X and Bluesky ones.
const thirdCustomer = DEMO_CUSTOMERS[2];
if (thirdCustomer) {
  await meta.customerMessage(
    'facebook',
    { id: '6100000000009001', name: thirdCustomer.name, username: thirdCustomer.username },
    'Hello! Is the winter parka back in stock in size M?',
  );
}
const timer = setInterval(publish, MENTION_EVERY_MS);

process.stdout.write(
  [
    '',
    'Switchboard sandbox: no credentials, nothing leaves this machine.',
    `  Sandbox page     ${pageUrl}`,
    `  Bot              http://localhost:${botPort}  (health: /healthz)`,
    `  Slack stand-in   ${slack.apiUrl}`,
    `  X stand-in       ${x.apiUrl}`,
    `  Mastodon         ${mastodon.apiUrl}`,
    `  Bluesky          ${bluesky.apiUrl}`,
    `  Meta (Graph)     ${meta.apiUrl}  (webhooks to the bot's /meta/webhook)`,
    `  Data folder      ${dataDir}`,
    `A demo mention arrives every ${Math.round(MENTION_EVERY_MS / 1000)} s. Ctrl-C stops everything.`,
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
  await Promise.all([slack.close(), x.close(), meta.close(), page.close()]);
  process.exit(code ?? 0);
});
