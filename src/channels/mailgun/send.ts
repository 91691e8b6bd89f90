import { composeReply, type Sender } from '../email/compose.ts';
import { normalizeMessageId } from '../email/headers.ts';
import { fetchAttachments } from '../email/outbound-attachments.ts';
import { OUR_MESSAGE_ID_VARIABLE } from '../email/provider-ids.ts';
import { DeliveryError } from '../errors.ts';
import type { AdapterContext, OutboundMessage, SendResult, TestResult } from '../types.ts';
import { mailgunNetworkError, mailgunReason, mailgunSendError } from './errors.ts';

/** Mailgun's API hosts per region; a domain lives in one region (providers.md §7). */
export const MAILGUN_REGIONS = { us: 'https://api.mailgun.net', eu: 'https://api.eu.mailgun.net' } as const;
const TIMEOUT_MS = 30_000;

type MailgunSettings = Sender & { mailgun_config: { domain: string; region?: 'us' | 'eu' } };

/** The API root: MAILGUN_API_ROOT when set (a local fake), else the domain's region host. */
function rootOf(ctx: AdapterContext): string {
  const { region } = (ctx.account.settings as MailgunSettings).mailgun_config;
  return ctx.apiRoots?.mailgun ?? MAILGUN_REGIONS[region ?? 'us'];
}

const basic = (key: string) => `Basic ${Buffer.from(`api:${key}`).toString('base64')}`;

async function apiKey(ctx: AdapterContext): Promise<string> {
  const key = await ctx.account.secret('api_keys.mailgun');
  if (!key) {
    throw new DeliveryError('Mailgun API key is not configured', {
      code: 'not_configured',
      retryable: false,
    });
  }
  return key;
}

/** The `POST /v3/{domain}/messages` form: threading headers as `h:` fields, our id as a `v:` variable. */
export async function mailgunForm(message: OutboundMessage, ctx: AdapterContext): Promise<FormData> {
  const mail = composeReply(message, ctx.account.settings as Sender);
  const sender = ctx.account.settings as Sender;
  const form = new FormData();
  form.append(
    'from',
    sender.from_name
      ? `"${sender.from_name.replace(/["\\\p{Cc}]/gu, '')}" <${sender.from_email}>`
      : sender.from_email,
  );
  form.append('to', message.recipient.chatId);
  form.append('subject', String(mail.subject));
  form.append('text', String(mail.text));
  form.append('html', String(mail.html));
  form.append('h:Message-Id', mail.messageId);
  if (typeof mail.inReplyTo === 'string') form.append('h:In-Reply-To', mail.inReplyTo);
  if (Array.isArray(mail.references) && mail.references.length > 0)
    form.append('h:References', mail.references.join(' '));
  for (const [name, value] of Object.entries((mail.headers ?? {}) as Record<string, string>))
    form.append(`h:${name}`, value);
  form.append(`v:${OUR_MESSAGE_ID_VARIABLE}`, message.messageId);
  const attachments = message.attachments?.length
    ? await fetchAttachments(message.attachments, ctx.fetchPublic)
    : [];
  for (const a of attachments) {
    form.append('attachment', new Blob([new Uint8Array(a.content)], { type: a.contentType }), a.filename);
  }
  return form;
}

/** Sends one reply through Mailgun's messages API; the returned `id` (a Message-ID) is the provider id. */
export async function sendMailgun(message: OutboundMessage, ctx: AdapterContext): Promise<SendResult> {
  const key = await apiKey(ctx);
  const { domain } = (ctx.account.settings as MailgunSettings).mailgun_config;
  const form = await mailgunForm(message, ctx);
  let response: Response;
  try {
    response = await ctx.fetch(`${rootOf(ctx)}/v3/${encodeURIComponent(domain)}/messages`, {
      method: 'POST',
      headers: { authorization: basic(key), accept: 'application/json' },
      body: form,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (error) {
    throw mailgunNetworkError(error);
  }
  const text = (await response.text()).slice(0, 10_000);
  if (!response.ok) throw mailgunSendError(response.status, text, response.headers, ctx.now());
  let id: unknown;
  try {
    id = (JSON.parse(text) as { id?: unknown }).id;
  } catch {
    id = undefined;
  }
  const providerId = typeof id === 'string' ? normalizeMessageId(id) : undefined;
  // Queued without a readable id: never resend; our Message-ID (h:Message-Id) identifies it.
  return {
    providerMessageId: providerId ?? (normalizeMessageId(String(form.get('h:Message-Id'))) as string),
  };
}

/** `test`: the domain exists for this key and is active (`GET /v3/domains/{domain}`). */
export async function testMailgun(ctx: AdapterContext): Promise<TestResult> {
  const key = await ctx.account.secret('api_keys.mailgun');
  if (!key)
    return { success: false, error: 'Mailgun API key is not configured', details: 'api_keys.mailgun' };
  const { domain, region } = (ctx.account.settings as MailgunSettings).mailgun_config;
  let response: Response;
  try {
    response = await ctx.fetch(`${rootOf(ctx)}/v3/domains/${encodeURIComponent(domain)}`, {
      headers: { authorization: basic(key), accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (error) {
    return { success: false, error: 'Failed to reach Mailgun', details: mailgunNetworkError(error).message };
  }
  const text = (await response.text()).slice(0, 100_000);
  if (response.status === 401 || response.status === 403) {
    return { success: false, error: 'Mailgun API key is invalid', details: mailgunReason(text) };
  }
  if (response.status === 404) {
    return {
      success: false,
      error: `Mailgun domain ${domain} was not found in the ${region ?? 'us'} region`,
      details: mailgunReason(text),
    };
  }
  if (!response.ok)
    return { success: false, error: `Mailgun answered ${response.status}`, details: mailgunReason(text) };
  let state: unknown;
  try {
    state = (JSON.parse(text) as { domain?: { state?: unknown } }).domain?.state;
  } catch {
    state = undefined;
  }
  if (state !== 'active') {
    return {
      success: false,
      error: `Mailgun domain ${domain} is not active`,
      details: { domain, state: typeof state === 'string' ? state.slice(0, 50) : 'unknown' },
    };
  }
  return {
    success: true,
    message: 'Mailgun domain is active',
    details: { domain, region: region ?? 'us', state },
  };
}
