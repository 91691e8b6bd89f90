import { z } from 'zod';
import { contentOf, splitTwilioReply, TWILIO_BODY_LIMIT } from '../twilio/send.ts';
import type { OutboundMessage, ProviderAdapter } from '../types.ts';
import { addressOf, messageBody } from '../whatsapp/send.ts';
import { splitWhatsAppReply, WHATSAPP_TEXT_LIMIT } from '../whatsapp/split.ts';
import { recordSandboxSend } from './record.ts';

/** What the sandbox copies from the agent's real WhatsApp settings (never a secret). */
const settingsSchema = z.object({
  phone_number: z.string().optional(),
  quick_reply_content_sid: z.string().optional(),
});
type Settings = z.infer<typeof settingsSchema>;

/** A WhatsApp message id shape of our own: stable per outbound message. */
const wamid = (message: OutboundMessage) => `wamid.sandbox.${message.idempotencyKey}`;

/**
 * The sandbox as the WhatsApp Cloud API (Meta, 360dialog): parts split at 4096 rendered characters and each one
 * rendered into the exact `POST /{phone_number_id}/messages` body those providers get (WhatsApp markup, reply
 * buttons or a list for quick replies).
 */
export const sandboxWhatsAppCloud: ProviderAdapter = {
  channel: 'whatsapp',
  provider: 'sandbox',
  configSchema: settingsSchema,
  secretFields: [],
  splitReply: (reply) => splitWhatsAppReply(reply),
  send: (message, ctx) =>
    recordSandboxSend(ctx, message, wamid(message), {
      renders_as: 'cloud_api',
      text_limit: WHATSAPP_TEXT_LIMIT,
      request: {
        method: 'POST',
        path: '/{phone_number_id}/messages',
        body: { ...addressOf(message.recipient.chatId), ...messageBody(message) },
      },
    }),
};

/**
 * The sandbox as Twilio's WhatsApp API: parts split at Twilio's 1600-character body and rendered into the exact
 * form `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` gets (quick replies as numbered lines, or the
 * configured quick-reply content template).
 */
export const sandboxWhatsAppTwilio: ProviderAdapter = {
  channel: 'whatsapp',
  provider: 'sandbox',
  configSchema: settingsSchema,
  secretFields: [],
  splitReply: splitTwilioReply,
  send(message, ctx) {
    const settings = ctx.account.settings as Settings;
    const form = new URLSearchParams({
      To: `whatsapp:${message.recipient.chatId}`,
      From: `whatsapp:${settings.phone_number ?? '+15550000000'}`,
    });
    contentOf(settings, message, form);
    return recordSandboxSend(ctx, message, `SM${message.idempotencyKey.replace(/[^0-9a-z]/gi, '')}`, {
      renders_as: 'twilio',
      text_limit: TWILIO_BODY_LIMIT,
      request: {
        method: 'POST',
        path: '/2010-04-01/Accounts/{AccountSid}/Messages.json',
        form: Object.fromEntries(form),
      },
    });
  },
};
