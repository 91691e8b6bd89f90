import { type MarkdownStyle, renderMarkdown } from '../markdown-render.ts';

/**
 * Markdown → WhatsApp markup: `*bold*`, `_italic_`, `~strike~`, `` `inline code` ``, ```` ``` ```` blocks,
 * `- ` and `1. ` lists, `> ` quotes. The agent's markdown is tokenized by `marked`'s lexer and each token is
 * rendered by hand. WhatsApp has no escape character, so a literal `*`, `_`, `~` or `` ` `` that could open or
 * close a style (at a word boundary) gets a zero-width space between it and the word it touches; markers inside
 * a word (snake_case, 2*3) are left alone since WhatsApp does not style them.
 */

/** Zero-width space: breaks a style marker's pairing without showing anything. */
const ZWSP = '\u200b';
const MARKERS = '*_~`';

/** Escapes literal style markers that sit at a word boundary. */
export function escapeWhatsApp(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    out += ch;
    if (!MARKERS.includes(ch)) continue;
    const before = text[i - 1];
    const after = text[i + 1];
    if (/[\p{L}\p{N}]/u.test(before ?? ' ') && /[\p{L}\p{N}]/u.test(after ?? ' ')) continue;
    // Could open a style (text follows) or close one (text precedes): separate it from that text.
    if (after !== undefined && !/\s/.test(after)) out += ZWSP;
    else if (before !== undefined && !/\s/.test(before)) out = `${out.slice(0, -1)}${ZWSP}${ch}`;
  }
  return out;
}

/** Wraps styled text, keeping the marker next to non-space characters (WhatsApp needs that to style it). */
function wrap(marker: string, content: string): string {
  const match = /^(\s*)([\s\S]*?)(\s*)$/.exec(content) as RegExpExecArray;
  const [, lead, body, trail] = match;
  return body ? `${lead}${marker}${body}${marker}${trail}` : content;
}

const WHATSAPP_MARKUP: MarkdownStyle = {
  strong: (inner) => wrap('*', inner),
  em: (inner) => wrap('_', inner),
  del: (inner) => wrap('~', inner),
  // WhatsApp has no way to escape a backtick inside code: it is shown as a look-alike.
  codespan: (text) => `\`${text.replace(/`/g, 'ˋ')}\``,
  code: (text) => `\`\`\`\n${text.replace(/```/g, 'ˋˋˋ')}\n\`\`\``,
  link(label, href) {
    // An e-mail address is shown as itself (WhatsApp links it), not repeated as a mailto: URL.
    const target = href.replace(/^mailto:/i, '');
    const same = !label || label === escapeWhatsApp(href) || label === escapeWhatsApp(target);
    return same ? target : `${label} (${target})`;
  },
  image: (alt, href) => (alt ? `${escapeWhatsApp(alt)} (${href})` : href),
  heading: (inner) => wrap('*', inner),
  blockquote: (inner) =>
    inner
      .split('\n')
      .map((line) => `> ${line}`)
      .join('\n'),
  text: escapeWhatsApp,
  // An escaped marker is literal by request: fenced off on both sides.
  escape: (text) => (MARKERS.includes(text) ? `${ZWSP}${text}${ZWSP}` : text),
  bullet: '- ',
  hr: '———',
  boundedStyles: true,
};

/** Renders the agent's markdown as WhatsApp markup. */
export const markdownToWhatsApp = (markdown: string): string => renderMarkdown(markdown, WHATSAPP_MARKUP);
