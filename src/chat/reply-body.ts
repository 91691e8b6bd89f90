import type { ChatResult } from './chat-service.ts';

/** The reply fields of an answered chat: the JSON body (with `success`) and the SSE `complete` event alike. */
export function chatReplyFields(result: ChatResult) {
  return {
    conversation_id: result.conversationId,
    response: result.response,
    token_usage: result.tokenUsage,
    ...(result.buttons ? { buttons: result.buttons } : {}),
  };
}

/** The JSON body of an answered chat (authenticated and widget APIs alike). */
export const chatReply = (result: ChatResult) => ({ success: true as const, ...chatReplyFields(result) });
