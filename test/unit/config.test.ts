import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, secretsOf } from '../../src/config.ts';
import { SECOND_TEST_KEY, TEST_KEY } from '../helpers/keys.ts';

const minimal = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: 'shh',
  SLACK_CHANNEL_MENTIONS: 'C0MENTIONS',
  X_BEARER_TOKEN: 'AAAA-bearer',
  X_USER_ID: '12345',
};

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig(minimal);
    expect(config.slack.apiUrl).toBe('https://slack.com/api/');
    expect(config.slack.channels).toEqual({ mentions: 'C0MENTIONS', questions: 'C0MENTIONS', digest: 'C0MENTIONS' });
    expect(config.x?.apiUrl).toBe('https://api.x.com/2/');
    expect(config).toMatchObject({
      port: 3000,
      pollIntervalSeconds: 60,
      backfillHours: 24,
      digest: { cron: '0 9 * * *', timezone: 'UTC' },
      replyUndoSeconds: 10,
      roles: { agents: [], admins: [] },
      dataDir: './data',
      logLevel: 'info',
    });
  });

  it('turns Facebook (and Instagram) on with the Meta variables, names what a half setup misses, and keeps the secrets out of logs', () => {
    const meta = {
      SLACK_BOT_TOKEN: minimal.SLACK_BOT_TOKEN,
      SLACK_SIGNING_SECRET: 'shh',
      SLACK_CHANNEL_MENTIONS: 'C0MENTIONS',
      META_APP_SECRET: 'meta-app-secret-0123',
      META_VERIFY_TOKEN: 'verify-me-please',
      META_PAGE_ID: '1000000000000001',
      META_PAGE_ACCESS_TOKEN: 'EAAB-page-token',
    };
    // Meta alone is a network: no X needed.
    expect(loadConfig(meta).meta).toEqual({
      appSecret: 'meta-app-secret-0123',
      verifyToken: 'verify-me-please',
      pageId: '1000000000000001',
      pageAccessToken: 'EAAB-page-token',
      instagramAccountId: undefined,
      graphUrl: 'https://graph.facebook.com/',
      graphVersion: 'v25.0',
      humanAgent: false,
    });
    expect(loadConfig({ ...meta, INSTAGRAM_ACCOUNT_ID: '17841400000000001', META_HUMAN_AGENT: 'true' }).meta).toMatchObject({
      instagramAccountId: '17841400000000001',
      humanAgent: true,
    });
    expect(secretsOf(loadConfig(meta))).toEqual(expect.arrayContaining(['meta-app-secret-0123', 'verify-me-please', 'EAAB-page-token']));
    expect(problemsOf({ ...meta, META_PAGE_ACCESS_TOKEN: '', META_VERIFY_TOKEN: '' })).toEqual([
      expect.stringContaining('META_VERIFY_TOKEN, META_PAGE_ACCESS_TOKEN must be set too'),
    ]);
    expect(problemsOf({ ...minimal, INSTAGRAM_ACCOUNT_ID: '17841400000000001' })).toEqual([
      expect.stringContaining('META_APP_SECRET is required'),
    ]);
    expect(problemsOf({ ...meta, META_GRAPH_VERSION: '25', META_PAGE_ID: 'northwind', META_HUMAN_AGENT: 'yes' })).toEqual([
      expect.stringContaining('META_PAGE_ID must be the numeric ID'),
      expect.stringContaining('META_GRAPH_VERSION must look like v25.0'),
      expect.stringContaining('META_HUMAN_AGENT must be true or false'),
    ]);
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ ...minimal, SLACK_CHANNEL_QUESTIONS: '', PORT: '' }).port).toBe(3000);
  });

  it('adds the trailing slash an API base URL needs', () => {
    expect(loadConfig({ ...minimal, SLACK_API_URL: 'http://localhost:9000/api' }).slack.apiUrl).toBe('http://localhost:9000/api/');
  });

  it('parses the role lists into IDs; REPLY_ALLOWED_USERS still names agents, SLACK_AGENTS wins over it', () => {
    expect(loadConfig({ ...minimal, REPLY_ALLOWED_USERS: 'U0ALICE01, S0SUPPORT1 ,W0BOB0001' }).roles).toEqual({
      agents: ['U0ALICE01', 'S0SUPPORT1', 'W0BOB0001'],
      admins: [],
    });
    expect(
      loadConfig({ ...minimal, REPLY_ALLOWED_USERS: 'U0ALICE01', SLACK_AGENTS: 'U0BOB0001', SLACK_ADMINS: 'S0ADMINS01' }).roles,
    ).toEqual({
      agents: ['U0BOB0001'],
      admins: ['S0ADMINS01'],
    });
    expect(problemsOf({ ...minimal, SLACK_ADMINS: 'alice' })).toContain(
      'SLACK_ADMINS must be comma-separated Slack user IDs (U…/W…) or user-group IDs (S…)',
    );
  });

  it('does not need a signing secret in Socket Mode', () => {
    const { SLACK_SIGNING_SECRET: _unused, ...rest } = minimal;
    expect(loadConfig({ ...rest, SLACK_APP_TOKEN: 'xapp-1-abc' }).slack.appToken).toBe('xapp-1-abc');
  });

  it('needs X_USER_ID unless the user-context keys can look it up', () => {
    const { X_USER_ID: _unused, ...rest } = minimal;
    expect(problemsOf(rest)).toEqual([expect.stringMatching(/^X_USER_ID is required when/)]);
    const withKeys = { ...rest, X_APP_KEY: 'k', X_APP_SECRET: 's', X_ACCESS_TOKEN: 't', X_ACCESS_SECRET: 'a' };
    expect(loadConfig(withKeys).x?.userContext).toEqual({ appKey: 'k', appSecret: 's', accessToken: 't', accessSecret: 'a' });
  });

  it('rejects a token of the wrong kind', () => {
    expect(problemsOf({ ...minimal, SLACK_BOT_TOKEN: 'xoxp-user-token' })).toEqual([
      'SLACK_BOT_TOKEN must be a bot token starting with xoxb-',
    ]);
  });

  it('lists secrets for the log redactor', () => {
    expect(secretsOf(loadConfig(minimal))).toEqual(['xoxb-1-2-abc', 'AAAA-bearer']);
  });

  it('refuses a weak encryption key or a weak old key, never printing it, and lists good ones as secrets', () => {
    const problemsWith = (env: Record<string, string>) => {
      try {
        loadConfig({ ...minimal, ...env });
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    const word = 'correcthorsebatterystaplecorrecthorsebatter=';
    expect(problemsWith({ PII_ENCRYPTION_KEY: word })).toEqual([expect.stringMatching(/^PII_ENCRYPTION_KEY is not a random key/)]);
    expect(problemsWith({ PII_ENCRYPTION_KEY: TEST_KEY, PII_ENCRYPTION_OLD_KEYS: `${SECOND_TEST_KEY},${'0'.repeat(64)}` })).toEqual([
      expect.stringMatching(/^PII_ENCRYPTION_OLD_KEYS is not a random key/),
    ]);
    expect(problemsWith({ PII_ENCRYPTION_KEY: `${TEST_KEY},${SECOND_TEST_KEY}` })).toEqual([
      'PII_ENCRYPTION_KEY must be one key; older ones go in PII_ENCRYPTION_OLD_KEYS',
    ]);
    expect(JSON.stringify(problemsWith({ PII_ENCRYPTION_KEY: word }))).not.toContain(word);
    const config = loadConfig({ ...minimal, PII_ENCRYPTION_KEY: TEST_KEY, PII_ENCRYPTION_OLD_KEYS: SECOND_TEST_KEY });
    expect(secretsOf(config)).toEqual(expect.arrayContaining([TEST_KEY, SECOND_TEST_KEY]));
  });
});

