import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { botEnv, type Standins, spawnBot, startStandins, tempDataDir } from '../helpers/harness.ts';

/** Start-up refuses bad configuration and bad data with one clear line per problem, and touches nothing. */
describe('start-up errors (the bot as its own process)', () => {
  let standins: Standins;
  let data: Awaited<ReturnType<typeof tempDataDir>>;

  beforeEach(async () => {
    standins = await startStandins();
    data = await tempDataDir();
  });
  afterEach(async () => {
    await standins.close();
    await data.remove();
  });

  const run = async (env: Record<string, string>) => {
    const bot = await spawnBot(env, { waitForListening: false });
    const exit = await bot.exited;
    return { exit, output: bot.stderr.join('\n') };
  };

  it('lists every missing variable, one line each, and exits non-zero', async () => {
    const { exit, output } = await run({});
    expect(exit.code).toBe(1);
    expect(output).toMatch(/^SLACK_BOT_TOKEN is required: set it to the bot token/m);
    expect(output).toMatch(/^SLACK_CHANNEL_MENTIONS is required: set it to the ID of the channel/m);
    expect(output).toMatch(/^SLACK_SIGNING_SECRET is required in HTTP mode/m);
    expect(output).toMatch(/^No social platform is configured: set X_BEARER_TOKEN \(X\), MASTODON_URL and MASTODON_ACCESS_TOKEN/m);
    expect(output).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it('names each malformed variable and never prints a secret', async () => {
    const env = botEnv(standins, data.dir, {
      PORT: 'eighty',
      SLACK_CHANNEL_MENTIONS: '#general',
      DIGEST_TIMEZONE: 'Mars/Olympus_Mons',
      DIGEST_CRON: 'every morning',
      X_API_URL: 'not a url',
      REPLY_ALLOWED_USERS: 'U0ALICE01, alice',
      LOG_LEVEL: 'loud',
      X_APP_KEY: 'only-one-of-four',
      X_APP_SECRET: '',
      X_ACCESS_TOKEN: '',
      X_ACCESS_SECRET: '',
    });
    const { exit, output } = await run(env);
    expect(exit.code).toBe(1);
    for (const problem of [
      /^PORT must be a whole number between 0 and 65535$/m,
      /^SLACK_CHANNEL_MENTIONS must be a Slack channel ID like C0123ABCD/m,
      /^DIGEST_TIMEZONE must be an IANA time zone/m,
      /^DIGEST_CRON "every morning" cannot be used: .+ \(a cron expression like "0 9 \* \* \*"\)$/m,
      /^X_API_URL must be an http\(s\) URL$/m,
      /^REPLY_ALLOWED_USERS must be comma-separated Slack user IDs/m,
      /^LOG_LEVEL must be one of debug, info, warn, error$/m,
      /^X_APP_SECRET, X_ACCESS_TOKEN, X_ACCESS_SECRET must be set too/m,
    ]) {
      expect(output).toMatch(problem);
    }
    expect(output).not.toContain(standins.slack.botToken);
    expect(output).not.toContain(standins.x.bearerToken);
    expect(output).not.toContain('test-signing-secret');
  });

  it('refuses a corrupt data file, names it, and leaves it exactly as it was', async () => {
    const file = path.join(data.dir, 'mentions', '2026-11-24.0.json');
    await mkdir(path.dirname(file), { recursive: true });
    const corrupt = '{"records":[{"key":"x:1","mention":{"id":"1"';
    await writeFile(file, corrupt);
    const { exit, output } = await run(botEnv(standins, data.dir));
    expect(exit.code).toBe(1);
    expect(output).toContain(`Data file ${file} cannot be used: it is not valid JSON`);
    expect(await readFile(file, 'utf8')).toBe(corrupt);
    expect(standins.slack.calls).toHaveLength(0);
    expect(standins.x.calls).toHaveLength(0);
  });

  it('refuses a data file that is JSON but not the expected shape', async () => {
    const file = path.join(data.dir, 'cursors.json');
    await writeFile(file, '[1, 2, 3]');
    const { exit, output } = await run(botEnv(standins, data.dir));
    expect(exit.code).toBe(1);
    expect(output).toContain(`Data file ${file} cannot be used: its content does not have the expected shape`);
    expect(await readFile(file, 'utf8')).toBe('[1, 2, 3]');
  });

  it('stops with a clear message when Slack refuses the bot token', async () => {
    const { exit, output } = await run(botEnv(standins, data.dir, { SLACK_BOT_TOKEN: 'xoxb-revoked-token' }));
    expect(exit.code).toBe(1);
    expect(output).toMatch(/Slack refused SLACK_BOT_TOKEN \(invalid_auth\)/);
    expect(output).not.toContain('xoxb-revoked-token');
  });
});
