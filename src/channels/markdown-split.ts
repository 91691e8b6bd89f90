import { Lexer, type Tokens } from 'marked';

/**
 * Splits an agent's markdown into messages that each fit a channel's text limit once rendered (Telegram HTML,
 * WhatsApp markup…). The source is cut, never the rendering, so no markup spans two messages.
 */

/** Boundaries tried in order: paragraphs, then sentences, then words. */
const LEVELS: { split: RegExp; join: string }[] = [
  { split: /\n[ \t]*\n+/, join: '\n\n' },
  { split: /(?<=[.!?…])\s+/, join: ' ' },
  { split: /\s+/, join: ' ' },
];

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The last grapheme boundary at or before `limit` (UTF-16 units), or 0 when the first grapheme is longer. */
function graphemeCut(text: string, limit: number): number {
  let cut = 0;
  for (const { index } of graphemes.segment(text.slice(0, limit + 64))) {
    if (index > limit) break;
    cut = index;
  }
  return text.length <= limit ? text.length : cut;
}

/**
 * Cuts at `limit` UTF-16 units on grapheme boundaries (an accent, a flag's two halves or an emoji sequence
 * stay whole): the last resort for one huge word. A single grapheme longer than the limit is cut between
 * code points, never inside a surrogate pair.
 */
function hardCut(text: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = graphemeCut(rest, limit);
    if (cut === 0) {
      cut = limit;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff && cut > 1) cut -= 1;
    }
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) parts.push(rest);
  return parts;
}

/** Greedily joins units into pieces of at most `limit` characters. */
function join(units: string[], limit: number, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (const unit of units) {
    const joined = current ? `${current}${separator}${unit}` : unit;
    if (joined.length <= limit || !current) current = joined;
    else {
      parts.push(current);
      current = unit;
    }
  }
  if (current) parts.push(current);
  return parts;
}

/** Packs prose into pieces of at most `limit` characters, breaking at the coarsest boundary that works. */
function pack(text: string, limit: number, level = 0): string[] {
  if (text.length <= limit) return [text];
  const rule = LEVELS[level];
  if (!rule) return hardCut(text, limit);
  const units = text.split(rule.split).filter((u) => u.trim() !== '');
  const pieces: string[] = [];
  let run: string[] = [];
  for (const unit of units) {
    if (unit.length <= limit) {
      run.push(unit);
      continue;
    }
    pieces.push(...join(run, limit, rule.join), ...pack(unit, limit, level + 1));
    run = [];
  }
  return [...pieces, ...join(run, limit, rule.join)];
}

/** A fence longer than any backtick run opening a line of `body`, so the body cannot close it. */
function fenceFor(body: string): string {
  const longest = Math.max(0, ...(body.match(/^ {0,3}`+/gm) ?? []).map((m) => m.trim().length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/**
 * A code block as fenced blocks of at most `limit` characters each, split between lines (a longer line is
 * cut): every piece is closed and the next reopened with the same language, so each renders as `<pre>`.
 */
function codeBlocks(code: Tokens.Code, limit: number): string[] {
  const info = code.codeBlockStyle === 'indented' ? '' : (code.lang ?? '').trim();
  const fence = fenceFor(code.text);
  const wrap = (body: string) => `${fence}${info}\n${body}\n${fence}`;
  if (wrap(code.text).length <= limit) return [wrap(code.text)];
  const budget = Math.max(1, limit - 2 * fence.length - info.length - 2);
  const lines = code.text
    .split('\n')
    .flatMap((line) => (line.length > budget ? hardCut(line, budget) : [line]));
  // Blank lines where a block is cut are dropped: the break between messages shows the gap.
  return join(lines, budget, '\n')
    .map((body) => body.replace(/^(?:[ \t]*\n)+|(?:\n[ \t]*)+$/g, ''))
    .filter((body) => body.trim() !== '')
    .map(wrap);
}

/**
 * Packs the text block by block: prose as before, code blocks fenced. A block's first piece may join the
 * part before it (a block boundary, so a blank line between); its other pieces stand as they were packed.
 */
function packBlocks(text: string, limit: number): string[] {
  const parts: string[] = [];
  const add = (pieces: string[]) =>
    pieces.forEach((piece, i) => {
      const previous = parts.at(-1);
      if (i === 0 && previous !== undefined && previous.length + 2 + piece.length <= limit) {
        parts[parts.length - 1] = `${previous}\n\n${piece}`;
      } else parts.push(piece);
    });
  let prose = '';
  for (const token of new Lexer({ gfm: true }).lex(text)) {
    if (token.type !== 'code') prose += token.raw;
    else {
      if (prose.trim()) add(pack(prose.trim(), limit));
      prose = '';
      add(codeBlocks(token as Tokens.Code, limit));
    }
  }
  if (prose.trim()) add(pack(prose.trim(), limit));
  return parts;
}

/** How long a markdown part is once rendered for the channel, in the units its limit counts. */
export type RenderedLength = (markdown: string) => number;

/**
 * Splits the agent's markdown into messages of at most `limit` rendered characters, in order: at paragraphs,
 * sentences, then words; a code block split in two is closed and reopened. A part whose rendering still
 * exceeds the limit is split again with a smaller budget.
 */
export function splitMarkdown(text: string, limit: number, measure: RenderedLength): string[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  return packBlocks(trimmed, limit).flatMap((part) => {
    const rendered = measure(part);
    if (rendered <= limit || limit <= 1) return [part.trim()];
    return splitMarkdown(part, Math.max(1, limit - (rendered - limit) - 16), measure);
  });
}
