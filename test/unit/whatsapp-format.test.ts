import { describe, expect, it } from 'vitest';
import { signBody } from '../../src/channels/meta/verify.ts';
import { interactiveFor } from '../../src/channels/whatsapp/buttons.ts';
import { escapeWhatsApp, markdownToWhatsApp } from '../../src/channels/whatsapp/format.ts';
import { messageBody } from '../../src/channels/whatsapp/send.ts';
import {
  splitWhatsAppReply,
  splitWhatsAppText,
  WHATSAPP_TEXT_LIMIT,
} from '../../src/channels/whatsapp/split.ts';

const ZWSP = '\u200b';
const outbound = (part: { text: string; buttons?: { label: string; value: string }[] }) => ({
  messageId: 'm',
  idempotencyKey: 'm',
  conversationId: 'c',
  recipient: { platformUserId: '4915112345678', chatId: '4915112345678' },
  ...part,
});

describe('markdown → WhatsApp markup', () => {
  it('renders bold, italic, strike, code, blocks, lists, quotes and links', () => {
    expect(markdownToWhatsApp('**bold** and *it* and ~~gone~~ and `x = 1`')).toBe(
      '*bold* and _it_ and ~gone~ and `x = 1`',
    );
    expect(markdownToWhatsApp('# Title\n\n- one\n- two\n\n1. first\n2. second')).toBe(
      '*Title*\n\n- one\n- two\n\n1. first\n2. second',
    );
    expect(markdownToWhatsApp('> quoted\n> line')).toBe('> quoted\n> line');
    expect(markdownToWhatsApp('```js\nconst a = 1;\n```')).toBe('```\nconst a = 1;\n```');
    expect(markdownToWhatsApp('[docs](https://example.com/a)')).toBe('docs (https://example.com/a)');
    expect(markdownToWhatsApp('https://example.com')).toBe('https://example.com');
  });

  it('shows an e-mail address once, not followed by its mailto: link', () => {
    // Before: 'write to support@example.com (mailto:support@example.com)'.
    expect(markdownToWhatsApp('write to support@example.com')).toBe('write to support@example.com');
    expect(markdownToWhatsApp('<mailto:a_b@example.com>')).toBe('a_b@example.com');
    expect(markdownToWhatsApp('[Support](mailto:help@example.com)')).toBe('Support (help@example.com)');
  });

  it('escapes literal markers at word boundaries and leaves them inside words', () => {
    expect(escapeWhatsApp('snake_case_name and 2*3')).toBe('snake_case_name and 2*3');
    expect(escapeWhatsApp('a *star and* b')).toBe(`a *${ZWSP}star and${ZWSP}* b`);
    expect(markdownToWhatsApp('price \\*not bold\\*')).not.toMatch(/\*not bold\*/);
  });

  it('keeps emphasis that touches a word as the literal source (WhatsApp styles only at word boundaries)', () => {
    // marked reads 2*3*4 as 2<em>3</em>4; rendered as 2_3_4 the agent's arithmetic changed on the phone.
    expect(markdownToWhatsApp('2*3*4 = 24')).toBe('2*3*4 = 24');
    expect(markdownToWhatsApp('area is a*b*c')).toBe('area is a*b*c');
    // Doubled markers keep their zero-width spaces (so no single pair inside can style), shown as written.
    expect(markdownToWhatsApp('x~~y~~z').replaceAll(ZWSP, '')).toBe('x~~y~~z');
    expect(markdownToWhatsApp('**Note**: *this* one')).toBe('*Note*: _this_ one');
  });

  it('does not nest a style inside the same style (a bold heading with bold words stays one bold run)', () => {
    // Before: *Heading with *bold** — WhatsApp pairs the first two stars and shows the rest literally.
    expect(markdownToWhatsApp('## Heading with **bold**')).toBe('*Heading with bold*');
    expect(markdownToWhatsApp('*a _b_ c*')).toBe('_a b c_');
    expect(markdownToWhatsApp('| **Name** | Qty |\n|---|---|\n| a | 1 |')).toBe('*Name | Qty*\na | 1');
  });
});

