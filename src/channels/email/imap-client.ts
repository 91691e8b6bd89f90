import type { ImapFlow } from 'imapflow';
import type { AdapterContext, TestResult } from '../types.ts';
import { type ImapSettings, imapSettings } from './imap-config.ts';

/** Connection timeouts of every IMAP client (milliseconds). */
export const IMAP_TIMEOUTS = { connection: 15_000, greeting: 15_000, socket: 5 * 60_000 } as const;

/**
 * An IMAP client for one mailbox. imapflow's own logging is off (it would echo protocol lines); callers log safe
 * summaries. `secure: false` still upgrades with STARTTLS when the server offers it.
 */
export async function imapClient(config: ImapSettings, password: string): Promise<ImapFlow> {
  // Loaded on first use: the mail libraries add about a second to start-up otherwise.
  const { ImapFlow } = await import('imapflow');
  return new ImapFlow({
    host: config.host,
    port: config.port,
    secure: config.secure,
    auth: { user: config.username, pass: password },
    logger: false,
    connectionTimeout: IMAP_TIMEOUTS.connection,
    greetingTimeout: IMAP_TIMEOUTS.greeting,
    socketTimeout: IMAP_TIMEOUTS.socket,
    // Enter IDLE as soon as the poller goes quiet (imapflow waits 15 s by default), so new mail is seen at once.
    autoIdleDelay: 250,
    // Re-issue IDLE every few minutes: some servers and NATs drop a silent connection.
    maxIdleTime: 4 * 60_000,
  });
}

/** What identifies a mailbox for its cursor: the same key means the same UIDs. */
export const mailboxKey = (config: ImapSettings) =>
  `${config.host}:${config.port}/${config.username}/${config.mailbox}`;

type ImapError = Error & {
  code?: string;
  authenticationFailed?: boolean;
  responseText?: string;
  serverResponseCode?: string;
};

/**
 * A description of an IMAP failure that is safe to log and to show: the failure kind, the socket error code or
 * the server's response text, bounded, with the password scrubbed should a server ever echo it.
 */
export function safeImapError(error: unknown, password?: string): string {
  const err = (error ?? {}) as ImapError;
  let text: string;
  if (err.authenticationFailed)
    text = `authentication failed${err.responseText ? `: ${err.responseText}` : ''}`;
  else text = err.responseText || err.message || String(error);
  if (err.code && !text.includes(err.code)) text += ` (${err.code})`;
  // As sent, and as an IMAP quoted string (`"` and `\` escaped) should a server echo the LOGIN command.
  if (password) {
    for (const form of [password.replace(/["\\]/g, '\\$&'), password]) text = text.split(form).join('***');
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** Connects, logs in and opens the mailbox read-only, then logs out: the `test` check for imap_config. */
export async function checkImapMailbox(
  config: ImapSettings,
  password: string,
): Promise<{ ok: true; messages: number } | { ok: false; error: string }> {
  const client = await imapClient(config, password);
  client.on('error', () => {});
  try {
    await client.connect();
    const mailbox = await client.mailboxOpen(config.mailbox, { readOnly: true });
    return { ok: true, messages: mailbox.exists };
  } catch (error) {
    return { ok: false, error: safeImapError(error, password) };
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * Adds the IMAP mailbox check to an email provider's connection test when imap_config is set: after the
 * provider's own test passes, connect + login + select; either failure is the result, in the spec's shapes.
 */
export function withImapCheck(
  test: (ctx: AdapterContext) => Promise<TestResult>,
): (ctx: AdapterContext) => Promise<TestResult> {
  return async (ctx) => {
    const result = await test(ctx);
    const settings = imapSettings.safeParse(ctx.account.settings.imap_config);
    if (!result.success || !settings.success) return result;
    const password = await ctx.account.secret('imap_config.password');
    const check = password
      ? await checkImapMailbox(settings.data, password)
      : { ok: false as const, error: 'imap_config.password is not configured' };
    if (!check.ok) return { success: false, error: 'IMAP connection test failed', details: check.error };
    const { host, port, mailbox } = settings.data;
    return {
      success: true,
      message: `${result.message}; IMAP mailbox opened`,
      details: { ...result.details, imap: { host, port, mailbox, messages: check.messages } },
    };
  };
}
