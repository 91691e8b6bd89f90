import { Lexer, type Token, type Tokens } from 'marked';

/**
 * Markdown to DOM without ever parsing HTML: marked only tokenizes, and every token becomes elements built
 * with createElement and text nodes. Raw HTML in the source is shown as literal text; only http(s), mailto
 * and tel links survive, opening in a new tab with rel="noopener noreferrer"; images become links.
 */
const SAFE_URL = /^(https?:\/\/|mailto:|tel:)/i;
const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  '#39': "'",
  nbsp: '\u00a0',
};
const decode = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, name: string) => ENTITIES[name] ?? _);

type Any = Tokens.Generic;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  parent: Node,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  parent.appendChild(node);
  return node;
}

function link(href: string, parent: Node): Node {
  if (!SAFE_URL.test(href.trim())) return parent;
  const a = el('a', parent);
  a.href = href.trim();
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  return a;
}

function inline(tokens: Token[] | undefined, parent: Node): void {
  for (const t of (tokens ?? []) as Any[]) {
    switch (t.type) {
      case 'text':
        if (t.tokens?.length) inline(t.tokens, parent);
        else parent.appendChild(document.createTextNode(decode(t.text as string)));
        break;
      case 'escape':
      case 'html':
      case 'tag':
        parent.appendChild(document.createTextNode(t.text as string));
        break;
      case 'strong':
      case 'em':
      case 'del':
        inline(t.tokens, el(t.type === 'del' ? 's' : t.type, parent));
        break;
      case 'codespan':
        el('code', parent, t.text as string);
        break;
      case 'br':
        el('br', parent);
        break;
      case 'link':
        inline(t.tokens, link(t.href as string, parent));
        break;
      case 'image':
        link(t.href as string, parent).appendChild(document.createTextNode(t.text || (t.href as string)));
        break;
      case 'checkbox':
        parent.appendChild(document.createTextNode(t.checked ? '\u2611 ' : '\u2610 '));
        break;
      default:
        parent.appendChild(document.createTextNode(t.raw));
    }
  }
}

function blocks(tokens: Token[] | undefined, parent: Node): void {
  for (const t of (tokens ?? []) as Any[]) {
    switch (t.type) {
      case 'space':
      case 'def':
        break;
      case 'paragraph':
        inline(t.tokens, el('p', parent));
        break;
      case 'heading': {
        const heading = el('p', parent);
        heading.className = 'h';
        inline(t.tokens, heading);
        break;
      }
      case 'text':
        if (t.tokens?.length) inline(t.tokens, parent);
        else parent.appendChild(document.createTextNode(decode(t.text as string)));
        break;
      case 'code': {
        const pre = el('pre', parent);
        el('code', pre, t.text as string);
        break;
      }
      case 'blockquote':
        blocks(t.tokens, el('blockquote', parent));
        break;
      case 'list': {
        const list = el(t.ordered ? 'ol' : 'ul', parent);
        if (t.ordered && typeof t.start === 'number' && t.start !== 1)
          list.setAttribute('start', String(t.start));
        for (const item of t.items as Tokens.ListItem[]) blocks(item.tokens, el('li', list));
        break;
      }
      case 'hr':
        el('hr', parent);
        break;
      case 'table': {
        const table = el('table', el('div', parent));
        (table.parentNode as HTMLElement).className = 'table';
        const row = (cells: Tokens.TableCell[], tag: 'th' | 'td') => {
          const tr = el('tr', table);
          for (const cell of cells) inline(cell.tokens, el(tag, tr));
        };
        row(t.header as Tokens.TableCell[], 'th');
        for (const r of t.rows as Tokens.TableCell[][]) row(r, 'td');
        break;
      }
      case 'html':
        el('p', parent, t.text as string);
        break;
      default:
        if (t.tokens) inline(t.tokens, el('p', parent));
        else el('p', parent, t.raw);
    }
  }
}

/** Renders `text` as markdown into `into`, replacing its children. */
export function renderMarkdown(text: string, into: HTMLElement): void {
  const fragment = document.createDocumentFragment();
  blocks(Lexer.lex(text, { gfm: true, breaks: true }), fragment);
  into.replaceChildren(fragment);
}
