import { splitMarkdown } from '../markdown-split.ts';
import type { ReplyPart } from '../types.ts';
import { markdownToTelegramHtml, visibleLength } from './format.ts';

/** Telegram's text limit: 1–4096 characters after entity parsing (providers.md §2.7). */
export const TELEGRAM_TEXT_LIMIT = 4096;

/** Splits the agent's markdown into the messages Telegram can carry, in order (each fits once rendered). */
export const splitTelegramText = (text: string, limit = TELEGRAM_TEXT_LIMIT): string[] =>
  splitMarkdown(text, limit, (part) => visibleLength(markdownToTelegramHtml(part)));

/**
 * A reply as Telegram messages, one Bot API call each: the text parts, then one part per attachment (its name
 * as the caption), with the inline keyboard on the very last part.
 */
export function splitTelegramReply(reply: ReplyPart): ReplyPart[] {
  const parts: ReplyPart[] = splitTelegramText(reply.text).map((text) => ({ text }));
  for (const file of reply.attachments ?? []) parts.push({ text: '', attachments: [file] });
  const last = parts.at(-1);
  if (last && reply.buttons?.length) last.buttons = reply.buttons;
  return parts;
}
