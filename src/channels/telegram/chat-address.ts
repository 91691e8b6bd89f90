/**
 * Where a reply goes, as one string (the engine's `chatId`): the chat id, plus the forum topic when the user wrote in
 * one (`<chat_id>/<message_thread_id>`), so the answer lands in the same topic.
 */
export const chatAddress = (chatId: number, threadId?: number): string =>
  threadId !== undefined ? `${chatId}/${threadId}` : String(chatId);

/** The Bot API parameters for an address: `chat_id`, and `message_thread_id` for a topic. */
export function chatTarget(address: string): { chat_id: string; message_thread_id?: number } {
  const match = /^(-?\d+)\/(\d+)$/.exec(address);
  return match ? { chat_id: match[1] as string, message_thread_id: Number(match[2]) } : { chat_id: address };
}
