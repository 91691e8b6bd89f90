import { describe, expect, it } from 'vitest';
import {
  extractQuickReplies,
  QUICK_REPLY_LABEL_MAX,
  QUICK_REPLY_MAX,
  quickReplyStream,
} from '../../src/agent/quick-replies.ts';

describe('extractQuickReplies', () => {
  it('turns a final marker line into buttons and removes it from the text', () => {
    expect(extractQuickReplies('Which size?\n\n[[buttons: Small | Medium | Large]]')).toEqual({
      text: 'Which size?',
      buttons: [
        { label: 'Small', value: 'Small' },
        { label: 'Medium', value: 'Medium' },
        { label: 'Large', value: 'Large' },
      ],
    });
  });

  it('leaves text without a marker untouched, brackets included', () => {
    const text = 'See [the docs](https://x.test) and [[wiki]] links.\n';
    expect(extractQuickReplies(text)).toEqual({ text });
  });

  it('uses the last marker, drops empty and repeated options, and bounds count and length', () => {
    const many = Array.from({ length: QUICK_REPLY_MAX + 5 }, (_, i) => `Option ${i}`).join(' | ');
    const long = 'x'.repeat(QUICK_REPLY_LABEL_MAX + 20);
    const result = extractQuickReplies(
      `Pick. [[BUTTONS: a | b]]\n[[ buttons : ${long} | | Yes | Yes | ${many}]]`,
    );
    expect(result.text).toBe('Pick.');
    expect(result.buttons).toHaveLength(QUICK_REPLY_MAX);
    expect(result.buttons?.[0]?.label).toHaveLength(QUICK_REPLY_LABEL_MAX);
    expect(result.buttons?.slice(1, 3).map((b) => b.label)).toEqual(['Yes', 'Option 0']);
  });

  it('gives a reply that was only a marker the labels as its text', () => {
    expect(extractQuickReplies('[[buttons: Yes | No]]')).toEqual({
      text: 'Yes / No',
      buttons: [
        { label: 'Yes', value: 'Yes' },
        { label: 'No', value: 'No' },
      ],
    });
  });

  it('ignores a marker with no options', () => {
    expect(extractQuickReplies('Hello [[buttons: | ]]')).toEqual({ text: 'Hello' });
  });
});

describe('quickReplyStream', () => {
  const run = (chunks: string[]) => {
    const out: string[] = [];
    const stream = quickReplyStream((text) => out.push(text));
    for (const chunk of chunks) stream.push(chunk);
    const beforeEnd = out.join('');
    stream.end();
    return { out, beforeEnd, all: out.join('') };
  };

  it('never streams a marker, even when it arrives split across chunks', () => {
    const { all, out } = run(['Which ', 'size?\n', '[', '[but', 'tons: S', ' | M]', ']']);
    expect(all).not.toContain('[[');
    expect(all).not.toContain('buttons');
    expect(all.trimEnd()).toBe('Which size?');
    expect(out[0]).toBe('Which ');
  });

  it('passes ordinary text through as it comes, holding only a trailing bracket', () => {
    const { out, beforeEnd, all } = run(['a [link', '](x) and [', 'b]']);
    expect(out.slice(0, 2)).toEqual(['a [link', '](x) and ']);
    expect(beforeEnd).toBe('a [link](x) and [b]');
    expect(all).toBe('a [link](x) and [b]');
  });

  it('releases held text that turned out not to be a marker at the end', () => {
    const { beforeEnd, all } = run(['see [[wiki]] ', 'page']);
    expect(beforeEnd).toBe('see ');
    expect(all).toBe('see [[wiki]] page');
  });
});
