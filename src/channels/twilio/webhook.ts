import { statusCallbackUrl, webhookUrl } from '../../engine/webhook-route.ts';
import type { AdapterContext, TestResult } from '../types.ts';
import { callTwilio, messagingRoot, settingsOf, twilioApi } from './api.ts';
import { isAuthError, TwilioApiError } from './errors.ts';
import { CONNECTION_OVERRIDES } from './verify.ts';

const FAILED = 'Failed to connect to Twilio';
/** Twilio's shared WhatsApp sandbox number: a sender on every account that joined it, never listed as one. */
export const SANDBOX_NUMBER = '+14155238886';
/** Senders read to find the configured number (one page). */
const SENDERS_PAGE = 200;

type Account = { sid?: string; friendly_name?: string; status?: string; type?: string };
type Senders = { senders?: { sender_id?: string; status?: string }[] };

/**
 * GETs the account (the credentials work and it is active), then lists the account's WhatsApp senders
 * (Senders API) to check that the configured number is one of them.
 */
export async function testTwilio(ctx: AdapterContext): Promise<TestResult> {
  const phone = settingsOf(ctx).phone_number ?? '';
  try {
    const api = await twilioApi(ctx);
    const account = await callTwilio<Account>(ctx, api, 'GET', `${api.accountUrl}.json`);
    if (account.status && account.status !== 'active') {
      return { success: false, error: FAILED, details: `The Twilio account is ${account.status}` };
    }
    let sender: { sender_id?: string; status?: string } | undefined;
    if (phone !== SANDBOX_NUMBER) {
      const list = await callTwilio<Senders>(
        ctx,
        api,
        'GET',
        `${messagingRoot(ctx)}/v2/Channels/Senders?Channel=whatsapp&PageSize=${SENDERS_PAGE}`,
      );
      sender = (list.senders ?? []).find((s) => s.sender_id === `whatsapp:${phone}`);
      if (!sender) {
        return {
          success: false,
          error: FAILED,
          details: `${phone} is not a WhatsApp sender on this Twilio account`,
        };
      }
    }
    return {
      success: true,
      message: 'WhatsApp connection test successful',
      details: {
        credentials_valid: true,
        account_sid: api.accountSid,
        account_name: account.friendly_name ?? null,
        account_status: account.status ?? null,
        phone_number: phone,
        whatsapp_sender: true,
        sender_status: phone === SANDBOX_NUMBER ? 'sandbox' : (sender?.status ?? null),
      },
    };
  } catch (error) {
    if (!(error instanceof TwilioApiError)) throw error;
    if (isAuthError(error)) {
      return {
        success: false,
        error: FAILED,
        details: 'Twilio refused the Account SID or auth token (20003)',
      };
    }
    if (error.status === 0) return { success: false, error: FAILED, details: 'Twilio could not be reached' };
    return { success: false, error: FAILED, details: error.message };
  }
}

/**
 * What to paste into the Twilio console: the incoming-message URL with the connection-override fragment, the
 * same URL as the fallback, and the status callback URL (also set on every send).
 */
export function twilioWebhookInfo(ctx: AdapterContext): Promise<Record<string, unknown>> {
  const base = ctx.publicUrl;
  const agentId = ctx.account.agentId;
  return Promise.resolve({
    url: base ? `${webhookUrl(base, 'whatsapp', agentId)}${CONNECTION_OVERRIDES}` : null,
    fallback_url: base ? `${webhookUrl(base, 'whatsapp', agentId)}${CONNECTION_OVERRIDES}` : null,
    status_callback_url: base
      ? `${statusCallbackUrl(base, 'whatsapp', agentId)}${CONNECTION_OVERRIDES}`
      : null,
    method: 'POST',
    connection_overrides: CONNECTION_OVERRIDES.slice(1),
    signature: 'X-Twilio-Signature with the auth token (HMAC-SHA1) or a webhook shared key (HMAC-SHA256)',
    instructions:
      'In the Twilio Console, open the WhatsApp sender (or the Sandbox settings): set "When a message comes in" ' +
      'to url (HTTP POST), the fallback URL to fallback_url, and the status callback URL to status_callback_url. ' +
      'Keep the #rc=…&rp=… fragment: Twilio otherwise retries a failed webhook only once, on connection failure, ' +
      'and a message that meets an outage is lost. Signatures cover the public URL, so PUBLIC_URL must be the ' +
      'address Twilio calls.' +
      (base ? '' : ' PUBLIC_URL is not set: the URLs cannot be given.'),
  });
}
