import { composeReply, type Sender } from '../email/compose.ts';
import { fetchAttachments } from '../email/outbound-attachments.ts';
import { OUR_MESSAGE_ID_VARIABLE } from '../email/provider-ids.ts';
import { DeliveryError } from '../errors.ts';
import type { AdapterContext, OutboundMessage, SendResult, TestResult } from '../types.ts';
import { sendgridNetworkError, sendgridReason, sendgridSendError } from './errors.ts';

const DEFAULT_ROOT = 'https://api.sendgrid.com';
const TIMEOUT_MS = 30_000;

const rootOf = (ctx: AdapterContext) => ctx.apiRoots?.sendgrid ?? DEFAULT_ROOT;

async function apiKey(ctx: AdapterContext): Promise<string> {
  const key = await ctx.account.secret('api_keys.sendgrid');
  if (!key) {
    throw new DeliveryError('SendGrid API key is not configured', {
      code: 'not_configured',
      retryable: false,
    });
  }
  return key;
}

/** The `POST /v3/mail/send` body for one reply: our Message-ID and threading headers, our id in custom_args. */
export async function sendgridMailBody(message: OutboundMessage, ctx: AdapterContext) {
  const mail = composeReply(message, ctx.account.settings as Sender);
  const sender = ctx.account.settings as Sender;
  const attachments = message.attachments?.length
    ? await fetchAttachments(message.attachments, ctx.fetchPublic)
    : [];
  const headers: Record<string, string> = {
    'Message-ID': mail.messageId,
    ...(typeof mail.inReplyTo === 'string' ? { 'In-Reply-To': mail.inReplyTo } : {}),
    ...(Array.isArray(mail.references) && mail.references.length > 0
      ? { References: mail.references.join(' ') }
      : {}),
    ...(mail.headers as Record<string, string>),
  };
  const customArgs = { [OUR_MESSAGE_ID_VARIABLE]: message.messageId };
  return {
    personalizations: [{ to: [{ email: message.recipient.chatId }], custom_args: customArgs }],
    from: { email: sender.from_email, ...(sender.from_name ? { name: sender.from_name } : {}) },
    subject: String(mail.subject),
    // text/plain must come before text/html, or SendGrid answers 400. An empty value is refused too (400): a
    // reply that is only an attachment has no text part, only the HTML one.
    content: [
      ...(String(mail.text) ? [{ type: 'text/plain', value: String(mail.text) }] : []),
      { type: 'text/html', value: String(mail.html) },
    ],
    headers,
    custom_args: customArgs,
    ...(attachments.length > 0
      ? {
          attachments: attachments.map((a) => ({
            content: a.content.toString('base64'),
            filename: a.filename,
            type: a.contentType,
            disposition: 'attachment',
          })),
        }
      : {}),
  };
}

/** Sends one reply through SendGrid's v3 API; 202's `X-Message-Id` is the provider id. */
export async function sendSendgrid(message: OutboundMessage, ctx: AdapterContext): Promise<SendResult> {
  const key = await apiKey(ctx);
  const body = await sendgridMailBody(message, ctx);
  let response: Response;
  try {
    response = await ctx.fetch(`${rootOf(ctx)}/v3/mail/send`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (error) {
    throw sendgridNetworkError(error);
  }
  const text = (await response.text()).slice(0, 10_000);
  if (response.status !== 202 && response.status !== 200) {
    throw sendgridSendError(response.status, text, response.headers, ctx.now());
  }
  const id = response.headers.get('x-message-id')?.trim();
  if (!id) {
    // Accepted without an id: the mail is on its way, so never resend; track it by our Message-ID instead.
    return { providerMessageId: String(body.headers['Message-ID']).replace(/^<|>$/g, '') };
  }
  return { providerMessageId: id.slice(0, 200) };
}

/** `test`: the key is valid and may send mail (`mail.send` among `GET /v3/scopes`). */
export async function testSendgrid(ctx: AdapterContext): Promise<TestResult> {
  const key = await ctx.account.secret('api_keys.sendgrid');
  if (!key)
    return { success: false, error: 'SendGrid API key is not configured', details: 'api_keys.sendgrid' };
  let response: Response;
  try {
    response = await ctx.fetch(`${rootOf(ctx)}/v3/scopes`, {
      headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (error) {
    return {
      success: false,
      error: 'Failed to reach SendGrid',
      details: sendgridNetworkError(error).message,
    };
  }
  const text = (await response.text()).slice(0, 100_000);
  if (!response.ok) {
    return {
      success: false,
      error: response.status === 401 ? 'SendGrid API key is invalid' : `SendGrid answered ${response.status}`,
      details: sendgridReason(text),
    };
  }
  let scopes: string[] = [];
  try {
    const parsed = JSON.parse(text) as { scopes?: unknown };
    if (Array.isArray(parsed.scopes))
      scopes = parsed.scopes.filter((s): s is string => typeof s === 'string');
  } catch {
    return {
      success: false,
      error: 'SendGrid answered an unreadable scopes list',
      details: text.slice(0, 200),
    };
  }
  if (!scopes.includes('mail.send')) {
    return {
      success: false,
      error: 'The SendGrid API key cannot send mail (no mail.send scope)',
      details: { scopes: scopes.length },
    };
  }
  return {
    success: true,
    message: 'SendGrid API key can send mail',
    details: { scope: 'mail.send', from_email: (ctx.account.settings as Sender).from_email },
  };
}
