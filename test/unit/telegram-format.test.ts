import { describe, expect, it } from 'vitest';
import { markdownToTelegramHtml } from '../../src/channels/telegram/format.ts';
import { splitTelegramText } from '../../src/channels/telegram/split.ts';
import { parseTelegramHtml } from '../helpers/fake-telegram.ts';

describe('markdown → Telegram HTML', () => {
  it.each([
    ['**bold** _it_ ~~gone~~ `a<b`', '<b>bold</b> <i>it</i> <s>gone</s> <code>a&lt;b</code>'],
    ['[site](https://e.com/?a=1&b="2")', '<a href="https://e.com/?a=1&amp;b=&quot;2&quot;">site</a>'],
    ['[bad](javascript:alert(1))', 'bad'],
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['# Title\n\n- a\n- b', '<b>Title</b>\n\n• a\n• b'],
    ['```ts\nif (a < b) {}\n```', '<pre><code class="language-ts">if (a &lt; b) {}</code></pre>'],
  ])('renders %j', (markdown, html) => {
    expect(markdownToTelegramHtml(markdown)).toBe(html);
    expect(() => parseTelegramHtml(html)).not.toThrow();
  });
});

describe('splitting', () => {
  it('keeps short text whole and drops empty text', () => {
    expect(splitTelegramText('hello')).toEqual(['hello']);
    expect(splitTelegramText('   ')).toEqual([]);
  });

  it('prefers paragraphs, then sentences, then words, then a hard cut, in order', () => {
    const text = [
      'a'.repeat(30),
      'First one. Second one here. Third.',
      'word '.repeat(12).trim(),
      'x'.repeat(45),
    ].join('\n\n');
    const parts = splitTelegramText(text, 20);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(20);
    expect(parts.join('').replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
    expect(parts).toContain('First one.');
    expect(parts).toContain('Second one here.');
  });

  it('never cuts a surrogate pair', () => {
    const parts = splitTelegramText('😀'.repeat(10), 5);
    expect(parts.join('')).toBe('😀'.repeat(10));
    for (const part of parts) expect(part).not.toMatch(/[\ud800-\udbff]$/);
  });
});
