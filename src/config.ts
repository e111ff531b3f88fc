import { z } from 'zod';
import { type BusinessHours, isTimeZone, parseBusinessHours } from './domain/auto-replies/business-hours.ts';
import { AUTHOR_WINDOW_HOURS } from './domain/auto-replies/guardrails.ts';
import { cronProblem } from './domain/digest-schedule.ts';
import { DEFAULT_SURGE_SETTINGS, type SurgeSettings } from './domain/surges.ts';
import { SwitchboardError } from './errors.ts';
import type { MetaConfig } from './platforms/meta/meta-platform.ts';
import { parseKey } from './store/pii-cipher.ts';

/**
 * Everything Switchboard reads from its environment, validated in full at start-up.
 * Only `main.ts` passes `process.env` in; tests and the sandbox pass plain objects.
 */
export interface Config {
  slack: {
    botToken: string;
    /** Absent only in Socket Mode, where requests arrive over the socket instead of signed HTTP. */
    signingSecret?: string;
    appToken?: string;
    apiUrl: string;
    channels: { mentions: string; questions: string; digest: string };
    /** `SLACK_CHANNEL_DMS`: private conversations, one thread each. Absent: private messages are not read. */
    dmChannel?: string;
  };
  port: number;
  /** Absent when X is not configured (no `X_BEARER_TOKEN`). */
  x?: XConfig;
  /** Absent unless both `MASTODON_URL` and `MASTODON_ACCESS_TOKEN` are set. */
  mastodon?: MastodonConfig;
  /** Absent unless both `BLUESKY_IDENTIFIER` and `BLUESKY_APP_PASSWORD` are set. */
  bluesky?: BlueskyConfig;
  /** Facebook (and Instagram, with `INSTAGRAM_ACCOUNT_ID`): absent unless `META_APP_SECRET` is set. */
  meta?: MetaConfig;
  pollIntervalSeconds: number;
  backfillHours: number;
  digest: { cron: string; timezone: string; responseTargetMinutes: number };
  replyUndoSeconds: number;
  /** Surge mode per channel (SURGE_*). */
  surges: SurgeSettings & { notifyGroup?: string };
  /** Automatic-reply rules: their Undo window, the author guardrail's window, business hours. */
  autoReplies: { undoSeconds: number; authorWindowHours: number; businessHours?: BusinessHours };
  /**
   * Who holds which role (user and user-group IDs). `agents` empty: everyone in the workspace is an
   * agent (the first wave's default); `admins` empty: nobody is, and admin actions are refused.
   */
  roles: { agents: string[]; admins: string[] };
  dataDir: string;
  /** PostgreSQL instead of the files in `dataDir`: several replicas may share it. */
  databaseUrl?: string;
  logLevel: LogLevel;
  /** Enables POST /crm/sync; absent means the endpoint answers 404. */
  crmSyncSecret?: string;
  /** When set, personal data is sealed at rest with this key (AES-256-GCM). */
  piiEncryptionKey?: string;
  /** Earlier keys, still readable while `npm run crm -- encrypt` re-seals with the current one. */
  piiEncryptionOldKeys: string[];
}

export interface XConfig {
  apiUrl: string;
  bearerToken: string;
  /** OAuth 1.0a user context of the brand account; needed to act (reply, like) and to look up the user ID. */
  userContext?: { appKey: string; appSecret: string; accessToken: string; accessSecret: string };
  userId?: string;
  /** How far before the newest mention seen each poll reads again (`X_REREAD_MINUTES`). */
  rereadMinutes: number;
  /** `X_DM_POLL_INTERVAL_SECONDS`: DM reads have their own limit (15 per 15 minutes per user) and are billed per event. */
  dmPollIntervalSeconds: number;
}

export interface MastodonConfig {
  /** The brand's instance, e.g. https://mastodon.social */
  url: string;
  accessToken: string;
  /** How many already-seen mentions each poll reads again below the newest one (`MASTODON_REREAD_COUNT`). */
  rereadCount: number;
}

