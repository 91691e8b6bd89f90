import { type MarkdownStyle, renderMarkdown } from '../markdown-render.ts';

/**
 * Markdown → Telegram HTML (providers.md §2.3): only the few tags Telegram accepts (b, i, s, code, pre, a,
 * blockquote); all text, raw HTML included, is escaped, so the output can never carry a tag Telegram rejects.
 */

const escapeText = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (text: string): string => escapeText(text).replace(/"/g, '&quot;');

/** Link targets Telegram opens; anything else is shown as plain text. */
const SAFE_HREF = /^(https?:|tg:|mailto:)/i;

const anchor = (label: string, href: string) =>
  SAFE_HREF.test(href) ? `<a href="${escapeAttr(href)}">${label}</a>` : label;

const TELEGRAM_HTML: MarkdownStyle = {
  strong: (inner) => `<b>${inner}</b>`,
  em: (inner) => `<i>${inner}</i>`,
  del: (inner) => `<s>${inner}</s>`,
  codespan: (text) => `<code>${escapeText(text)}</code>`,
  code(text, lang) {
    const body = escapeText(text);
    return /^[\w+#-]{1,32}$/.test(lang)
      ? `<pre><code class="language-${lang}">${body}</code></pre>`
      : `<pre>${body}</pre>`;
  },
  link: anchor,
  image: (alt, href) => anchor(escapeText(alt || href), href),
  heading: (inner) => `<b>${inner}</b>`,
  blockquote: (inner) => `<blockquote>${inner}</blockquote>`,
  text: escapeText,
  escape: escapeText,
  bullet: '• ',
  hr: '———',
};

/** Renders the agent's markdown as Telegram HTML (parse_mode HTML). */
export const markdownToTelegramHtml = (markdown: string): string => renderMarkdown(markdown, TELEGRAM_HTML);

/** The text Telegram counts against its limits: tags dropped, entities decoded (UTF-16 units, like JS). */
export function visibleLength(html: string): number {
  return html.replace(/<[^>]*>/g, '').replace(/&(lt|gt|amp|quot|#\d+|#x[\da-f]+);/gi, '_').length;
}
