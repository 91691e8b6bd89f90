import { marked } from 'marked';
import sanitizeHtml from 'sanitize-html';

/** Inline styles per tag: mail clients drop <style> blocks, so every element carries its own. */
const STYLES: Record<string, string> = {
  p: 'margin:0 0 12px 0;',
  a: 'color:#0b57d0;text-decoration:underline;',
  blockquote: 'margin:0 0 12px 0;padding-left:12px;border-left:3px solid #ccc;color:#555;',
  pre: 'background:#f5f5f5;padding:8px;border-radius:4px;white-space:pre-wrap;font-family:monospace;',
  code: 'background:#f5f5f5;padding:1px 3px;border-radius:3px;font-family:monospace;',
  ul: 'margin:0 0 12px 20px;padding:0;',
  ol: 'margin:0 0 12px 20px;padding:0;',
  h1: 'font-size:20px;margin:0 0 12px 0;',
  h2: 'font-size:18px;margin:0 0 12px 0;',
  h3: 'font-size:16px;margin:0 0 12px 0;',
  table: 'border-collapse:collapse;margin:0 0 12px 0;',
  th: 'border:1px solid #ccc;padding:4px 8px;text-align:left;',
  td: 'border:1px solid #ccc;padding:4px 8px;',
};

const ALLOWED_TAGS = [
  ...Object.keys(STYLES),
  'br',
  'hr',
  'strong',
  'b',
  'em',
  'i',
  'del',
  's',
  'li',
  'h4',
  'h5',
  'h6',
  'thead',
  'tbody',
  'tr',
];

/**
 * Every tag carries our style or none: a style written in the markdown (raw HTML) is dropped, since CSS can
 * load remote content (`background:url(…)`, a tracking pixel) that sanitizing tags alone does not stop.
 */
const withStyle = (tag: string) => (tagName: string, attribs: sanitizeHtml.Attributes) => {
  const rest = { ...attribs };
  delete rest.style;
  const style = STYLES[tag];
  return { tagName, attribs: style ? { ...rest, style } : rest };
};

/**
 * The agent's markdown as email HTML: rendered by marked, then sanitized — no images or other remote
 * content, no scripts or event handlers, links only to http(s) and mailto (opening in a new window) —
 * with inline styles, wrapped in a minimal document.
 */
export function markdownToEmailHtml(markdown: string): string {
  const rendered = marked.parse(markdown, { async: false, gfm: true, breaks: true });
  const body = sanitizeHtml(rendered, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: { a: ['href', 'style', 'target', 'rel'], '*': ['style'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesAppliedToAttributes: ['href'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'escape',
    transformTags: {
      ...Object.fromEntries(ALLOWED_TAGS.map((tag) => [tag, withStyle(tag)])),
      a: (tagName, attribs) => ({
        tagName,
        attribs: { ...attribs, style: STYLES.a ?? '', target: '_blank', rel: 'noopener noreferrer' },
      }),
    },
  });
  return (
    '<!doctype html><html><head><meta charset="utf-8"></head>' +
    '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;color:#222;">' +
    `${body}</body></html>`
  );
}

/** The agent's markdown as plain text: the markdown itself, which reads well unrendered. */
export function markdownToText(markdown: string): string {
  return markdown.replace(/\r\n?/g, '\n').trim();
}
