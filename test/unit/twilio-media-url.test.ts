import { describe, expect, it } from 'vitest';
import { isTwilioMediaUrl } from '../../src/channels/twilio/media.ts';
import type { AdapterContext } from '../../src/channels/types.ts';

/** Which media URLs may ever receive the account's Basic credentials (providers.md §5.2; issue: media). */
const SID = `AC${'0a'.repeat(16)}`;
const MM = `MM${'1b'.repeat(16)}`;
const ME = `ME${'2c'.repeat(16)}`;
const ctx = (apiRoots?: Record<string, string>) =>
  ({
    account: { settings: { credentials: { account_sid: SID } } },
    ...(apiRoots ? { apiRoots } : {}),
  }) as unknown as AdapterContext;
const path = (sid = SID) => `/2010-04-01/Accounts/${sid}/Messages/${MM}/Media/${ME}`;

describe('isTwilioMediaUrl', () => {
  it('trusts only this account’s media path on api.twilio.com (https) by default', () => {
    expect(isTwilioMediaUrl(ctx(), `https://api.twilio.com${path()}`)).toBe(true);
    for (const url of [
      `http://api.twilio.com${path()}`,
      `https://api.twilio.com:8443${path()}`,
      `https://api.twilio.com.evil.example${path()}`,
      `https://evil.example${path()}`,
      `https://user:pw@api.twilio.com${path()}`,
      `https://api.twilio.com${path(`AC${'ff'.repeat(16)}`)}`,
      `https://api.twilio.com/2010-04-01/Accounts/${SID}/Messages.json`,
      `https://api.twilio.com/2010-04-01/Accounts/${SID}/Recordings/RE1/Media/${ME}`,
      `https://api.twilio.com${path()}/../../../Messages.json`,
      'not a url',
    ]) {
      expect(isTwilioMediaUrl(ctx(), url), url).toBe(false);
    }
  });

  it('with TWILIO_API_ROOT set (tests), trusts exactly that origin', () => {
    const root = 'http://127.0.0.1:4010';
    expect(isTwilioMediaUrl(ctx({ twilio: root }), `${root}${path()}`)).toBe(true);
    expect(isTwilioMediaUrl(ctx({ twilio: root }), `http://127.0.0.1:4011${path()}`)).toBe(false);
    expect(isTwilioMediaUrl(ctx({ twilio: root }), `https://api.twilio.com${path()}`)).toBe(false);
  });
});
