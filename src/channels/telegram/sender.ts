import type { InboundSender } from '../types.ts';

/** A Telegram User, as far as this channel reads it. */
export type TelegramUser = {
  id: number;
  is_bot?: boolean | undefined;
  first_name?: string | undefined;
  last_name?: string | undefined;
  username?: string | undefined;
};

/** Who wrote (or pressed), with the address their reply goes to. */
export function sender(from: TelegramUser, chatId: string): InboundSender {
  const name = [from.first_name, from.last_name].filter(Boolean).join(' ');
  return {
    platformUserId: String(from.id),
    chatId,
    ...(from.username ? { username: `@${from.username}` } : {}),
    ...(name ? { displayName: name } : {}),
  };
}
