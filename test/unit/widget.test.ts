import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildWidget, WIDGET_BUDGET_GZIP_BYTES, WIDGET_OUTPUT } from '../../scripts/build-widget.ts';
import { contrastRatio, luminance, parseHex, textOn } from '../../widget/src/color.ts';
import { createSseParser } from '../../widget/src/sse.ts';

describe('widget bundle', () => {
  it('is committed up to date (npm run build:widget) and within its gzipped budget', async () => {
    const { code, gzipBytes } = await buildWidget();
    expect(gzipBytes).toBeLessThanOrEqual(WIDGET_BUDGET_GZIP_BYTES);
    expect(fs.readFileSync(WIDGET_OUTPUT, 'utf8') === code, 'widget/dist/widget.js is stale').toBe(true);
  });
});

describe('widget text colour on primary_color', () => {
  it('always reaches WCAG AA (4.5:1) by picking white or black text', () => {
    const hex = (n: number) => n.toString(16).padStart(2, '0');
    for (let r = 0; r < 256; r += 17)
      for (let g = 0; g < 256; g += 15)
        for (let b = 0; b < 256; b += 51) {
          const color = `#${hex(r)}${hex(g)}${hex(b)}`;
          const text = textOn(color);
          const ratio = contrastRatio(
            luminance(parseHex(color) as [number, number, number]),
            luminance(parseHex(text) as [number, number, number]),
          );
          expect(ratio, `${text} on ${color}`).toBeGreaterThanOrEqual(4.5);
        }
    expect(textOn('#ffd600')).toBe('#000000');
    expect(textOn('#1a237e')).toBe('#ffffff');
    expect(textOn('#fff')).toBe('#000000');
    expect(parseHex('red')).toBeUndefined();
  });
});

describe('widget SSE parser', () => {
  it('parses events split anywhere across chunks, CRLF framing, comments and multi-line data', () => {
    const parse = createSseParser();
    const text =
      ': hi\r\nevent: connected\r\ndata: {"ok":true}\r\n\r\nevent: response_chunk\ndata: {"content":"a"}\n\nevent: complete\ndata: line1\ndata: line2\n\n';
    const events = [];
    for (let i = 0; i < text.length; i += 7) events.push(...parse(text.slice(i, i + 7)));
    expect(events).toEqual([
      { event: 'connected', data: '{"ok":true}' },
      { event: 'response_chunk', data: '{"content":"a"}' },
      { event: 'complete', data: 'line1\nline2' },
    ]);
  });

  it('keeps a CRLF that a chunk boundary splits as one line break (every chunk size)', () => {
    const text = 'event: connected\r\ndata: {"ok":true}\r\n\r\nevent: complete\r\ndata: done\r\n\r\n';
    for (let size = 1; size <= text.length; size++) {
      const parse = createSseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...parse(text.slice(i, i + size)));
      expect(events, `chunks of ${size}`).toEqual([
        { event: 'connected', data: '{"ok":true}' },
        { event: 'complete', data: 'done' },
      ]);
    }
  });
});