export interface BlueskyConfig {
  /** The PDS or entryway the brand account logs in to. */
  service: string;
  /** The brand's handle (northwind.bsky.social) or DID. */
  identifier: string;
  /** An app password (Settings → App passwords), never the account password. */
  appPassword: string;
  /**
   * How far below the newest notification seen each poll reads again: until notifications are this
   * much older than it (`BLUESKY_REREAD_HOURS`) or this many were already seen (`BLUESKY_REREAD_COUNT`).
   */
  reread: { hours: number; count: number };
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends SwitchboardError {
  constructor(readonly problems: string[]) {
    super(
      'config_invalid',
      `Switchboard cannot start: ${problems.length} configuration problem(s)\n${problems.join('\n')}`,
      'needs_person',
    );
  }
}

type Env = Record<string, string | undefined>;

const CHANNEL_ID = /^[CG][A-Z0-9]{6,}$/;
const SLACK_PRINCIPAL_ID = /^[UWS][A-Z0-9]{6,}$/;

/** Comma-separated encryption keys, each checked for strength (the problem says which one, never its value). */
const encryptionKeys = (name: string) =>
  z.string().transform((value, context) => {
    const keys = value
      .split(',')
      .map((key) => key.trim())
      .filter(Boolean);
    if (name === 'PII_ENCRYPTION_KEY' && keys.length !== 1) {
      context.addIssue({ code: 'custom', message: `${name} must be one key; older ones go in PII_ENCRYPTION_OLD_KEYS` });
      return z.NEVER;
    }
    for (const key of keys) {
      const parsed = parseKey(key, name);
      if ('problem' in parsed) {
        context.addIssue({ code: 'custom', message: parsed.problem });
        return z.NEVER;
      }
    }
    return keys;
  });

/** A comma-separated list of Slack user IDs (U…/W…) and user-group IDs (S…). */
const principals = (name: string) =>
  optional(
    z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean),
      )
      .refine(
        (ids) => ids.every((id) => SLACK_PRINCIPAL_ID.test(id)),
        `${name} must be comma-separated Slack user IDs (U…/W…) or user-group IDs (S…)`,
      ),
  );

/** Treats an empty value like an unset one: `FOO=` in `.env` means "use the default". */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const requiredText = (name: string, hint: string) =>
  z
    .string({ error: `${name} is required: ${hint}` })
    .trim()
    .min(1, `${name} is required: ${hint}`);

const channelId = (name: string) => z.string().regex(CHANNEL_ID, `${name} must be a Slack channel ID like C0123ABCD (not a #name)`);

