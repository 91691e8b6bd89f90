import { describe, expect, it } from 'vitest';
import {
  fillTemplate,
  reengagementTemplateOf,
  templateText,
  WINDOW_MS,
  windowOpen,
} from '../../src/channels/whatsapp/window.ts';
import { windowStart } from '../../src/engine/window-hold.ts';
import { statusRetryDelayMs, statusStream, STATUS_MAX_ATTEMPTS } from '../../src/engine/statuses.ts';

describe('WhatsApp 24-hour window', () => {
  const last = new Date('2026-03-01T10:00:00Z');
  it('starts when the provider says the message was written, never later than now', () => {
    const now = new Date('2026-03-02T10:00:00Z');
    expect(windowStart('2026-03-01T09:00:00.000Z', now)).toEqual(new Date('2026-03-01T09:00:00Z'));
    // A provider clock ahead of ours, no time, an unreadable one: now.
    expect(windowStart('2026-03-02T10:00:05.000Z', now)).toBe(now);
    expect(windowStart(undefined, now)).toBe(now);
    expect(windowStart('not a time', now)).toBe(now);
  });

  it('is open up to 24 h after the last inbound message and closed after', () => {
    expect(windowOpen(last, new Date(last.getTime() + WINDOW_MS))).toBe(true);
    expect(windowOpen(last, new Date(last.getTime() + WINDOW_MS + 1))).toBe(false);
    expect(windowOpen(last, new Date(last.getTime() + 25 * 3_600_000))).toBe(false);
    // No recorded inbound time: the provider decides (a 131047 status then holds the reply after the fact).
    expect(windowOpen(null, new Date())).toBe(true);
  });

  it('reads the re-engagement template from the settings and ignores unusable ones', () => {
    const template = { name: 'reopen', language: 'en_US', parameters: ['Hi {{contact_name}}'] };
    expect(reengagementTemplateOf({ reengagement_template: template })).toEqual(template);
    expect(reengagementTemplateOf({ reengagement_template: { name: 'x_1', language: 'en' } })).toEqual({
      name: 'x_1',
      language: 'en',
    });
    expect(reengagementTemplateOf({})).toBeNull();
    expect(reengagementTemplateOf({ reengagement_template: { name: '', language: 'en' } })).toBeNull();
    expect(reengagementTemplateOf({ reengagement_template: 'reopen' })).toBeNull();
  });

  it('fills {{contact_name}} in every parameter, with a neutral word when the name is unknown', () => {
    const template = {
      name: 'reopen',
      language: 'en',
      parameters: ['Hello {{contact_name}}!', '{{contact_name}}/{{contact_name}}', 'plain'],
    };
    expect(fillTemplate(template, 'Ana').parameters).toEqual(['Hello Ana!', 'Ana/Ana', 'plain']);
    expect(fillTemplate(template, '  ').parameters[0]).toBe('Hello there!');
    expect(fillTemplate(template, null).parameters[0]).toBe('Hello there!');
    expect(fillTemplate({ name: 'n', language: 'en' }, 'Ana')).toEqual({
      name: 'n',
      language: 'en',
      parameters: [],
    });
    expect(templateText({ name: 'reopen', parameters: ['Hi Ana'] })).toBe('[template reopen] Hi Ana');
  });
});

describe('status stream helpers', () => {
  it('keeps one message in one stream and spreads messages over several', () => {
    expect(statusStream('wamid.A')).toBe(statusStream('wamid.A'));
    const streams = new Set(Array.from({ length: 200 }, (_, i) => statusStream(`wamid.${i}`)));
    expect(streams.size).toBeGreaterThan(1);
  });

  it('backs a waiting status off from 1 s to 30 s and gives up after about 10 minutes', () => {
    expect([1, 2, 3, 6, 7, 20].map(statusRetryDelayMs)).toEqual([1000, 2000, 4000, 30_000, 30_000, 30_000]);
    let total = 0;
    for (let attempt = 1; attempt < STATUS_MAX_ATTEMPTS; attempt++) total += statusRetryDelayMs(attempt);
    expect(total).toBeGreaterThan(9 * 60_000);
    expect(total).toBeLessThan(12 * 60_000);
  });
});
