import { Lexer, type Token, type Tokens } from 'marked';

/**
 * Renders the agent's markdown into a channel's own markup. `marked`'s lexer tokenizes it and every token is
 * rendered by hand through the channel's style, so only the markup the channel accepts is ever produced and all
 * other text goes through `style.text` (its escaping).
 */
export type MarkdownStyle = {
  strong(inner: string): string;
  em(inner: string): string;
  del(inner: string): string;
  codespan(text: string): string;
  /** A code block; `lang` is the fence's info string, possibly empty. */
  code(text: string, lang: string): string;
  link(label: string, href: string): string;
  image(alt: string, href: string): string;
  heading(inner: string): string;
  blockquote(inner: string): string;
  /** Literal text: escaped for the channel. */
  text(text: string): string;
  /** A backslash-escaped character of the markdown source. */
  escape(text: string): string;
  /** Prefix of an unordered list item. */
  bullet: string;
  /** A horizontal rule. */
  hr: string;
  /**
   * The channel styles text only at word boundaries (WhatsApp): bold, italic or strike that touches a letter or
   * digit on the outside (`2*3*4`, `foo**bar**baz`) cannot be shown, so its source is kept as literal text.
   */
  boundedStyles?: boolean;
};

/** Inline styles already open around a token: a nested one of the same kind adds nothing. */
type Open = ReadonlySet<'strong' | 'em' | 'del'>;
const NONE: Open = new Set();
const BOLD: Open = new Set(['strong']);
const STYLED = new Set(['strong', 'em', 'del']);
const WORD_END = /[\p{L}\p{N}]$/u;
const WORD_START = /^[\p{L}\p{N}]/u;

/**
 * Renders inline tokens. With `boundedStyles`, a style touching a word outside is literal source text, joined
 * with the plain text around it before escaping so the escape sees the whole run (`2*3*4` stays as written).
 */
function inline(tokens: Token[] | undefined, style: MarkdownStyle, open: Open = NONE): string {
  const list = tokens ?? [];
  let out = '';
  let literal = '';
  list.forEach((token, i) => {
    if (style.boundedStyles) {
      const plain = token.type === 'text' && !(token as Tokens.Text).tokens;
      const touching =
        STYLED.has(token.type) &&
        (WORD_END.test(list[i - 1]?.raw ?? '') || WORD_START.test(list[i + 1]?.raw ?? ''));
      if (plain || touching) {
        literal += plain ? (token as Tokens.Text).text : token.raw;
        return;
      }
    }
    if (literal) out += style.text(literal);
    literal = '';
    out += inlineToken(token, style, open);
  });
  return literal ? out + style.text(literal) : out;
}

/** A style around its content, or just the content when the same style is already open around it. */
function styled(kind: 'strong' | 'em' | 'del', token: Token, style: MarkdownStyle, open: Open): string {
  const tokens = (token as Tokens.Strong | Tokens.Em | Tokens.Del).tokens;
  if (open.has(kind)) return inline(tokens, style, open);
  return style[kind](inline(tokens, style, new Set([...open, kind])));
}

function inlineToken(token: Token, style: MarkdownStyle, open: Open): string {
  switch (token.type) {
    case 'strong':
    case 'em':
    case 'del':
      return styled(token.type, token, style, open);
    case 'codespan':
      return style.codespan((token as Tokens.Codespan).text);
    case 'br':
      return '\n';
    case 'link': {
      const link = token as Tokens.Link;
      return style.link(inline(link.tokens, style, open), link.href);
    }
    case 'image': {
      const image = token as Tokens.Image;
      return style.image(image.text, image.href);
    }
    case 'text': {
      const text = token as Tokens.Text;
      return text.tokens ? inline(text.tokens, style, open) : style.text(text.text);
    }
    case 'escape':
      return style.escape((token as Tokens.Escape).text);
    default:
      // Raw HTML and anything unknown: shown literally.
      return style.text(token.raw);
  }
}

function listItems(list: Tokens.List, depth: number, style: MarkdownStyle): string {
  const start = typeof list.start === 'number' ? list.start : 1;
  const indent = '  '.repeat(depth);
  return list.items
    .map((item, i) => {
      const bullet = list.ordered ? `${start + i}. ` : style.bullet;
      const check = item.task ? (item.checked ? '☑ ' : '☐ ') : '';
      const body = item.tokens
        .filter((t) => t.type !== 'checkbox')
        .map((t) =>
          t.type === 'list' ? `\n${listItems(t as Tokens.List, depth + 1, style)}` : block(t, style, depth),
        )
        .join('');
      return `${indent}${bullet}${check}${body}`;
    })
    .join('\n');
}

function block(token: Token, style: MarkdownStyle, depth = 0): string {
  switch (token.type) {
    case 'space':
    case 'def':
      return '';
    case 'paragraph':
      return inline((token as Tokens.Paragraph).tokens, style);
    case 'heading':
      // Headings are bold on both channels: bold words inside add nothing (and WhatsApp cannot nest `*`).
      return style.heading(inline((token as Tokens.Heading).tokens, style, BOLD));
    case 'code': {
      const code = token as Tokens.Code;
      return style.code(code.text, (code.lang ?? '').trim());
    }
    case 'blockquote':
      return style.blockquote(blocks((token as Tokens.Blockquote).tokens, style));
    case 'list':
      return listItems(token as Tokens.List, depth, style);
    case 'hr':
      return style.hr;
    case 'table': {
      const table = token as Tokens.Table;
      const row = (cells: Tokens.TableCell[], open = NONE) =>
        cells.map((cell) => inline(cell.tokens, style, open)).join(' | ');
      return [style.strong(row(table.header, BOLD)), ...table.rows.map((cells) => row(cells))].join('\n');
    }
    case 'text': {
      const text = token as Tokens.Text;
      return text.tokens ? inline(text.tokens, style) : style.text(text.text);
    }
    default:
      return style.text(token.raw.replace(/\n+$/, ''));
  }
}

function blocks(tokens: Token[], style: MarkdownStyle): string {
  return tokens
    .map((t) => block(t, style))
    .filter((part) => part !== '')
    .join('\n\n');
}

/** Renders markdown with a channel's style, blocks separated by a blank line. */
export function renderMarkdown(markdown: string, style: MarkdownStyle): string {
  return blocks(new Lexer({ gfm: true }).lex(markdown), style).trim();
}