const url = (name: string) =>
  z
    .string()
    .url(`${name} must be an http(s) URL`)
    .refine((value) => /^https?:\/\//.test(value), `${name} must be an http(s) URL`)
    .transform((value) => (value.endsWith('/') ? value : `${value}/`));

const integer = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be a whole number between ${min} and ${max}`);

const envSchema = z.object({
  SLACK_BOT_TOKEN: requiredText('SLACK_BOT_TOKEN', 'set it to the bot token (xoxb-…) from your Slack app').refine(
    (value) => value.startsWith('xoxb-'),
    'SLACK_BOT_TOKEN must be a bot token starting with xoxb-',
  ),
  SLACK_SIGNING_SECRET: optional(z.string()),
  SLACK_APP_TOKEN: optional(
    z.string().refine((value) => value.startsWith('xapp-'), 'SLACK_APP_TOKEN must be an app-level token starting with xapp-'),
  ),
  SLACK_API_URL: optional(url('SLACK_API_URL')),
  PORT: optional(integer('PORT', 0, 65535)),
  SLACK_CHANNEL_MENTIONS: requiredText('SLACK_CHANNEL_MENTIONS', 'set it to the ID of the channel for new mentions, like C0123ABCD').pipe(
    channelId('SLACK_CHANNEL_MENTIONS'),
  ),
  SLACK_CHANNEL_QUESTIONS: optional(channelId('SLACK_CHANNEL_QUESTIONS')),
  SLACK_CHANNEL_DIGEST: optional(channelId('SLACK_CHANNEL_DIGEST')),
  SLACK_CHANNEL_DMS: optional(channelId('SLACK_CHANNEL_DMS')),
  X_DM_POLL_INTERVAL_SECONDS: optional(integer('X_DM_POLL_INTERVAL_SECONDS', 1, 86_400)),
  X_API_URL: optional(url('X_API_URL')),
  X_BEARER_TOKEN: optional(z.string()),
  X_APP_KEY: optional(z.string()),
  X_APP_SECRET: optional(z.string()),
  X_ACCESS_TOKEN: optional(z.string()),
  X_ACCESS_SECRET: optional(z.string()),
  X_USER_ID: optional(z.string().regex(/^\d{1,20}$/, 'X_USER_ID must be the numeric ID of the brand account')),
  META_APP_SECRET: optional(z.string()),
  META_VERIFY_TOKEN: optional(z.string()),
  META_PAGE_ID: optional(z.string().regex(/^\d{1,25}$/, 'META_PAGE_ID must be the numeric ID of the Facebook Page')),
  META_PAGE_ACCESS_TOKEN: optional(z.string()),
  INSTAGRAM_ACCOUNT_ID: optional(
    z.string().regex(/^\d{1,25}$/, 'INSTAGRAM_ACCOUNT_ID must be the numeric ID of the Instagram professional account linked to the Page'),
  ),
  META_GRAPH_URL: optional(url('META_GRAPH_URL')),
  META_GRAPH_VERSION: optional(z.string().regex(/^v\d{1,3}\.\d$/, 'META_GRAPH_VERSION must look like v25.0')),
  META_HUMAN_AGENT: optional(z.enum(['true', 'false'], { message: 'META_HUMAN_AGENT must be true or false' })),
  MASTODON_URL: optional(url('MASTODON_URL')),
  MASTODON_ACCESS_TOKEN: optional(z.string()),
  BLUESKY_SERVICE: optional(url('BLUESKY_SERVICE')),
  BLUESKY_IDENTIFIER: optional(
    z
      .string()
      .regex(
        /^(did:[a-z]+:\S+|[a-z0-9.-]+\.[a-z]{2,})$/i,
        "BLUESKY_IDENTIFIER must be the brand's handle (like northwind.bsky.social) or its DID",
      ),
  ),
  BLUESKY_APP_PASSWORD: optional(z.string()),
  BLUESKY_REREAD_HOURS: optional(integer('BLUESKY_REREAD_HOURS', 0, 24 * 7)),
  BLUESKY_REREAD_COUNT: optional(integer('BLUESKY_REREAD_COUNT', 0, 1_000)),
  X_REREAD_MINUTES: optional(integer('X_REREAD_MINUTES', 0, 24 * 60)),
  MASTODON_REREAD_COUNT: optional(integer('MASTODON_REREAD_COUNT', 0, 400)),
  POLL_INTERVAL_SECONDS: optional(integer('POLL_INTERVAL_SECONDS', 1, 86_400)),
  BACKFILL_HOURS: optional(integer('BACKFILL_HOURS', 0, 24 * 7)),
  DIGEST_CRON: optional(
    z.string().superRefine((value, context) => {
      const problem = cronProblem(value);
      if (problem)
        context.addIssue({
          code: 'custom',
          message: `DIGEST_CRON "${value.slice(0, 60)}" cannot be used: ${problem} (a cron expression like "0 9 * * *")`,
        });
    }),
  ),
  DIGEST_TIMEZONE: optional(z.string().refine(isTimeZone, 'DIGEST_TIMEZONE must be an IANA time zone like Europe/Paris or UTC')),
  RESPONSE_TARGET_MINUTES: optional(integer('RESPONSE_TARGET_MINUTES', 1, 10_080)),
  REPLY_UNDO_SECONDS: optional(integer('REPLY_UNDO_SECONDS', 0, 600)),
  // Never 0: an automatic reply always leaves the team a moment to stop it.
  AUTO_REPLY_UNDO_SECONDS: optional(integer('AUTO_REPLY_UNDO_SECONDS', 1, 3_600)),
  // One automatic reply per author per this many hours: may be made shorter, never off.
  AUTO_REPLY_AUTHOR_WINDOW_HOURS: optional(integer('AUTO_REPLY_AUTHOR_WINDOW_HOURS', 1, 24)),
  SURGE_BACKLOG_SECONDS: optional(integer('SURGE_BACKLOG_SECONDS', 5, 3_600)),
  SURGE_RATE_SIGMAS: optional(integer('SURGE_RATE_SIGMAS', 2, 20)),
  SURGE_MIN_PER_MINUTE: optional(integer('SURGE_MIN_PER_MINUTE', 1, 100_000)),
  SURGE_COOLDOWN_SECONDS: optional(integer('SURGE_COOLDOWN_SECONDS', 0, 86_400)),
  SURGE_NOTIFY_GROUP: optional(
    z
      .string()
      .regex(/^S[A-Z0-9]{2,}$/, 'SURGE_NOTIFY_GROUP must be a Slack user-group ID like S0123ABCD (people named in the surge notice)'),
  ),
  BUSINESS_HOURS: optional(
    z.string().transform((value, context) => {
      const hours = parseBusinessHours(value);
      if ('problem' in hours) {
        context.addIssue({ code: 'custom', message: `BUSINESS_HOURS cannot be used: ${hours.problem}` });
        return z.NEVER;
      }
      return hours;
    }),
  ),
  REPLY_ALLOWED_USERS: principals('REPLY_ALLOWED_USERS'),
  SLACK_AGENTS: principals('SLACK_AGENTS'),
  SLACK_ADMINS: principals('SLACK_ADMINS'),
  DATA_DIR: optional(z.string()),
  DATABASE_URL: optional(
    z
      .string()
      .refine(
        (value) => /^postgres(ql)?:\/\/[^\s]+$/.test(value) && URL.canParse(value),
        'DATABASE_URL must be a PostgreSQL URL like postgres://switchboard:password@db.internal:5432/switchboard (or unset for the files in DATA_DIR)',
      ),
  ),
  PII_ENCRYPTION_KEY: optional(encryptionKeys('PII_ENCRYPTION_KEY')),
  PII_ENCRYPTION_OLD_KEYS: optional(encryptionKeys('PII_ENCRYPTION_OLD_KEYS')),
  CRM_SYNC_SECRET: optional(z.string().min(16, 'CRM_SYNC_SECRET must be at least 16 characters: generate one with `openssl rand -hex 32`')),
  LOG_LEVEL: optional(z.enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })),
});

/**
 * Rules across variables. Checked on the raw values, apart from the schema, so they are reported
 * together with every other problem (zod skips refinements once a field fails).
 */
function crossFieldProblems(raw: Env): string[] {
  const env = Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, value?.trim() ? value : undefined]));
  const problems: string[] = [];
  if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
    problems.push(
      'SLACK_SIGNING_SECRET is required in HTTP mode: copy it from your Slack app\'s "Basic Information" page (or set SLACK_APP_TOKEN for Socket Mode)',
    );
  }
  // A platform is on exactly when its variables are set; half a platform is a mistake worth naming.
  if (
    !env.X_BEARER_TOKEN &&
    !(env.MASTODON_URL || env.MASTODON_ACCESS_TOKEN) &&
    !(env.BLUESKY_IDENTIFIER || env.BLUESKY_APP_PASSWORD) &&
    !env.META_APP_SECRET
  ) {
    problems.push(
      'No social platform is configured: set X_BEARER_TOKEN (X), MASTODON_URL and MASTODON_ACCESS_TOKEN (Mastodon), BLUESKY_IDENTIFIER and BLUESKY_APP_PASSWORD (Bluesky), or META_APP_SECRET with the Page variables (Facebook, Instagram)',
    );
  }
  const metaNames = ['META_VERIFY_TOKEN', 'META_PAGE_ID', 'META_PAGE_ACCESS_TOKEN'] as const;
  if (env.META_APP_SECRET) {
    const missing = metaNames.filter((name) => !env[name]);
    if (missing.length) {
      problems.push(
        `${missing.join(', ')} must be set too: Facebook needs the webhook's verify token, the Page's ID and a Page access token beside META_APP_SECRET`,
      );
    }
  } else if ([...metaNames, 'INSTAGRAM_ACCOUNT_ID'].some((name) => env[name])) {
    problems.push(
      "META_APP_SECRET is required for Facebook and Instagram: copy it from the Meta app's Settings > Basic (it checks every webhook's signature)",
    );
  }
  if (Boolean(env.MASTODON_URL) !== Boolean(env.MASTODON_ACCESS_TOKEN)) {
    problems.push(
      `${env.MASTODON_URL ? 'MASTODON_ACCESS_TOKEN' : 'MASTODON_URL'} must be set too: Mastodon needs the instance URL and an access token`,
    );
  }
  if (Boolean(env.BLUESKY_IDENTIFIER) !== Boolean(env.BLUESKY_APP_PASSWORD)) {
    problems.push(
      `${env.BLUESKY_IDENTIFIER ? 'BLUESKY_APP_PASSWORD' : 'BLUESKY_IDENTIFIER'} must be set too: Bluesky needs the brand's handle and an app password`,
    );
  }
  if (!env.X_BEARER_TOKEN && ['X_APP_KEY', 'X_APP_SECRET', 'X_ACCESS_TOKEN', 'X_ACCESS_SECRET', 'X_USER_ID'].some((name) => env[name])) {
    problems.push('X_BEARER_TOKEN is required to read mentions from X: copy the app-only Bearer Token from the X developer portal');
  }
  const userContext = ['X_APP_KEY', 'X_APP_SECRET', 'X_ACCESS_TOKEN', 'X_ACCESS_SECRET'] as const;
  const given = userContext.filter((name) => env[name]);
  if (given.length > 0 && given.length < userContext.length) {
    const missing = userContext.filter((name) => !env[name]);
    problems.push(`${missing.join(', ')} must be set too: the four X OAuth 1.0a values go together`);
  }
  if (env.X_BEARER_TOKEN && !env.X_USER_ID && given.length === 0) {
    problems.push(
      'X_USER_ID is required when X_APP_KEY, X_APP_SECRET, X_ACCESS_TOKEN and X_ACCESS_SECRET are not set (they let Switchboard look it up)',
    );
  }
  return problems;
}