describe('splitting and quick replies', () => {
  it('splits long replies in order under 4096 rendered characters', () => {
    const paragraphs = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} ${'word '.repeat(60)}`.trim());
    const parts = splitWhatsAppText(paragraphs.join('\n\n'));
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts)
      expect(markdownToWhatsApp(part).length).toBeLessThanOrEqual(WHATSAPP_TEXT_LIMIT);
    expect(parts.join('\n\n').replace(/\s+/g, ' ')).toBe(paragraphs.join(' ').replace(/\s+/g, ' '));
  });

  it('1–3 buttons become reply buttons with unique ids and titles of at most 20 characters', () => {
    const buttons = [
      { label: 'A very long button label indeed', value: 'long' },
      { label: 'A very long button label indeed', value: 'long' },
      { label: 'No', value: 'no' },
    ];
    const body = messageBody(outbound({ text: 'Pick one', buttons }));
    const action = (body.interactive as any).action;
    expect((body.interactive as any).type).toBe('button');
    const titles = action.buttons.map((b: any) => b.reply.title);
    const ids = action.buttons.map((b: any) => b.reply.id);
    expect(new Set(titles).size).toBe(3);
    expect(new Set(ids).size).toBe(3);
    for (const title of titles) expect([...title].length).toBeLessThanOrEqual(20);
  });

  it('4–10 become a list, more become numbered text', () => {
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ label: `Option number ${i + 1} with detail`, value: `v${i}` }));
    const list = interactiveFor('Choose', many(7)) as any;
    expect(list.type).toBe('list');
    expect(list.action.sections[0].rows).toHaveLength(7);
    expect(list.action.sections[0].rows[0]).toMatchObject({
      id: 'v0',
      description: 'Option number 1 with detail',
    });
    const parts = splitWhatsAppReply({ text: 'Choose', buttons: many(12) });
    expect(parts).toHaveLength(1);
    expect(parts[0]?.buttons).toBeUndefined();
    expect(markdownToWhatsApp(parts[0]?.text ?? '')).toContain('12. Option number 12 with detail');
  });

  it('more than ten options are numbered from 1 even after a numbered list in the text', () => {
    const options = Array.from({ length: 11 }, (_, i) => ({ label: `Option ${i + 1}`, value: `v${i}` }));
    const parts = splitWhatsAppReply({ text: 'Steps:\n\n1. first\n2. second', buttons: options });
    const shown = parts.map((p) => markdownToWhatsApp(p.text)).join('\n\n');
    // Before, markdown read the options as items 3–13 of the agent's list: the person saw "3. Option 1".
    expect(shown).toContain('1. first\n2. second\n\n1. Option 1\n2. Option 2\n');
    expect(shown).toContain('11. Option 11');
    expect(shown).not.toContain('3. Option 1');
  });

  it('never cuts inside a grapheme: a long run without spaces, a button title, a list row', () => {
    const graphemes = (text: string) => [...new Intl.Segmenter().segment(text)].map((g) => g.segment);
    // Before, the hard cut kept surrogate pairs whole but split é (e + U+0301) and a flag's two halves.
    const accents = splitWhatsAppText(`a${'e\u0301'.repeat(2049)}`);
    expect(accents.length).toBeGreaterThan(1);
    for (const part of accents) expect(part).not.toMatch(/^\p{M}/u);
    for (const part of splitWhatsAppText(`x${'🇩🇪'.repeat(1100)}`))
      expect(part.match(/\p{Regional_Indicator}/gu)?.length ?? 0).toBe(
        2 * graphemes(part).filter((g) => /\p{Regional_Indicator}/u.test(g)).length,
      );
    const family = '👨\u200d👩\u200d👧\u200d👦';
    const label = `Tarif Familie ${family} plus`;
    const button = (interactiveFor('Pick', [{ label, value: 'f' }]) as any).action.buttons[0].reply.title;
    const row = (
      interactiveFor(
        'Pick',
        Array.from({ length: 4 }, (_, i) => ({ label: `Lands 🇩🇪🇫🇷🇮🇹🇪🇸🇩🇪🇫🇷🇮🇹🇪🇸🇩🇪🇫🇷 ${i}`, value: `${i}` })),
      ) as any
    ).action.sections[0].rows[0].title;
    for (const [title, full] of [
      [button, label],
      [row, 'Lands 🇩🇪🇫🇷🇮🇹🇪🇸🇩🇪🇫🇷🇮🇹🇪🇸🇩🇪🇫🇷 0'],
    ] as const) {
      expect(title.endsWith('…')).toBe(true);
      const kept = graphemes(title.slice(0, -1));
      expect(graphemes(full).slice(0, kept.length)).toEqual(kept);
    }
  });

  it('buttons ride on a last text part that fits an interactive body; attachments follow', () => {
    const text = `${'x'.repeat(3000)}\n\n${'y'.repeat(900)}`;
    const parts = splitWhatsAppReply({
      text,
      buttons: [{ label: 'Yes', value: 'yes' }],
      attachments: [{ type: 'image', url: 'https://example.com/a.png' }],
    });
    const withButtons = parts.find((p) => p.buttons);
    expect(withButtons && markdownToWhatsApp(withButtons.text).length).toBeLessThanOrEqual(1024);
    expect(parts.at(-1)?.attachments).toHaveLength(1);
    expect(messageBody(outbound({ text: 'plain' }))).toEqual({
      type: 'text',
      text: { body: 'plain', preview_url: false },
    });
  });
});

it('signs the documented X-Hub-Signature-256 test vector (providers.md §3.4)', () => {
  const body = new TextEncoder().encode('{"object":"whatsapp_business_account","entry":[]}');
  expect(signBody(body, 'my_app_secret')).toBe(
    'sha256=1e948187320e1d8a8ab09e20b7172f8fe97e79394c0980b59b485e00288e389d',
  );
});
