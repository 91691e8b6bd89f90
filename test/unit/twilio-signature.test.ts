import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AdapterContext, RawRequest } from '../../src/channels/types.ts';
import { signedString, twilioSignature, urlVariants } from '../../src/channels/twilio/signature.ts';
import { publicRequestUrl, verifyTwilio } from '../../src/channels/twilio/verify.ts';

/** Twilio's documented signature example (twilio-node spec/validation.spec.js; providers.md §5.4 and §11). */
const TOKEN = '12345';
const URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS: [string, string][] = [
  ['CallSid', 'CA1234567890ABCDE'],
  ['Caller', '+14158675309'],
  ['Digits', '1234'],
  ['From', '+14158675309'],
  ['To', '+18005551212'],
];

describe('Twilio signature', () => {
  it("reproduces Twilio's documented example vectors", () => {
    expect(signedString(URL, PARAMS)).toBe(
      'https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212',
    );
    expect(twilioSignature(TOKEN, URL, PARAMS)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(twilioSignature(TOKEN, 'https://mycompany.com:443/myapp.php?foo=1&bar=2', PARAMS)).toBe(
      'kvajT1Ptam85bY51eRf/AJRuM3w=',
    );
    expect(twilioSignature(TOKEN, 'http://mycompany.com:80/myapp.php?foo=1&bar=2', PARAMS)).toBe(
      '0ZXoZLH/DfblKGATFgpif+LLRf4=',
    );
    expect(twilioSignature(TOKEN, 'http://mycompany.com:1234/myapp.php?foo=1&bar=2', PARAMS)).toBe(
      'Zmvh+3yNM1Phv2jhDCwEM3q5ebU=',
    );
  });

  it('sorts names, then de-duplicates and sorts the values of a repeated name', () => {
    const params: [string, string][] = [
      ['b', '2'],
      ['MediaUrl', 'z'],
      ['a', '1'],
      ['MediaUrl', 'y'],
      ['MediaUrl', 'z'],
    ];
    expect(signedString('u', params)).toBe('uMediaUrlyMediaUrlza1b2');
  });

  it('offers the URL without the port, with the default port, and with a legacy-encoded query', () => {
    expect(urlVariants(URL)).toEqual([URL, 'https://mycompany.com:443/myapp.php?foo=1&bar=2']);
    expect(urlVariants('http://mycompany.com:1234/p')).toEqual([
      'http://mycompany.com:1234/p',
      'http://mycompany.com/p',
    ]);
    expect(urlVariants("https://x.example/p?q=it's")).toContain('https://x.example/p?q=it%27s');
  });

  it('rebuilds the public URL from PUBLIC_URL and the received path and query', () => {
    expect(publicRequestUrl('http://10.0.0.5:3000/api/v1/x?y=1', 'https://sb.example.com/')).toBe(
      'https://sb.example.com/api/v1/x?y=1',
    );
    expect(publicRequestUrl('http://127.0.0.1:3000/a', undefined)).toBe('http://127.0.0.1:3000/a');
  });
});

describe('verifyTwilio', () => {
  const secrets: Record<string, string> = {
    'credentials.auth_token': 'primary_token_0123456789',
    'credentials.secondary_auth_token': 'secondary_token_0123456789',
    'credentials.webhook_shared_key': 'shared_key_0123456789abcdef',
  };
  const ctx = (available = secrets, settings: Record<string, unknown> = {}): AdapterContext =>
    ({
      account: {
        agentId: 'agent_x',
        channel: 'whatsapp',
        provider: 'twilio',
        enabled: true,
        settings,
        secret: async (field: string) => available[field],
      },
      publicUrl: 'https://sb.example.com',
    }) as unknown as AdapterContext;
  const params: [string, string][] = [
    ['Body', 'Grüße 👋 & +1'],
    ['From', 'whatsapp:+4915112345678'],
    ['MessageSid', `SM${'1'.repeat(32)}`],
  ];
  const publicUrl = 'https://sb.example.com/api/v1/channels/webhooks/whatsapp/agent_x';
  const request = (headers: Record<string, string>, body = params): RawRequest => ({
    method: 'POST',
    // Behind a proxy: the server sees its own host and scheme.
    url: 'http://10.1.2.3:3000/api/v1/channels/webhooks/whatsapp/agent_x',
    headers: new Headers({ 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...headers }),
    body: new TextEncoder().encode(new URLSearchParams(body).toString()),
  });
  const sign = (key: string, url = publicUrl, algorithm: 'sha1' | 'sha256' = 'sha1') =>
    createHmac(algorithm, key).update(signedString(url, params), 'utf8').digest('base64');

  it('accepts the primary and the secondary auth token over the public URL, with or without :443', async () => {
    expect(
      await verifyTwilio(request({ 'x-twilio-signature': sign(secrets['credentials.auth_token']!) }), ctx()),
    ).toEqual({ ok: true });
    expect(
      await verifyTwilio(
        request({ 'x-twilio-signature': sign(secrets['credentials.secondary_auth_token']!) }),
        ctx(),
      ),
    ).toEqual({ ok: true });
    const withPort = publicUrl.replace('sb.example.com', 'sb.example.com:443');
    expect(
      (
        await verifyTwilio(
          request({ 'x-twilio-signature': sign(secrets['credentials.auth_token']!, withPort) }),
          ctx(),
        )
      ).ok,
    ).toBe(true);
  });

  it('rejects the signature of the internal URL, a wrong token, a missing header and tampered params', async () => {
    const token = secrets['credentials.auth_token']!;
    const internal = 'http://10.1.2.3:3000/api/v1/channels/webhooks/whatsapp/agent_x';
    expect((await verifyTwilio(request({ 'x-twilio-signature': sign(token, internal) }), ctx())).ok).toBe(
      false,
    );
    expect(
      (await verifyTwilio(request({ 'x-twilio-signature': sign('wrong_token_0123456789') }), ctx())).ok,
    ).toBe(false);
    expect((await verifyTwilio(request({}), ctx())).ok).toBe(false);
    const tampered: [string, string][] = [...params, ['Extra', '1']];
    expect((await verifyTwilio(request({ 'x-twilio-signature': sign(token) }, tampered), ctx())).ok).toBe(
      false,
    );
    // No token configured: fail closed even for a "valid" signature.
    expect((await verifyTwilio(request({ 'x-twilio-signature': sign(token) }), ctx({}))).ok).toBe(false);
  });

  it('checks shared-key HMAC-SHA256 when Twilio announces it, and only then', async () => {
    const shared = secrets['credentials.webhook_shared_key']!;
    const announced = { 'x-twilio-webhooks-signature-settings': 'key=KS123,algorithm=HMAC_SHA256' };
    expect(
      await verifyTwilio(
        request({ ...announced, 'x-twilio-signature': sign(shared, publicUrl, 'sha256') }),
        ctx(),
      ),
    ).toEqual({ ok: true });
    // The auth token is not a shared key; SHA-1 is not what was announced.
    const token = secrets['credentials.auth_token']!;
    expect(
      (
        await verifyTwilio(
          request({ ...announced, 'x-twilio-signature': sign(token, publicUrl, 'sha256') }),
          ctx(),
        )
      ).ok,
    ).toBe(false);
    expect(
      (await verifyTwilio(request({ ...announced, 'x-twilio-signature': sign(shared) }), ctx())).ok,
    ).toBe(false);
    // Without the announcement, a shared-key signature is not accepted as an auth-token one.
    expect(
      (await verifyTwilio(request({ 'x-twilio-signature': sign(shared, publicUrl, 'sha256') }), ctx())).ok,
    ).toBe(false);
    // A configured key id must match the announced one; no shared key configured fails closed.
    const good = { ...announced, 'x-twilio-signature': sign(shared, publicUrl, 'sha256') };
    expect((await verifyTwilio(request(good), ctx(secrets, { webhook_shared_key_id: 'KS999' }))).ok).toBe(
      false,
    );
    expect((await verifyTwilio(request(good), ctx(secrets, { webhook_shared_key_id: 'KS123' }))).ok).toBe(
      true,
    );
    const noShared = { ...secrets, 'credentials.webhook_shared_key': '' };
    expect((await verifyTwilio(request(good), ctx(noShared))).ok).toBe(false);
  });
});
