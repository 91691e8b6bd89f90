import { describe, expect, it } from 'vitest';
import { markdownToTelegramHtml } from '../../src/channels/telegram/format.ts';
import { splitTelegramReply, splitTelegramText } from '../../src/channels/telegram/split.ts';
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

/** Renders each part as Telegram would see it; every part must parse on its own. */
const rendered = (parts: string[]) =>
  parts.map((part) => {
    const html = markdownToTelegramHtml(part);
    return { html, visible: parseTelegramHtml(html) };
  });
/** Non-blank lines: blank lines where a code block is cut between messages are dropped. */
const lines = (code: string) => code.split('\n').filter((line) => line.trim() !== '');
/** The bodies of the code blocks of `lang` across all parts, in order. */
const codeOf = (parts: { html: string }[], lang: string) =>
  parts.flatMap(({ html }) =>
    [...html.matchAll(new RegExp(`<pre><code class="language-${lang}">([^<]*)</code></pre>`, 'g'))].map((m) =>
      parseTelegramHtml(m[1] as string),
    ),
  );

describe('splitting code blocks', () => {
  // Escapes make the HTML longer than 4096; only the parsed text counts against the limit.
  const code = Array.from({ length: 300 }, (_, i) =>
    i % 10 === 5 ? '' : `    if x${i} < y and z > "<&>": print(${i})  # <<&&>>`,
  ).join('\n');

  it('closes a code block longer than a message at the end of each part and reopens it with its language', () => {
    const parts = rendered(splitTelegramText(`Before.\n\n\`\`\`python\n${code}\n\`\`\`\n\nAfter.`));
    expect(parts.length).toBeGreaterThanOrEqual(4);
    expect(parts.some((p) => p.html.length > 4096)).toBe(true);
    for (const { visible } of parts) {
      expect(visible.length).toBeGreaterThan(0);
      expect(visible.length).toBeLessThanOrEqual(4096);
      expect(visible).not.toContain('```');
    }
    expect(lines(codeOf(parts, 'python').join('\n'))).toEqual(lines(code));
    expect(codeOf(parts, 'python').every((body) => body.includes('\n\n'))).toBe(true);
    expect(parts[0]?.visible.startsWith('Before.')).toBe(true);
    expect(parts.at(-1)?.visible.endsWith('After.')).toBe(true);
  });

  it('keeps each part valid when a split falls inside a fence, at any limit', () => {
    const small = code.split('\n').slice(0, 30).join('\n');
    const text = `${'Some prose here. '.repeat(8)}\n\n\`\`\`python\n${small}\n\`\`\`\ntail`;
    for (const limit of [120, 300, 700]) {
      const parts = rendered(splitTelegramText(text, limit));
      for (const { visible } of parts) {
        expect(visible.length).toBeLessThanOrEqual(limit);
        expect(visible).not.toContain('```');
      }
      expect(lines(codeOf(parts, 'python').join('\n'))).toEqual(lines(small));
    }
  });

  it('moves a code block that fits a message to the next part whole rather than splitting it', () => {
    const block = code.slice(0, 2000).replace(/\n[^\n]*$/, '');
    const parts = rendered(
      splitTelegramText(`${'Words words. '.repeat(240)}\n\n\`\`\`python\n${block}\n\`\`\``),
    );
    expect(parts).toHaveLength(2);
    expect(codeOf(parts, 'python')).toEqual([block]);
  });

  it('keeps fence-like lines inside the code and closes a fence the agent left open', () => {
    const body = Array.from({ length: 40 }, (_, i) =>
      i % 4 === 0 ? '```' : `line ${i} of the example`,
    ).join('\n');
    const parts = rendered(splitTelegramText(`~~~md\n${body}\n~~~\n\n\`\`\`sh\necho unclosed`, 200));
    expect(lines(codeOf(parts, 'md').join('\n'))).toEqual(lines(body));
    expect(codeOf(parts, 'sh')).toEqual(['echo unclosed']);
  });
});

describe('splitting a reply', () => {
  it('gives the text parts, then one part per attachment, with the buttons on the very last part', () => {
    const files = [
      { type: 'image' as const, url: 'https://e.com/a.png', name: 'a' },
      { type: 'document' as const, url: 'https://e.com/b.pdf' },
    ];
    const buttons = [{ label: 'OK', value: 'ok' }];
    expect(splitTelegramReply({ text: 'Hi', attachments: files, buttons })).toEqual([
      { text: 'Hi' },
      { text: '', attachments: [files[0]] },
      { text: '', attachments: [files[1]], buttons },
    ]);
    expect(splitTelegramReply({ text: ' ', attachments: [files[0]!] })).toEqual([
      { text: '', attachments: [files[0]] },
    ]);
    expect(splitTelegramReply({ text: 'Hi', buttons })).toEqual([{ text: 'Hi', buttons }]);
  });
});
