import type { AdapterContext } from '../types.ts';
import { TwilioApiError } from './errors.ts';

/** Twilio's REST host unless TWILIO_API_ROOT says otherwise: the only host that gets the credentials. */
export const DEFAULT_TWILIO_ROOT = 'https://api.twilio.com';
/** Twilio's Messaging v2 host (WhatsApp senders, typing indicator) unless TWILIO_MESSAGING_API_ROOT says otherwise. */
export const DEFAULT_MESSAGING_ROOT = 'https://messaging.twilio.com';
/** Longest wait for one REST call. */
const CALL_TIMEOUT_MS = 15_000;

export const twilioRoot = (ctx: AdapterContext) =>
  (ctx.apiRoots?.twilio ?? DEFAULT_TWILIO_ROOT).replace(/\/+$/, '');
export const messagingRoot = (ctx: AdapterContext) =>
  (ctx.apiRoots?.['twilio-messaging'] ?? DEFAULT_MESSAGING_ROOT).replace(/\/+$/, '');

/** The channel's Twilio settings (non-secret part). */
export type TwilioSettings = {
  phone_number?: string;
  content_sid?: string;
  content_variables?: Record<string, string>;
  quick_reply_content_sid?: string;
  webhook_shared_key_id?: string;
  credentials?: { account_sid?: string };
};

export const settingsOf = (ctx: AdapterContext) => ctx.account.settings as TwilioSettings;
export const accountSidOf = (ctx: AdapterContext) => settingsOf(ctx).credentials?.account_sid;

/** Where one account's calls go and how they authenticate. */
export type TwilioApi = {
  accountSid: string;
  /** `/2010-04-01/Accounts/{sid}` on the REST root. */
  accountUrl: string;
  messagesUrl: string;
  /** `Authorization: Basic …`; never logged, never put in an error. */
  headers: Readonly<Record<string, string>>;
};

/** The account's endpoints with its Basic credentials; throws when the SID or token is missing. */
export async function twilioApi(ctx: AdapterContext): Promise<TwilioApi> {
  const accountSid = accountSidOf(ctx);
  const token = await ctx.account.secret('credentials.auth_token');
  if (!accountSid || !token)
    throw new TwilioApiError(401, 20003, 'No Account SID or auth token is configured');
  const accountUrl = `${twilioRoot(ctx)}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}`;
  return {
    accountSid,
    accountUrl,
    messagesUrl: `${accountUrl}/Messages.json`,
    headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${token}`).toString('base64')}` },
  };
}

type ErrorBody = { code?: number; message?: string; more_info?: string; status?: number };

/** One REST call (form-encoded when there is a body); the parsed JSON, or a TwilioApiError (status 0 = no answer). */
export async function callTwilio<T>(
  ctx: AdapterContext,
  api: Pick<TwilioApi, 'headers'>,
  method: 'GET' | 'POST',
  url: string,
  form?: URLSearchParams,
): Promise<T> {
  let response: Response;
  try {
    response = await ctx.fetch(url, {
      method,
      headers: {
        ...api.headers,
        accept: 'application/json',
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: form.toString() } : {}),
      redirect: 'error',
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (error) {
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new TwilioApiError(0, 0, `network error (${reason})`);
  }
  const parsed = (await response.json().catch(() => ({}))) as T & ErrorBody;
  if (response.ok) return parsed;
  const retryAfter = response.headers.get('retry-after');
  const seconds = retryAfter && /^\d{1,6}$/.test(retryAfter) ? Number(retryAfter) : undefined;
  const message =
    typeof parsed.message === 'string' ? parsed.message.slice(0, 500) : `HTTP ${response.status}`;
  throw new TwilioApiError(response.status, Number(parsed.code ?? 0) || 0, message, seconds);
}
