import path from 'node:path';
import { z } from 'zod';
import { decodeKey } from './vault/vault.ts';
import { REQUEST_LOG_MODES } from './http/request-log.ts';

/** Every environment variable Switchboard reads, with its default. `.env.example` documents each one. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const bool = (fallback: boolean) =>
  optionalString.transform((v, ctx) => {
    if (v === undefined) return fallback;
    if (['true', '1', 'yes'].includes(v.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(v.toLowerCase())) return false;
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
  });

const int = (fallback: number, min: number, max: number) =>
  optionalString.transform((v, ctx) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });

const url = (protocols: string[]) =>
  optionalString.transform((v, ctx) => {
    if (v === undefined) return undefined;
    try {
      const parsed = new URL(v);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return v.replace(/\/+$/, '');
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be a URL starting with ${protocols.join(' or ')}//` });
      return z.NEVER;
    }
  });

const KEY_HINT = 'must be 32 random bytes in base64 (generate one with: openssl rand -base64 32)';

/** One vault key: 32 bytes, base64. */
const vaultKey = optionalString.refine((v) => v === undefined || decodeKey(v) !== undefined, KEY_HINT);

/** Comma-separated vault keys, for opening values sealed before a rotation. */
const vaultKeyList = optionalString.transform((v, ctx) => {
  const keys = (v ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  keys.forEach((key, i) => {
    if (!decodeKey(key)) ctx.addIssue({ code: 'custom', message: `key ${i + 1}: ${KEY_HINT}` });
  });
  return keys;
});

/** Durations like `3600`, `30m`, `12h`, `7d` (seconds when unitless). */
const duration = (fallbackSeconds: number) =>
  optionalString.transform((v, ctx) => {
    if (v === undefined) return fallbackSeconds;
    const m = /^(\d+)(s|m|h|d)?$/.exec(v);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as 3600, 30m, 12h or 7d' });
      return z.NEVER;
    }
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
    const seconds = Number(m[1]) * unit;
    if (seconds < 60 || seconds > 365 * 86400) {
      ctx.addIssue({ code: 'custom', message: 'must be between 1 minute and 365 days' });
      return z.NEVER;
    }
    return seconds;
  });

const DEBOUNCE_ENTRY = /^([a-z][a-z0-9_]*)=(\d{1,6})$/;

/** Per-channel debounce such as `telegram=1000,website=0` (milliseconds). */
const debounceMap = optionalString.transform((v, ctx) => {
  const map: Record<string, number> = {};
  for (const entry of (v ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const m = DEBOUNCE_ENTRY.exec(entry);
    if (!m) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" must look like channel=milliseconds, e.g. telegram=1000`,
      });
      return z.NEVER;
    }
    map[m[1] as string] = Number(m[2]);
  }
  return map;
});

