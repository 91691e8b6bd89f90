import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { e164, token } from '../validators.ts';
import { settingsOf } from './api.ts';
import { fetchTwilioMedia, isTwilioMediaUrl } from './media.ts';
import { formParams, parseTwilio } from './parse.ts';
import { sendTwilioMessage, sendTwilioTemplate, sendTwilioTyping, splitTwilioReply } from './send.ts';
import { IDEMPOTENCY_HEADER, verifyTwilio } from './verify.ts';
import { testTwilio, twilioWebhookInfo } from './webhook.ts';

const contentSid = z
  .string()
  .regex(/^HX[0-9a-fA-F]{32}$/, 'must be a Twilio Content SID: HX followed by 32 hex digits');

/**
 * Twilio WhatsApp settings (spec: WhatsApp option 1). The auth token also signs Twilio's webhooks; the rest is
 * optional: the re-engagement content template (`content_sid` + `content_variables`, `{{contact_name}}`
 * replaced), a quick-reply content template, a secondary auth token during a rotation, and a webhook shared key.
 */
export const twilioConfig = z
  .object({
    phone_number: e164,
    /** Content template sent when the 24-hour window is closed. */
    content_sid: contentSid.optional(),
    /** Its variables in order, e.g. {"1": "{{contact_name}}"}. */
    content_variables: z
      .record(
        z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'variable names are letters, digits and _'),
        z.string().min(1).max(1024),
      )
      .refine((value) => Object.keys(value).length <= 20, 'at most 20 variables')
      .optional(),
    /** Quick-reply content template used for 1–3 buttons: body {{1}}, button titles {{2}}…{{4}}. */
    quick_reply_content_sid: contentSid.optional(),
    /** Id of the webhook shared key Twilio names in X-Twilio-Webhooks-Signature-Settings. */
    webhook_shared_key_id: token(1, 128).optional(),
    credentials: z
      .object({
        account_sid: z
          .string()
          .regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio Account SID: AC followed by 32 hex digits'),
        auth_token: token(16, 128),
        /** The other auth token while one is being rotated: webhooks signed with either are accepted. */
        secondary_auth_token: token(16, 128).optional(),
        /** Webhook shared key secret (HMAC-SHA256 signing, Public Beta). */
        webhook_shared_key: token(16, 256).optional(),
      })
      .strict(),
  })
  .strict();

export const twilio: ProviderAdapter = {
  channel: 'whatsapp',
  provider: 'twilio',
  configSchema: twilioConfig,
  secretFields: [
    'credentials.auth_token',
    'credentials.secondary_auth_token',
    'credentials.webhook_shared_key',
  ],
  verify: verifyTwilio,
  parse(request, ctx) {
    return parseTwilio(formParams(request.body), {
      idempotencyToken: request.headers.get(IDEMPOTENCY_HEADER),
      trusted: (url) => (ctx ? isTwilioMediaUrl(ctx, url) : false),
      ...(ctx?.account.settings ? { ownNumber: settingsOf(ctx).phone_number } : {}),
    });
  },
  webhookAck: { contentType: 'text/xml', body: '<?xml version="1.0" encoding="UTF-8"?><Response/>' },
  splitReply: splitTwilioReply,
  send: (message, ctx) => sendTwilioMessage(ctx, message),
  sendTemplate: (message, ctx) => sendTwilioTemplate(ctx, message),
  reengagementTemplate(settings) {
    const { content_sid, content_variables } = settings as ReturnType<typeof settingsOf>;
    if (!content_sid) return null;
    return { name: content_sid, language: 'content', parameters: Object.values(content_variables ?? {}) };
  },
  async typing(recipient, ctx) {
    if (recipient.inReplyTo) await sendTwilioTyping(ctx, recipient.inReplyTo);
  },
  fetchAttachment: (attachment, ctx) => fetchTwilioMedia(ctx, attachment),
  test: testTwilio,
  webhookInfo: twilioWebhookInfo,
};
