import { Lexer, type Token, type Tokens } from 'marked';

/**
 * Markdown → Telegram HTML (providers.md §2.3). The agent's markdown is tokenized by `marked`'s lexer and
 * every token is rendered by hand into the few tags Telegram accepts (b, i, s, code, pre, a, blockquote);
 * all text, raw HTML included, is escaped, so the output can never carry a tag Telegram rejects.
 */

const escapeText = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (text: string): string => escapeText(text).replace(/"/g, '&quot;');

/** Link targets Telegram opens; anything else is shown as plain text. */
const SAFE_HREF = /^(https?:|tg:|mailto:)/i;

function inline(tokens: Token[] | undefined): string {
  return (tokens ?? []).map(inlineToken).join('');
}

function inlineToken(token: Token): string {
  switch (token.type) {
    case 'strong':
      return `<b>${inline((token as Tokens.Strong).tokens)}</b>`;
    case 'em':
      return `<i>${inline((token as Tokens.Em).tokens)}</i>`;
    case 'del':
      return `<s>${inline((token as Tokens.Del).tokens)}</s>`;
    case 'codespan':
      return `<code>${escapeText((token as Tokens.Codespan).text)}</code>`;
    case 'br':
      return '\n';
    case 'link': {
      const link = token as Tokens.Link;
      const label = inline(link.tokens);
      return SAFE_HREF.test(link.href) ? `<a href="${escapeAttr(link.href)}">${label}</a>` : label;
    }
    case 'image': {
      const image = token as Tokens.Image;
      const label = escapeText(image.text || image.href);
      return SAFE_HREF.test(image.href) ? `<a href="${escapeAttr(image.href)}">${label}</a>` : label;
    }
    case 'text': {
      const text = token as Tokens.Text;
      return text.tokens ? inline(text.tokens) : escapeText(text.text);
    }
    case 'escape':
      return escapeText((token as Tokens.Escape).text);
    default:
      // Raw HTML and anything unknown: shown literally.
      return escapeText(token.raw);
  }
}

function listItems(list: Tokens.List, depth: number): string {
  const start = typeof list.start === 'number' ? list.start : 1;
  const indent = '  '.repeat(depth);
  return list.items
    .map((item, i) => {
      const bullet = list.ordered ? `${start + i}. ` : '• ';
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
      return `<b>${inline((token as Tokens.Heading).tokens)}</b>`;
    case 'code': {
      const code = token as Tokens.Code;
      const lang = /^[\w+#-]{1,32}$/.test(code.lang ?? '') ? code.lang : '';
      const body = escapeText(code.text);
      return lang ? `<pre><code class="language-${lang}">${body}</code></pre>` : `<pre>${body}</pre>`;
    }
    case 'blockquote':
      return `<blockquote>${blocks((token as Tokens.Blockquote).tokens)}</blockquote>`;
    case 'list':
      return listItems(token as Tokens.List, depth);
    case 'hr':
      return '———';
    case 'table': {
      const table = token as Tokens.Table;
      const row = (cells: Tokens.TableCell[]) => cells.map((cell) => inline(cell.tokens)).join(' | ');
      return [`<b>${row(table.header)}</b>`, ...table.rows.map(row)].join('\n');
    }
    case 'text': {
      const text = token as Tokens.Text;
      return text.tokens ? inline(text.tokens) : escapeText(text.text);
    }
    default:
      return escapeText(token.raw.replace(/\n+$/, ''));
  }
}

function blocks(tokens: Token[]): string {
  return tokens
    .map((t) => block(t))
    .filter((part) => part !== '')
    .join('\n\n');
}

/** Renders the agent's markdown as Telegram HTML (parse_mode HTML). */
export function markdownToTelegramHtml(markdown: string): string {
  return blocks(new Lexer({ gfm: true }).lex(markdown)).trim();
}

/** The text Telegram counts against its limits: tags dropped, entities decoded (UTF-16 units, like JS). */
export function visibleLength(html: string): number {
  return html.replace(/<[^>]*>/g, '').replace(/&(lt|gt|amp|quot|#\d+|#x[\da-f]+);/gi, '_').length;
}