const envSchema = z.object({
  NODE_ENV: optionalString.pipe(z.enum(['development', 'production', 'test']).default('development')),
  PORT: int(3000, 0, 65535),
  HOST: optionalString.transform((v) => v ?? '0.0.0.0'),
  DATA_DIR: optionalString.transform((v) => path.resolve(v ?? './data')),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DATABASE_POOL_MAX: int(10, 2, 200),
  DATABASE_PREPARED_STATEMENTS: bool(true),
  DATABASE_STARTUP_WAIT_MS: int(60_000, 0, 3_600_000),
  PUBLIC_URL: url(['http:', 'https:']),
  TELEGRAM_API_ROOT: url(['http:', 'https:']).transform((v) => v ?? 'https://api.telegram.org'),
  META_GRAPH_API_ROOT: url(['http:', 'https:']).transform((v) => v ?? 'https://graph.facebook.com'),
  DIALOG360_API_ROOT: url(['http:', 'https:']).transform((v) => v ?? 'https://waba-v2.360dialog.io'),
  TWILIO_API_ROOT: url(['http:', 'https:']).transform((v) => v ?? 'https://api.twilio.com'),
  TWILIO_MESSAGING_API_ROOT: url(['http:', 'https:']).transform((v) => v ?? 'https://messaging.twilio.com'),
  SENDGRID_API_ROOT: url(['http:', 'https:']).transform((v) => v ?? 'https://api.sendgrid.com'),
  /** Unset: each Mailgun domain's region picks its API host (api.mailgun.net / api.eu.mailgun.net). */
  MAILGUN_API_ROOT: url(['http:', 'https:']),
  LOG_LEVEL: optionalString.pipe(z.enum(LOG_LEVELS).default('info')),
  REQUEST_LOG: optionalString.pipe(z.enum(REQUEST_LOG_MODES).default('changes')),
  JWT_SECRET: optionalString.refine(
    (v) => v === undefined || v.length >= 32,
    'must be at least 32 characters',
  ),
  SESSION_TTL: duration(7 * 86400),
  INVITATION_TTL: duration(7 * 86400),
  BODY_LIMIT_BYTES: int(1024 * 1024, 1024, 100 * 1024 * 1024),
  /** Provider webhooks answered by the node:http fast lane (src/engine/webhook-fast-lane.ts); false = all via Hono. */
  WEBHOOK_FAST_LANE: bool(true),
  EMAIL_MAX_BYTES: int(25 * 1024 * 1024, 1024, 100 * 1024 * 1024),
  IMAP_LEASE_TTL_MS: int(30_000, 1_000, 600_000),
  IMAP_BATCH_SIZE: int(50, 1, 1_000),
  IMAP_RECONNECT_MAX_MS: int(300_000, 1_000, 3_600_000),
  EMAIL_TLS_CA_FILE: optionalString,
  /** Amazon SES API endpoint override (a local fake); default: the region's public endpoint. */
  SES_ENDPOINT: url(['http:', 'https:']),
  /** Hosts SNS signing certificates and SubscribeURLs may come from (`*` = one label or a port). */
  AWS_SNS_TRUSTED_HOSTS: optionalString.transform((v) =>
    (v ?? 'sns.*.amazonaws.com,sns.*.amazonaws.com.cn')
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean),
  ),
  ALLOW_REGISTRATION: bool(true),
  BOOTSTRAP_EMAIL: optionalString.pipe(z.email().default('admin@switchboard.local')),
  TRUST_PROXY: bool(false),
  REGISTER_LIMIT_PER_HOUR: int(30, 1, 1_000_000),
  LOGIN_FAILURES_PER_10_MIN: int(10, 1, 1_000_000),
  LOGIN_ATTEMPTS_PER_IP_PER_10_MIN: int(100, 1, 1_000_000),
  PASSWORD_HASH_CONCURRENCY: int(2, 1, 64),
  API_RATE_LIMIT_PER_MINUTE: int(1200, 1, 10_000_000),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 0, 600_000),
  CONVERSATION_INACTIVITY: duration(24 * 3600),
  INBOUND_EVENT_RETENTION: duration(30 * 86400).refine(
    (seconds) => seconds >= 8 * 86400,
    'must be at least 8d (providers redeliver for up to 7 days, and the events are their dedupe keys)',
  ),
  TURN_DEBOUNCE_MS: debounceMap,
  DELIVERY_MAX_ATTEMPTS: int(8, 1, 50),
  WORKER_CONCURRENCY: int(4, 1, 64),
  WORKER_BATCH_SIZE: int(8, 1, 64),
  WORKERS: bool(true),
  EMBEDDED_VACUUM_INTERVAL_MS: int(15_000, 0, 3_600_000),
  EMBEDDED_WAL_SYNC: bool(true),
  ATTACHMENT_MAX_BYTES: int(100 * 1024 * 1024, 1, 2 * 1024 * 1024 * 1024),
  LOOPBACK_CHANNEL_URL: url(['http:', 'https:']),
  LOOPBACK_CHANNEL_SECRET: optionalString.refine(
    (v) => v === undefined || v.length >= 16,
    'must be at least 16 characters',
  ),
  CHANNEL_ENCRYPTION_KEY: vaultKey,
  CHANNEL_ENCRYPTION_KEYS_PREVIOUS: vaultKeyList,
  CHANNEL_CONFIG_WRITES_PER_MINUTE: int(30, 1, 1_000_000),
  CHANNEL_TESTS_PER_MINUTE: int(10, 1, 1_000_000),
  LLM_TIMEOUT_MS: int(60_000, 1_000, 600_000),
  LLM_MAX_RETRIES: int(2, 0, 10),
  OPENAI_API_KEY: optionalString,
  ANTHROPIC_API_KEY: optionalString,
  DEMO_AGENT_MODEL: optionalString.refine(
    (v) => v === undefined || v.length <= 200,
    'must be 200 characters or fewer',
  ),
  AGENT_HISTORY_CHARS: int(24_000, 0, 2_000_000),
  INBOUND_TEXT_MAX_CHARS: int(20_000, 100, 1_000_000),
  VISITOR_TOKEN_TTL: duration(24 * 3600),
  WIDGET_IP_RATE_LIMIT_PER_MINUTE: int(120, 1, 1_000_000),
  WIDGET_VISITOR_RATE_LIMIT_PER_MINUTE: int(20, 1, 1_000_000),
  RATE_LIMIT_STORE: optionalString.pipe(z.enum(['memory', 'postgres']).default('memory')),
  OUTBOUND_ALLOW_PRIVATE: bool(false),
  EVENTS_REPLAY_MAX_AGE: duration(24 * 3600),
  EVENTS_REPLAY_MAX_EVENTS: int(1000, 1, 100_000),
  EVENTS_STREAMS_PER_AGENT: int(20, 1, 10_000),
  EVENTS_STREAMS_MAX: int(1000, 1, 100_000),
  EVENTS_STREAM_MAX_MS: int(3_600_000, 1_000, 86_400_000),
  EVENTS_HEARTBEAT_MS: int(15_000, 500, 300_000),
  SSE_STALL_MS: int(30_000, 1_000, 600_000),
  AGENT_EVENT_RETENTION: duration(7 * 86400),
  EVENT_WEBHOOKS_PER_ORGANIZATION: int(20, 1, 1_000),
  EVENT_WEBHOOK_MAX_ATTEMPTS: int(10, 1, 30),
  EVENT_WEBHOOK_RETRY_BASE_MS: int(10_000, 100, 3_600_000),
  EVENT_WEBHOOK_TIMEOUT_MS: int(10_000, 1_000, 60_000),
  METRICS_TOKEN: optionalString.refine(
    (v) => v === undefined || v.length >= 16,
    'must be at least 16 characters',
  ),
});

export type Config = z.output<typeof envSchema>;

/** Names of every variable read (documented one by one in .env.example). */
export const CONFIG_KEYS = Object.keys(envSchema.shape);

/** Raised when the environment holds a malformed value; the message names each variable. */
export class ConfigError extends Error {}

/** Parses the environment, failing fast with a message that names every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  if (config.NODE_ENV === 'production' && config.JWT_SECRET === undefined) {
    throw new ConfigError('Invalid configuration:\n  JWT_SECRET: is required when NODE_ENV=production');
  }
  if (config.NODE_ENV === 'production' && config.CHANNEL_ENCRYPTION_KEY === undefined) {
    throw new ConfigError(
      `Invalid configuration:\n  CHANNEL_ENCRYPTION_KEY: is required when NODE_ENV=production; ${KEY_HINT}`,
    );
  }
  if (config.RATE_LIMIT_STORE === 'postgres' && config.DATABASE_URL === undefined) {
    throw new ConfigError('Invalid configuration:\n  RATE_LIMIT_STORE: postgres needs DATABASE_URL');
  }
  return config;
}
