import type { ProviderAdapter } from '../types.ts';
import { fetchCloudMedia } from './media.ts';
import { type CloudApiOf, sendCloudMessage, sendCloudTemplate, sendCloudTyping } from './send.ts';
import { splitWhatsAppReply } from './split.ts';

/**
 * The outbound half every Cloud API provider shares (Meta, 360dialog): split, send, templates, mark-read +
 * typing, media download. A provider supplies only where its API is and how it authenticates.
 */
export function cloudApiMethods(
  apiOf: CloudApiOf,
): Pick<ProviderAdapter, 'splitReply' | 'send' | 'sendTemplate' | 'typing' | 'fetchAttachment'> {
  return {
    splitReply: (reply) => splitWhatsAppReply(reply),
    send: (message, ctx) => sendCloudMessage(ctx, apiOf, message),
    sendTemplate: (message, ctx) => sendCloudTemplate(ctx, apiOf, message),
    async typing(recipient, ctx) {
      // Meta's typing indicator is tied to the message being answered; without one there is nothing to show.
      if (recipient.inReplyTo) await sendCloudTyping(ctx, await apiOf(ctx), recipient.inReplyTo);
    },
    fetchAttachment: async (attachment, ctx) => fetchCloudMedia(ctx, await apiOf(ctx), attachment),
  };
}
