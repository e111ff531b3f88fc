import type { Logger as BoltLogger, LogLevel as BoltLogLevel } from '@slack/bolt';
import type { LogLevel } from './config.ts';

export interface Log {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(scope: string): Log;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * One line per event on stderr: `time level scope: message {fields}`.
 * Every line passes through `redact`, so a token that slips into an error message
 * (Slack and X both echo request details in errors) never reaches the log.
 */
export function createLog(options: { level: LogLevel; secrets?: string[]; write?: (line: string) => void; scope?: string }): Log {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const redact = createRedactor(options.secrets ?? []);
  const threshold = RANK[options.level];

  const make = (scope: string): Log => {
    const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
      if (RANK[level] < threshold) return;
      const detail = fields && Object.keys(fields).length > 0 ? ` ${safeStringify(fields)}` : '';
      write(redact(`${new Date().toISOString()} ${level.padEnd(5)} ${scope}: ${message}${detail}`));
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (name) => make(`${scope}.${name}`),
    };
  };
  return make(options.scope ?? 'switchboard');
}

/**
 * Replaces every configured secret, and anything shaped like a Slack or bearer token, with
 * `[redacted]`: for log lines, and for whatever else leaves the process with outside text in it
 * (the /healthz body carries vendors' error messages).
 */
export function createRedactor(secrets: string[]): (text: string) => string {
  const sorted = secrets.filter((secret) => secret.length >= 4).sort((a, b) => b.length - a.length);
  return (text) =>
    sorted
      .reduce((out, secret) => out.split(secret).join('[redacted]'), text)
      .replace(/\bxox[abpr]-[A-Za-z0-9-]+/g, '[redacted]')
      .replace(/\bxapp-[A-Za-z0-9-]+/g, '[redacted]')
      .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]');
}

function safeStringify(fields: Record<string, unknown>): string {
  return JSON.stringify(fields, (_key, value) => {
    if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
    if (typeof value === 'bigint') return value.toString();
    return value;
  });
}

/** Bolt and the Web API client log through this adapter, so their lines are redacted too. */
export function toBoltLogger(log: Log, level: LogLevel): BoltLogger {
  const join = (parts: unknown[]) =>
    parts.map((part) => (part instanceof Error ? part.message : typeof part === 'string' ? part : safeAny(part))).join(' ');
  let current = level;
  return {
    // Bolt's and the Web API client's debug lines carry whole requests and answers (people's names,
    // posts, emails): Switchboard's own debug lines say what happened without them.
    debug: () => {},
    info: (...msg) => log.info(join(msg)),
    warn: (...msg) => log.warn(join(msg)),
    error: (...msg) => log.error(join(msg)),
    setLevel: (next) => {
      current = next as LogLevel;
    },
    getLevel: () => current as BoltLogLevel,
    setName: () => {},
  };
}

function safeAny(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
