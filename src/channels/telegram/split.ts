import { markdownToTelegramHtml, visibleLength } from './format.ts';

/** Telegram's text limit: 1–4096 characters after entity parsing (providers.md §2.7). */
export const TELEGRAM_TEXT_LIMIT = 4096;

/** Boundaries tried in order: paragraphs, then sentences, then words. */
const LEVELS: { split: RegExp; join: string }[] = [
  { split: /\n[ \t]*\n+/, join: '\n\n' },
  { split: /(?<=[.!?…])\s+/, join: ' ' },
  { split: /\s+/, join: ' ' },
];

/** Cuts at `limit` UTF-16 units without splitting a surrogate pair: the last resort for one huge word. */
function hardCut(text: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = limit;
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) parts.push(rest);
  return parts;
}

/** Packs `text` into pieces of at most `limit` characters, breaking at the coarsest boundary that works. */
function pack(text: string, limit: number, level = 0): string[] {
  if (text.length <= limit) return [text];
  const rule = LEVELS[level];
  if (!rule) return hardCut(text, limit);
  const units = text.split(rule.split).filter((u) => u.trim() !== '');
  const parts: string[] = [];
  let current = '';
  for (const unit of units) {
    if (unit.length > limit) {
      if (current) parts.push(current);
      current = '';
      parts.push(...pack(unit, limit, level + 1));
      continue;
    }
    const joined = current ? `${current}${rule.join}${unit}` : unit;
    if (joined.length <= limit) current = joined;
    else {
      parts.push(current);
      current = unit;
    }
  }
  if (current) parts.push(current);
  return parts;
}

/**
 * Splits the agent's markdown into the messages Telegram can carry, in order. The markdown source is split
 * (so no HTML tag ever spans two parts) and each part is rendered on its own; a part whose rendering would
 * still exceed the limit is split again with a smaller budget.
 */
export function splitTelegramText(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  return pack(trimmed, limit).flatMap((part) => {
    const visible = visibleLength(markdownToTelegramHtml(part));
    if (visible <= limit || limit <= 1) return [part.trim()];
    return splitTelegramText(part, Math.max(1, limit - (visible - limit) - 16));
  });
}