describe('platforms on and off', () => {
  const slackOnly = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'shh', SLACK_CHANNEL_MENTIONS: 'C0MENTIONS' };

  it('turns a platform on exactly when its variables are set', () => {
    const config = loadConfig({
      ...slackOnly,
      MASTODON_URL: 'https://mastodon.social/',
      MASTODON_ACCESS_TOKEN: 'mastodon-token-123',
      BLUESKY_IDENTIFIER: 'northwind.bsky.social',
      BLUESKY_APP_PASSWORD: 'abcd-efgh-ijkl-mnop',
    });
    expect(config.x).toBeUndefined();
    expect(config.mastodon).toEqual({ url: 'https://mastodon.social', accessToken: 'mastodon-token-123', rereadCount: 40 });
    expect(config.bluesky).toEqual({
      service: 'https://bsky.social',
      identifier: 'northwind.bsky.social',
      appPassword: 'abcd-efgh-ijkl-mnop',
      reread: { hours: 24, count: 100 },
    });
    expect(secretsOf(config)).toEqual(expect.arrayContaining(['mastodon-token-123', 'abcd-efgh-ijkl-mnop']));
  });

  it("takes each network's re-read window for late mentions, and refuses one out of range", () => {
    const config = loadConfig({
      ...slackOnly,
      X_BEARER_TOKEN: 'x-bearer',
      X_USER_ID: '1500000000000000001',
      X_REREAD_MINUTES: '3',
      MASTODON_URL: 'https://mastodon.social/',
      MASTODON_ACCESS_TOKEN: 'mastodon-token-123',
      MASTODON_REREAD_COUNT: '0',
      BLUESKY_IDENTIFIER: 'northwind.bsky.social',
      BLUESKY_APP_PASSWORD: 'abcd-efgh-ijkl-mnop',
      BLUESKY_REREAD_HOURS: '48',
      BLUESKY_REREAD_COUNT: '250',
    });
    expect(config.x?.rereadMinutes).toBe(3);
    expect(config.mastodon?.rereadCount).toBe(0);
    expect(config.bluesky?.reread).toEqual({ hours: 48, count: 250 });
    expect(loadConfig({ ...slackOnly, X_BEARER_TOKEN: 'x-bearer', X_USER_ID: '1500000000000000001' }).x?.rereadMinutes).toBe(10);
    expect(problemsOf({ ...slackOnly, X_BEARER_TOKEN: 'x-bearer', X_USER_ID: '1', X_REREAD_MINUTES: '-5' })).toContain(
      'X_REREAD_MINUTES must be a whole number between 0 and 1440',
    );
    expect(problemsOf({ ...slackOnly, X_BEARER_TOKEN: 'x-bearer', X_USER_ID: '1', BLUESKY_REREAD_HOURS: '169' })).toContain(
      'BLUESKY_REREAD_HOURS must be a whole number between 0 and 168',
    );
  });

  it('reads automatic replies: a 60 s Undo window and one per author a day by default, business hours checked in full', () => {
    expect(loadConfig(minimal).autoReplies).toEqual({ undoSeconds: 60, authorWindowHours: 24, businessHours: undefined });
    const config = loadConfig({
      ...minimal,
      AUTO_REPLY_UNDO_SECONDS: '30',
      AUTO_REPLY_AUTHOR_WINDOW_HOURS: '6',
      BUSINESS_HOURS: 'Mon-Fri 09:00-18:00, Sat 10:00-14:00 Europe/Paris',
    });
    expect(config.autoReplies).toMatchObject({ undoSeconds: 30, authorWindowHours: 6, businessHours: { timeZone: 'Europe/Paris' } });
    expect(config.autoReplies.businessHours?.spans).toHaveLength(2);
    expect(problemsOf({ ...minimal, AUTO_REPLY_UNDO_SECONDS: '0' })).toContain(
      'AUTO_REPLY_UNDO_SECONDS must be a whole number between 1 and 3600',
    );
    expect(problemsOf({ ...minimal, AUTO_REPLY_AUTHOR_WINDOW_HOURS: '0' })).toContain(
      'AUTO_REPLY_AUTHOR_WINDOW_HOURS must be a whole number between 1 and 24',
    );
    expect(problemsOf({ ...minimal, BUSINESS_HOURS: '9 to 5' })).toEqual([
      'BUSINESS_HOURS cannot be used: "9 to 5" is not a span of days and hours; write it like `Mon-Fri 09:00-18:00` or `Mon-Fri 09:00-18:00, Sat 10:00-14:00 Europe/Paris`',
    ]);
  });

  it('reads surge mode: a minute of backlog, four deviations, 30 a minute, five minutes of calm by default; a user group only if it is one', () => {
    expect(loadConfig(minimal).surges).toEqual({
      backlogSeconds: 60,
      sigmas: 4,
      minPerMinute: 30,
      coolDownSeconds: 300,
      notifyGroup: undefined,
    });
    expect(loadConfig({ ...minimal, SURGE_BACKLOG_SECONDS: '120', SURGE_NOTIFY_GROUP: 'S0SUPPORT' }).surges).toMatchObject({
      backlogSeconds: 120,
      notifyGroup: 'S0SUPPORT',
    });
    expect(problemsOf({ ...minimal, SURGE_NOTIFY_GROUP: '@here' })).toEqual([
      'SURGE_NOTIFY_GROUP must be a Slack user-group ID like S0123ABCD (people named in the surge notice)',
    ]);
    expect(problemsOf({ ...minimal, SURGE_BACKLOG_SECONDS: '0' })).toContain(
      'SURGE_BACKLOG_SECONDS must be a whole number between 5 and 3600',
    );
  });

  it('needs at least one platform, and names half-set ones', () => {
    expect(problemsOf(slackOnly)).toEqual([expect.stringMatching(/^No social platform is configured/)]);
    expect(problemsOf({ ...slackOnly, MASTODON_URL: 'https://mastodon.social' })).toContain(
      'MASTODON_ACCESS_TOKEN must be set too: Mastodon needs the instance URL and an access token',
    );
    expect(problemsOf({ ...slackOnly, BLUESKY_APP_PASSWORD: 'abcd-efgh-ijkl-mnop' })).toContain(
      "BLUESKY_IDENTIFIER must be set too: Bluesky needs the brand's handle and an app password",
    );
    expect(problemsOf({ ...slackOnly, BLUESKY_IDENTIFIER: 'not a handle', BLUESKY_APP_PASSWORD: 'x' })).toContain(
      "BLUESKY_IDENTIFIER must be the brand's handle (like northwind.bsky.social) or its DID",
    );
    expect(problemsOf({ ...slackOnly, MASTODON_URL: 'mastodon.social', MASTODON_ACCESS_TOKEN: 't' })[0]).toMatch(/MASTODON_URL/);
  });
});
