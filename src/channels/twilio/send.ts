import { statusCallbackUrl } from '../../engine/webhook-route.ts';
import { DeliveryError } from '../errors.ts';
import type { AdapterContext, OutboundMessage, ReplyPart, SendResult, TemplateMessage } from '../types.ts';
import { clip, MAX_REPLY_BUTTONS, numberedOptions } from '../whatsapp/buttons.ts';
import { markdownToWhatsApp } from '../whatsapp/format.ts';
import { splitWhatsAppReply } from '../whatsapp/split.ts';
import { callTwilio, messagingRoot, settingsOf, twilioApi } from './api.ts';
import { toDeliveryError } from './errors.ts';
import { CONNECTION_OVERRIDES } from './verify.ts';

/** Twilio's Body limit (providers.md §5.1, §10). */
export const TWILIO_BODY_LIMIT = 1600;
/** A quick-reply label in the numbered list (the list rides on a body of at most 1024 characters). */
const OPTION_MAX = 50;

/** Cuts a reply at Twilio's 1600-character body limit with the shared WhatsApp split (one row, one send). */
export const splitTwilioReply = (reply: ReplyPart): ReplyPart[] =>
  splitWhatsAppReply(reply, TWILIO_BODY_LIMIT);

/** `whatsapp:+E164`, keeping (or restoring) the `+` (providers.md §1). */
export const whatsappAddress = (number: string): string =>
  `whatsapp:${number.startsWith('+') ? number : `+${number.replace(/^whatsapp:/, '')}`}`;

/** From, To and StatusCallback of every send from this account. */
function addressing(ctx: AdapterContext, chatId: string): URLSearchParams {
  const from = settingsOf(ctx).phone_number;
  if (!from)
    throw new DeliveryError('No phone_number is configured', {
      code: 'sender_not_configured',
      retryable: false,
    });
  const form = new URLSearchParams({ To: whatsappAddress(chatId), From: whatsappAddress(from) });
  if (ctx.publicUrl) {
    form.set(
      'StatusCallback',
      `${statusCallbackUrl(ctx.publicUrl, 'whatsapp', ctx.account.agentId)}${CONNECTION_OVERRIDES}`,
    );
  }
  return form;
}

type MessageResource = { sid?: string };

async function create(ctx: AdapterContext, form: () => URLSearchParams): Promise<SendResult> {
  let created: MessageResource;
  try {
    const api = await twilioApi(ctx);
    created = await callTwilio<MessageResource>(ctx, api, 'POST', api.messagesUrl, form());
  } catch (error) {
    if (error instanceof DeliveryError) throw error;
    throw toDeliveryError(error);
  }
  if (typeof created.sid !== 'string' || !/^(SM|MM)[0-9a-f]{32}$/i.test(created.sid)) {
    throw new DeliveryError('Twilio answered without a message sid', {
      code: 'bad_response',
      retryable: true,
    });
  }
  return { providerMessageId: created.sid };
}

/** Quick replies through the configured Content API template: body `{{1}}`, button titles `{{2}}`…`{{4}}`. */
function quickReplyVariables(body: string, labels: string[]): string {
  const variables: Record<string, string> = { '1': clip(body, 1024) || '-' };
  labels.forEach((label, i) => (variables[String(i + 2)] = clip(label, 20) || '-'));
  return JSON.stringify(variables);
}

/**
 * The body (and media, or content template) of one reply part, added to `form` (pure; the sandbox renders with
 * it too). `settings.quick_reply_content_sid` sends 1–3 quick replies through that content template.
 */
export function contentOf(
  settings: { quick_reply_content_sid?: string },
  message: OutboundMessage,
  form: URLSearchParams,
): void {
  const text = message.text.trim();
  const files = message.attachments ?? [];
  const file = files[0];
  if (files.length > 1 || (file && text !== '') || (!file && text === '' && !message.buttons?.length)) {
    throw new DeliveryError('A WhatsApp message carries either text or one attachment', {
      code: 'unsplit_reply',
      retryable: false,
    });
  }
  if (file) {
    form.append('MediaUrl', file.url);
    // A document's name shows from its URL; an image's name is its caption (as on the Cloud API).
    if (file.type === 'image' && file.name) form.set('Body', clip(file.name, 1024));
    return;
  }
  const body = markdownToWhatsApp(text) || text;
  const buttons = message.buttons ?? [];
  const labels = buttons.map((b) => b.label || b.value);
  const template = settings.quick_reply_content_sid;
  if (template && buttons.length > 0 && buttons.length <= MAX_REPLY_BUTTONS) {
    form.set('ContentSid', template);
    form.set('ContentVariables', quickReplyVariables(body, labels));
    return;
  }
  const options = buttons.map((b) => ({ ...b, label: clip(b.label || b.value, OPTION_MAX) }));
  const full = buttons.length > 0 ? `${body}\n\n${numberedOptions(options)}`.trim() : body;
  form.set('Body', clip(full, TWILIO_BODY_LIMIT));
}

/** Sends one reply part as exactly one Twilio message. */
export const sendTwilioMessage = (ctx: AdapterContext, message: OutboundMessage) =>
  create(ctx, () => {
    const form = addressing(ctx, message.recipient.chatId);
    contentOf(settingsOf(ctx), message, form);
    return form;
  });

/**
 * Sends the re-engagement content template: `template.name` is the ContentSid, the parameters are the values
 * of `content_variables` in their configured order (numbered `1`, `2`… when the keys are not known).
 */
export const sendTwilioTemplate = (ctx: AdapterContext, message: TemplateMessage) =>
  create(ctx, () => {
    const form = addressing(ctx, message.recipient.chatId);
    form.set('ContentSid', message.template.name);
    const keys = Object.keys(settingsOf(ctx).content_variables ?? {});
    const parameters = message.template.parameters;
    if (parameters.length > 0) {
      const named = keys.length === parameters.length ? keys : parameters.map((_, i) => String(i + 1));
      form.set(
        'ContentVariables',
        JSON.stringify(Object.fromEntries(named.map((key, i) => [key, parameters[i]]))),
      );
    }
    return form;
  });

/** Twilio's WhatsApp typing indicator (also marks the message read); for the inbound message being answered. */
export async function sendTwilioTyping(ctx: AdapterContext, inReplyTo: string): Promise<void> {
  const api = await twilioApi(ctx);
  await callTwilio(
    ctx,
    api,
    'POST',
    `${messagingRoot(ctx)}/v2/Indicators/Typing.json`,
    new URLSearchParams({ channel: 'whatsapp', messageId: inReplyTo }),
  );
}
