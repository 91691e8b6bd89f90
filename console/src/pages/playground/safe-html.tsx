import type { ComponentChildren } from 'preact';
import { h } from 'preact';

/**
 * Untrusted HTML shown as elements built one by one from an allow-list — never `innerHTML`. DOMParser makes an
 * inert document (no scripts run, nothing loads); only allowed tags become elements (no attributes but a link's
 * http(s)/mailto/tg `href`), other elements are unwrapped to their text, and script-like ones are dropped whole.
 */
export type Allowed = Record<string, string>;

/** Telegram's HTML parse mode (core.telegram.org/bots/api#html-style). */
export const TELEGRAM_TAGS: Allowed = {
  b: 'strong',
  strong: 'strong',
  i: 'em',
  em: 'em',
  u: 'u',
  ins: 'u',
  s: 's',
  strike: 's',
  del: 's',
  code: 'code',
  pre: 'pre',
  a: 'a',
  blockquote: 'blockquote',
  'tg-spoiler': 'span',
};

/** What an email body's HTML may keep. */
export const EMAIL_TAGS: Allowed = {
  ...TELEGRAM_TAGS,
  p: 'p',
  br: 'br',
  ul: 'ul',
  ol: 'ol',
  li: 'li',
  h1: 'h4',
  h2: 'h4',
  h3: 'h4',
  h4: 'h4',
  h5: 'h5',
  h6: 'h6',
  hr: 'hr',
  table: 'table',
  thead: 'thead',
  tbody: 'tbody',
  tr: 'tr',
  th: 'th',
  td: 'td',
};

const DROPPED = new Set([
  'script',
  'style',
  'iframe',
  'object',
  'embed',
  'template',
  'noscript',
  'head',
  'title',
]);
const SAFE_HREF = /^(https?:|mailto:|tg:)/i;
/** Deepest nesting rendered; anything deeper is shown as its text. */
const MAX_DEPTH = 40;

function convert(node: Node, allowed: Allowed, depth: number): ComponentChildren {
  if (node.nodeType === Node.TEXT_NODE) return node.textContent;
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const element = node as Element;
  const name = element.tagName.toLowerCase();
  if (DROPPED.has(name)) return null;
  if (depth > MAX_DEPTH) return element.textContent;
  const children = [...element.childNodes].map((child) => convert(child, allowed, depth + 1));
  const tag = allowed[name];
  if (!tag) return children;
  if (tag === 'a') {
    const href = element.getAttribute('href') ?? '';
    return SAFE_HREF.test(href.trim())
      ? h('a', { href: href.trim(), target: '_blank', rel: 'noopener noreferrer nofollow' }, children)
      : children;
  }
  if (name === 'tg-spoiler') return h('span', { class: 'tg-spoiler' }, children);
  return h(tag, null, children);
}

/**
 * Inline styles are taken out before parsing: they would never be applied, but Chromium reports each one the parser
 * meets as a CSP violation (the page allows no inline style). Only a pre-filter; the allow-list above is what makes
 * the result safe.
 */
const withoutStyles = (html: string) =>
  html.replace(/<style[\s\S]*?<\/style\s*>/gi, '').replace(/\sstyle\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, '');

export function SafeHtml(props: { html: string; allowed: Allowed; class?: string }) {
  const doc = new DOMParser().parseFromString(withoutStyles(props.html), 'text/html');
  return <div class={props.class}>{convert(doc.body, props.allowed, 0)}</div>;
}
