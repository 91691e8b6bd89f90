import type { Conversation } from './types.ts';

/** The person's name, else their handle on the channel (the part after `channel:`). */
export function contactName(conversation: Pick<Conversation, 'contact' | 'user_identifier'>): string {
  return conversation.contact?.display_name?.trim() || handleOf(conversation.user_identifier);
}

/** `telegram:123456` → `123456`; identifiers without a channel prefix stay as they are. */
export function handleOf(userIdentifier: string): string {
  const colon = userIdentifier.indexOf(':');
  return colon > 0 ? userIdentifier.slice(colon + 1) : userIdentifier;
}

const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();

/** Time today, else the date: what a list row shows. */
export function shortTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  return sameDay(date, now)
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/** Full date and time, for a message. */
export function fullTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** `3 h 20 min` until (or since) a moment. */
export function duration(ms: number): string {
  const minutes = Math.max(0, Math.round(Math.abs(ms) / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}
