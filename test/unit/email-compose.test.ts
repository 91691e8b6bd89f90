import { describe, expect, it } from 'vitest';
import { markdownToEmailHtml } from '../../src/channels/email/html.ts';

describe('reply HTML', () => {
  it('keeps no style of its own on any tag: CSS cannot load remote content (a tracking pixel)', () => {
    const html = markdownToEmailHtml(
      [
        'Hi <strong style="background:url(https://t.example/s.gif)">x</strong>',
        '<em style="background-image:url(https://t.example/e.gif)">y</em>',
        '<h4 style="list-style:url(https://t.example/h.gif)">z</h4>',
        '<p style="background:url(https://t.example/p.gif)">p</p>',
      ].join(' '),
    );
    expect(html).not.toMatch(/url\(|t\.example/);
    // Our own inline styles stay.
    expect(html).toContain('<p style="margin:0 0 12px 0">');
    expect(html).toContain('<strong>x</strong>');
    expect(html).toContain('<em>y</em>');
  });
});
