import { Lexer, type Token, type Tokens } from 'marked';

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

function inline(tokens: Token[] | undefined): string {
  return (tokens ?? []).map(inlineToken).join('');
}

function inlineToken(token: Token): string {
  switch (token.type) {
    case 'strong':
      return wrap('*', inline((token as Tokens.Strong).tokens));
    case 'em':
      return wrap('_', inline((token as Tokens.Em).tokens));
    case 'del':
      return wrap('~', inline((token as Tokens.Del).tokens));
    case 'codespan':
      return `\`${(token as Tokens.Codespan).text.replace(/`/g, 'ˋ')}\``;
    case 'br':
      return '\n';
    case 'link': {
      const link = token as Tokens.Link;
      const label = inline(link.tokens);
      return label === escapeWhatsApp(link.href) || !label ? link.href : `${label} (${link.href})`;
    }
    case 'image': {
      const image = token as Tokens.Image;
      return image.text ? `${escapeWhatsApp(image.text)} (${image.href})` : image.href;
    }
    case 'text': {
      const text = token as Tokens.Text;
      return text.tokens ? inline(text.tokens) : escapeWhatsApp(text.text);
    }
    case 'escape': {
      // An escaped marker is literal by request: fenced off on both sides.
      const text = (token as Tokens.Escape).text;
      return MARKERS.includes(text) ? `${ZWSP}${text}${ZWSP}` : text;
    }
    default:
      return escapeWhatsApp(token.raw);
  }
}

function listItems(list: Tokens.List, depth: number): string {
  const start = typeof list.start === 'number' ? list.start : 1;
  const indent = '  '.repeat(depth);
  return list.items
    .map((item, i) => {
      const bullet = list.ordered ? `${start + i}. ` : '- ';
      const check = item.task ? (item.checked ? '☑ ' : '☐ ') : '';
      const body = item.tokens
        .filter((t) => t.type !== 'checkbox')
        .map((t) => (t.type === 'list' ? `\n${listItems(t as Tokens.List, depth + 1)}` : block(t, depth)))
        .join('');
      return `${indent}${bullet}${check}${body}`;
    })
    .join('\n');
}

function block(token: Token, depth = 0): string {
  switch (token.type) {
    case 'space':
    case 'def':
      return '';
    case 'paragraph':
      return inline((token as Tokens.Paragraph).tokens);
    case 'heading':
      return wrap('*', inline((token as Tokens.Heading).tokens));
    case 'code':
      return `\`\`\`\n${(token as Tokens.Code).text.replace(/```/g, 'ˋˋˋ')}\n\`\`\``;
    case 'blockquote':
      return blocks((token as Tokens.Blockquote).tokens)
        .split('\n')
        .map((line) => `> ${line}`)
        .join('\n');
    case 'list':
      return listItems(token as Tokens.List, depth);
    case 'hr':
      return '———';
    case 'table': {
      const table = token as Tokens.Table;
      const row = (cells: Tokens.TableCell[]) => cells.map((cell) => inline(cell.tokens)).join(' | ');
      return [wrap('*', row(table.header)), ...table.rows.map(row)].join('\n');
    }
    case 'text': {
      const text = token as Tokens.Text;
      return text.tokens ? inline(text.tokens) : escapeWhatsApp(text.text);
    }
    default:
      return escapeWhatsApp(token.raw.replace(/\n+$/, ''));
  }
}

function blocks(tokens: Token[]): string {
  return tokens
    .map((t) => block(t))
    .filter((part) => part !== '')
    .join('\n\n');
}

/** Renders the agent's markdown as WhatsApp markup. */
export function markdownToWhatsApp(markdown: string): string {
  return blocks(new Lexer({ gfm: true }).lex(markdown)).trim();
}
