import type { InboundMessageEvent } from '../types.ts';
import { chatAddress } from './chat-address.ts';
import { sender, type TelegramUser } from './sender.ts';

/** A CallbackQuery as far as this channel reads it (Bot API: data or game_short_name, message or inline_message_id). */
export type CallbackQuery = {
  id: string;
  from: TelegramUser;
  message?: { chat: { id: number; type: string }; message_thread_id?: number; is_topic_message?: boolean };
  inline_message_id?: string | undefined;
  data?: string | undefined;
  game_short_name?: string | undefined;
};

/**
 * Why a press is recorded but never answered, or undefined when the agent answers it where it was pressed:
 * - a button under a channel post (the channel is no conversation);
 * - a button under a message sent in inline mode into someone else's chat: the bot cannot write there, and
 *   answering in private would start a conversation the presser never asked for;
 * - a game button: it asks for a game URL (none is configured), not for an answer;
 * - a button in a group outside `allowed_chats` (posted before the list changed): the bot stays out of that group.
 */
function silentReason(q: CallbackQuery, allowedChats?: string[]): string | undefined {
  if (!q.message) return 'button under an inline-mode message';
  const chat = q.message.chat;
  if (chat.type === 'channel') return 'button under a channel post';
  if (chat.type !== 'private' && allowedChats && !allowedChats.includes(String(chat.id)))
    return 'button in a group outside allowed_chats';
  if (!q.data) return 'game button';
  return undefined;
}

/**
 * A button press as the user's message. Every press from a person becomes an event, because the callback query is
 * answered (acknowledged) only once its event is recorded, and an unanswered query leaves the client spinning.
 * A press recorded without an answer goes to the presser's private conversation, so it never moves a group
 * conversation's reply address.
 */
export function callbackEvent(eventId: string, q: CallbackQuery, allowedChats?: string[]) {
  if (q.from.is_bot) return undefined;
  const chat = q.message?.chat;
  const noReply = silentReason(q, allowedChats);
  // A button in a forum topic is answered in that topic.
  const topic = q.message?.is_topic_message ? q.message.message_thread_id : undefined;
  const address = noReply || !chat ? chatAddress(q.from.id) : chatAddress(chat.id, topic);
  const event: InboundMessageEvent = {
    kind: 'message',
    eventId,
    sender: sender(q.from, address),
    // The button's value is what the user "said".
    text: q.data || `[game: ${q.game_short_name ?? '?'}]`,
    acknowledgeRef: q.id,
    ...(noReply ? { noReply } : {}),
  };
  return event;
}
