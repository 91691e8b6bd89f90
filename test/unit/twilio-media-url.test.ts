import { describe, expect, it } from 'vitest';
import { fetchTwilioMedia, isTwilioMediaUrl } from '../../src/channels/twilio/media.ts';
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

describe('fetchTwilioMedia redirects', () => {
  const ref = `https://api.twilio.com${path()}`;
  /** Twilio's REST host answers 307 to `location`; the public fetch serves whatever it is sent to. */
  const download = async (location: string) => {
    const seen: { url: string; authorization: string | null }[] = [];
    const record = (url: string, init?: RequestInit) => {
      seen.push({ url, authorization: new Headers(init?.headers).get('authorization') });
    };
    const context = {
      account: {
        settings: { credentials: { account_sid: SID } },
        secret: async () => 'auth_token_0123456789abcdef',
      },
      fetch: async (url: string, init?: RequestInit) => {
        record(url, init);
        return new Response(null, { status: 307, headers: { location } });
      },
      fetchPublic: async (url: string, init?: RequestInit) => {
        record(url, init);
        return new Response('jpeg bytes', { headers: { 'content-type': 'image/jpeg' } });
      },
    } as unknown as AdapterContext;
    const file = await fetchTwilioMedia(context, { type: 'image', ref });
    return { seen, text: await new Response(file.body).text() };
  };

  it('follows the redirect to Twilio’s media CDN hosts without the credentials', async () => {
    for (const host of ['mms.twiliocdn.com', 'media.twiliocdn.com']) {
      const { seen, text } = await download(`https://${host}/${SID}/abc?Expires=1&Signature=x`);
      expect(text).toBe('jpeg bytes');
      expect(seen[0]).toMatchObject({ url: ref });
      expect(seen[0]?.authorization).toMatch(/^Basic /);
      expect(seen[1]).toEqual({
        url: `https://${host}/${SID}/abc?Expires=1&Signature=x`,
        authorization: null,
      });
    }
  });

  it('refuses a redirect anywhere else', async () => {
    for (const location of [
      'https://evil.example/x',
      'https://media.twiliocdn.com.evil.example/x',
      'http://media.twiliocdn.com/x',
      'https://u:p@media.twiliocdn.com/x',
    ]) {
      await expect(download(location), location).rejects.toThrow(/host Twilio does not own/);
    }
  });
});