/** Parses and validates the whole environment; throws one ConfigError listing every problem. */
export function loadConfig(env: Env): Config {
  const parsed = envSchema.safeParse(env);
  const problems = [...(parsed.success ? [] : parsed.error.issues.map((issue) => issue.message)), ...crossFieldProblems(env)];
  if (!parsed.success || problems.length > 0) throw new ConfigError([...new Set(problems)]);
  const e = parsed.data;
  const mentions = e.SLACK_CHANNEL_MENTIONS;
  const userContext =
    e.X_APP_KEY && e.X_APP_SECRET && e.X_ACCESS_TOKEN && e.X_ACCESS_SECRET
      ? { appKey: e.X_APP_KEY, appSecret: e.X_APP_SECRET, accessToken: e.X_ACCESS_TOKEN, accessSecret: e.X_ACCESS_SECRET }
      : undefined;
  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL ?? 'https://slack.com/api/',
      channels: {
        mentions,
        questions: e.SLACK_CHANNEL_QUESTIONS ?? mentions,
        digest: e.SLACK_CHANNEL_DIGEST ?? mentions,
      },
      dmChannel: e.SLACK_CHANNEL_DMS,
    },
    port: e.PORT ?? 3000,
    x: e.X_BEARER_TOKEN
      ? {
          apiUrl: e.X_API_URL ?? 'https://api.x.com/2/',
          bearerToken: e.X_BEARER_TOKEN,
          userContext,
          userId: e.X_USER_ID,
          rereadMinutes: e.X_REREAD_MINUTES ?? 10,
          // 15 reads per 15 minutes per user: one every 2 minutes leaves half the window for paging and for
          // the look-ups that settle an uncertain send.
          dmPollIntervalSeconds: e.X_DM_POLL_INTERVAL_SECONDS ?? 120,
        }
      : undefined,
    mastodon:
      e.MASTODON_URL && e.MASTODON_ACCESS_TOKEN
        ? { url: e.MASTODON_URL.replace(/\/+$/, ''), accessToken: e.MASTODON_ACCESS_TOKEN, rereadCount: e.MASTODON_REREAD_COUNT ?? 40 }
        : undefined,
    bluesky:
      e.BLUESKY_IDENTIFIER && e.BLUESKY_APP_PASSWORD
        ? {
            service: e.BLUESKY_SERVICE ?? 'https://bsky.social',
            identifier: e.BLUESKY_IDENTIFIER,
            appPassword: e.BLUESKY_APP_PASSWORD,
            reread: { hours: e.BLUESKY_REREAD_HOURS ?? 24, count: e.BLUESKY_REREAD_COUNT ?? 100 },
          }
        : undefined,
    meta:
      e.META_APP_SECRET && e.META_VERIFY_TOKEN && e.META_PAGE_ID && e.META_PAGE_ACCESS_TOKEN
        ? {
            appSecret: e.META_APP_SECRET,
            verifyToken: e.META_VERIFY_TOKEN,
            pageId: e.META_PAGE_ID,
            pageAccessToken: e.META_PAGE_ACCESS_TOKEN,
            instagramAccountId: e.INSTAGRAM_ACCOUNT_ID,
            graphUrl: e.META_GRAPH_URL ?? 'https://graph.facebook.com/',
            graphVersion: e.META_GRAPH_VERSION ?? META_GRAPH_VERSION,
            humanAgent: e.META_HUMAN_AGENT === 'true',
          }
        : undefined,
    pollIntervalSeconds: e.POLL_INTERVAL_SECONDS ?? 60,
    backfillHours: e.BACKFILL_HOURS ?? 24,
    digest: {
      cron: e.DIGEST_CRON ?? '0 9 * * *',
      timezone: e.DIGEST_TIMEZONE ?? 'UTC',
      responseTargetMinutes: e.RESPONSE_TARGET_MINUTES ?? 60,
    },
    replyUndoSeconds: e.REPLY_UNDO_SECONDS ?? 10,
    surges: {
      backlogSeconds: e.SURGE_BACKLOG_SECONDS ?? DEFAULT_SURGE_SETTINGS.backlogSeconds,
      sigmas: e.SURGE_RATE_SIGMAS ?? DEFAULT_SURGE_SETTINGS.sigmas,
      minPerMinute: e.SURGE_MIN_PER_MINUTE ?? DEFAULT_SURGE_SETTINGS.minPerMinute,
      coolDownSeconds: e.SURGE_COOLDOWN_SECONDS ?? DEFAULT_SURGE_SETTINGS.coolDownSeconds,
      notifyGroup: e.SURGE_NOTIFY_GROUP,
    },
    autoReplies: {
      undoSeconds: e.AUTO_REPLY_UNDO_SECONDS ?? 60,
      authorWindowHours: e.AUTO_REPLY_AUTHOR_WINDOW_HOURS ?? AUTHOR_WINDOW_HOURS,
      businessHours: e.BUSINESS_HOURS,
    },
    // REPLY_ALLOWED_USERS was the first wave's name for agents: it keeps working.
    roles: { agents: e.SLACK_AGENTS ?? e.REPLY_ALLOWED_USERS ?? [], admins: e.SLACK_ADMINS ?? [] },
    dataDir: e.DATA_DIR ?? './data',
    databaseUrl: e.DATABASE_URL,
    logLevel: e.LOG_LEVEL ?? 'info',
    crmSyncSecret: e.CRM_SYNC_SECRET,
    piiEncryptionKey: e.PII_ENCRYPTION_KEY?.[0],
    piiEncryptionOldKeys: e.PII_ENCRYPTION_OLD_KEYS ?? [],
  };
}

/** The Graph API version this code was written and tested against: Meta keeps each for about two years. */
export const META_GRAPH_VERSION = 'v25.0';

/** Values that must never appear in a log line. */
export function secretsOf(config: Config): string[] {
  const { slack, x } = config;
  return [
    slack.botToken,
    slack.signingSecret,
    slack.appToken,
    x?.bearerToken,
    x?.userContext?.appSecret,
    x?.userContext?.accessToken,
    x?.userContext?.accessSecret,
    config.mastodon?.accessToken,
    config.bluesky?.appPassword,
    config.meta?.appSecret,
    config.meta?.verifyToken,
    config.meta?.pageAccessToken,
    config.crmSyncSecret,
    config.piiEncryptionKey,
    // The password inside the URL, and the URL whole (it is logged nowhere, but never by accident either).
    config.databaseUrl,
    config.databaseUrl ? decodeURIComponent(new URL(config.databaseUrl).password) : undefined,
    ...config.piiEncryptionOldKeys,
  ].filter((value): value is string => Boolean(value && value.length >= 4));
}
