import { describe, expect, it } from 'vitest';
import { matchKeyword } from '../../src/handoff/keywords.ts';
import { publicAttachments } from '../../src/handoff/message-input.ts';
import { HandoffSettingsPatch, handoffSettingsOf } from '../../src/handoff/settings.ts';
import { HANDOFF_TOOL, handoffRequested } from '../../src/handoff/tool.ts';

describe('matchKeyword', () => {
  const keywords = ['human', 'talk to a person', 'Mitarbeiter'];
  it.each([
    ['I want a HUMAN', 'human'],
    ['human!', 'human'],
    ['can I talk   to a\nperson?', 'talk to a person'],
    ['Bitte einen mitarbeiter', 'Mitarbeiter'],
    ['ｈｕｍａｎ please', 'human'],
  ])('finds the keyword in %j', (text, found) => {
    expect(matchKeyword(text, keywords)).toBe(found);
  });
  it.each(['humanity is great', 'inhuman', 'talk to a personal trainer', 'Mitarbeitern', ''])(
    'matches whole words and phrases only: %j',
    (text) => {
      expect(matchKeyword(text, keywords)).toBeUndefined();
    },
  );
  it('treats keywords literally (no regular expression)', () => {
    expect(matchKeyword('a+b', ['a+b'])).toBe('a+b');
    expect(matchKeyword('aab', ['a+b'])).toBeUndefined();
  });
});

describe('handoff settings', () => {
  it('defaults to off, and reads anything unreadable as the defaults', () => {
    expect(handoffSettingsOf({})).toEqual({ enabled: false, keywords: [] });
    expect(handoffSettingsOf({ handoff: { enabled: 'yes' } })).toEqual({ enabled: false, keywords: [] });
    expect(handoffSettingsOf({ handoff: { enabled: true, keywords: ['agent'] } })).toEqual({
      enabled: true,
      keywords: ['agent'],
    });
  });
  it('bounds the keywords', () => {
    expect(HandoffSettingsPatch.safeParse({ keywords: Array(51).fill('x') }).success).toBe(false);
    expect(HandoffSettingsPatch.safeParse({ keywords: ['x'.repeat(101)] }).success).toBe(false);
    expect(HandoffSettingsPatch.safeParse({ other: true }).success).toBe(false);
    expect(HandoffSettingsPatch.safeParse(null).success).toBe(true);
  });
});

describe('handoff_to_human tool', () => {
  it('takes the reason from the call, bounded, with a default', () => {
    expect(handoffRequested([])).toBeUndefined();
    expect(handoffRequested([{ name: 'other', input: {} }])).toBeUndefined();
    expect(handoffRequested([{ name: HANDOFF_TOOL.name, input: { reason: ' refund ' } }])).toEqual({
      reason: 'refund',
    });
    expect(handoffRequested([{ name: HANDOFF_TOOL.name, input: null }])).toEqual({
      reason: 'requested by the agent',
    });
    expect(
      handoffRequested([{ name: HANDOFF_TOOL.name, input: { reason: 'x'.repeat(600) } }])?.reason,
    ).toHaveLength(500);
  });
});

describe('operator attachments', () => {
  it.each([
    'http://127.0.0.1/file.pdf',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/x',
    'http://10.0.0.5/x.png',
  ])('refuses a private or internal URL: %s', async (url) => {
    await expect(publicAttachments([{ url, type: 'document' }], false)).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('attachments.0.url'),
    });
  });
  it('keeps public ones (an IP literal needs no DNS)', async () => {
    expect(
      await publicAttachments(
        [{ url: 'https://93.184.215.14/menu.pdf', type: 'document', name: 'menu.pdf' }],
        false,
      ),
    ).toEqual([{ type: 'document', url: 'https://93.184.215.14/menu.pdf', name: 'menu.pdf' }]);
  });
});
