import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SMTPPoolOptions, Transporter } from 'nodemailer';
import type { AdapterContext } from '../types.ts';

/** The account's SMTP settings as validated by the config schema. */
export type SmtpConfig = {
  host: string;
  port: number;
  secure: boolean;
  username?: string;
  password?: string;
};

/** Connections per account pool, and messages per connection before it is renewed. */
const MAX_CONNECTIONS = 3;
const MAX_MESSAGES = 100;
/** Most account pools kept open in one process; the least recently used one is closed beyond. */
const MAX_POOLS = 200;
/** Timeouts (ms): connect, greeting, and idle socket. */
const TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 };

const pools = new Map<string, { hash: string; transport: Transporter }>();

/**
 * Ports that speak TLS from the first byte (RFC 8314's submissions, 465; SES's alternative, 2465). A server there
 * never sends a plain greeting, so `secure: false` on them would only wait out the greeting timeout (15 s).
 */
const IMPLICIT_TLS_PORTS = new Set([465, 2465]);

/**
 * nodemailer options for an account: implicit TLS when `secure` or on an implicit-TLS port, else STARTTLS
 * required (587; no plaintext AUTH if the server does not offer it — the downgrade defence). The host is the operator's
 * configured server, trusted like a provider API root.
 */
export function smtpOptions(config: SmtpConfig, ctx: Pick<AdapterContext, 'tlsCaFile'>): SMTPPoolOptions {
  const secure = config.secure || IMPLICIT_TLS_PORTS.has(config.port);
  return {
    host: config.host,
    port: config.port,
    secure,
    requireTLS: !secure,
    ...(config.username && config.password ? { auth: { user: config.username, pass: config.password } } : {}),
    ...TIMEOUTS,
    tls: {
      minVersion: 'TLSv1.2',
      ...(ctx.tlsCaFile ? { ca: readFileSync(ctx.tlsCaFile, 'utf8') } : {}),
    },
  };
}

/** The account's SMTP settings with the password decrypted just now (never cached outside the pool). */
export async function smtpConfigOf(ctx: AdapterContext): Promise<SmtpConfig> {
  const settings = ctx.account.settings.smtp_config as Omit<SmtpConfig, 'password'>;
  const password = await ctx.account.secret('smtp_config.password');
  return { ...settings, secure: Boolean(settings.secure), ...(password ? { password } : {}) };
}

/**
 * The account's pooled transport (reused connections, bounded): one per account, replaced and closed
 * when its configuration (password included) changes.
 */
export async function pooledTransport(ctx: AdapterContext, config: SmtpConfig): Promise<Transporter> {
  const key = `${ctx.account.agentId}|${ctx.account.channel}`;
  const hash = createHash('sha256')
    .update(JSON.stringify([config, ctx.tlsCaFile ?? '']))
    .digest('hex');
  const existing = pools.get(key);
  if (existing?.hash === hash) {
    // Most recently used goes last.
    pools.delete(key);
    pools.set(key, existing);
    return existing.transport;
  }
  // Loaded on first use: the mail libraries add about a second to start-up otherwise.
  const { createTransport } = await import('nodemailer');
  // A concurrent call may have built this account's pool while the import resolved.
  const raced = pools.get(key);
  if (raced?.hash === hash) return raced.transport;
  pools.get(key)?.transport.close();
  pools.delete(key);
  const transport = createTransport({
    ...smtpOptions(config, ctx),
    pool: true,
    maxConnections: MAX_CONNECTIONS,
    maxMessages: MAX_MESSAGES,
  });
  pools.set(key, { hash, transport });
  if (pools.size > MAX_POOLS) {
    const [oldestKey, oldest] = pools.entries().next().value as [string, { transport: Transporter }];
    oldest.transport.close();
    pools.delete(oldestKey);
  }
  return transport;
}

/** Closes every pooled transport (shutdown, tests). */
export function closeSmtpPools(): void {
  for (const { transport } of pools.values()) transport.close();
  pools.clear();
}
