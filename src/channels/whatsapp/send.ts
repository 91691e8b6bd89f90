import { DeliveryError } from '../errors.ts';
import type { AdapterContext, OutboundMessage, SendResult, TemplateMessage } from '../types.ts';
import { interactiveFor } from './buttons.ts';
import { type CloudApi, callCloudApi } from './cloud-api.ts';
import { toDeliveryError } from './errors.ts';
import { markdownToWhatsApp } from './format.ts';

const CAPTION_MAX = 1024;

/** A business-scoped user id (`US.1349…`, parent `US.ENT.…`): replies go to `recipient`, not `to`. */
export const isUserId = (value: string): boolean => /^[A-Z]{2}\.[A-Za-z0-9.]{1,140}$/.test(value);

/** The addressing half of a send body: `to` for a phone / wa_id, `recipient` for a BSUID (providers.md §13). */
export const addressOf = (chatId: string) =>
  isUserId(chatId)
    ? { messaging_product: 'whatsapp', recipient_type: 'individual', recipient: chatId }
    : { messaging_product: 'whatsapp', recipient_type: 'individual', to: chatId.replace(/^\+/, '') };

/** The type-specific body of one reply part: text, interactive quick replies, or one image/document by URL. */
export function messageBody(message: OutboundMessage): Record<string, unknown> {
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
    const caption = file.name ? { caption: file.name.slice(0, CAPTION_MAX) } : {};
    return file.type === 'image'
      ? { type: 'image', image: { link: file.url, ...caption } }
      : { type: 'document', document: { link: file.url, ...(file.name ? { filename: file.name } : {}) } };
  }
  const body = markdownToWhatsApp(text) || text;
  if (message.buttons?.length) {
    return { type: 'interactive', interactive: interactiveFor(body, message.buttons) };
  }
  return { type: 'text', text: { body, preview_url: false } };
}

type SendResponse = { messages?: { id?: string }[] };

/** Where an account's Cloud API is, with its credential (Meta or 360dialog). */
export type CloudApiOf = (ctx: AdapterContext) => Promise<CloudApi>;

async function post(
  ctx: AdapterContext,
  apiOf: CloudApiOf,
  body: () => Record<string, unknown>,
): Promise<SendResult> {
  let response: SendResponse;
  try {
    const api = await apiOf(ctx);
    response = await callCloudApi<SendResponse>(ctx, api, 'POST', api.messagesUrl, body());
  } catch (error) {
    if (error instanceof DeliveryError) throw error;
    throw toDeliveryError(error);
  }
  const id = response.messages?.find((m) => typeof m.id === 'string')?.id;
  if (!id)
    throw new DeliveryError('WhatsApp answered without a message id', {
      code: 'bad_response',
      retryable: true,
    });
  return { providerMessageId: id };
}

/** Sends one reply part as exactly one WhatsApp message; failures become DeliveryErrors. */
export const sendCloudMessage = (ctx: AdapterContext, apiOf: CloudApiOf, message: OutboundMessage) =>
  post(ctx, apiOf, () => ({ ...addressOf(message.recipient.chatId), ...messageBody(message) }));

/** Sends an approved template with its body parameters (already resolved by the caller) as text. */
export const sendCloudTemplate = (ctx: AdapterContext, apiOf: CloudApiOf, message: TemplateMessage) =>
  post(ctx, apiOf, () => ({
    ...addressOf(message.recipient.chatId),
    type: 'template',
    template: {
      name: message.template.name,
      language: { code: message.template.language },
      ...(message.template.parameters.length > 0
        ? {
            components: [
              {
                type: 'body',
                parameters: message.template.parameters.map((text) => ({ type: 'text', text })),
              },
            ],
          }
        : {}),
    },
  }));

/** Marks the user's message read and shows "typing…" (one call; shown up to 25 s or until we reply). */
export async function sendCloudTyping(ctx: AdapterContext, api: CloudApi, messageId: string): Promise<void> {
  await callCloudApi(ctx, api, 'POST', api.messagesUrl, {
    messaging_product: 'whatsapp',
    status: 'read',
    message_id: messageId,
    typing_indicator: { type: 'text' },
  });
}
