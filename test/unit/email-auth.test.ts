import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { readInboundMail } from '../../src/channels/email/inbound.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { simpleMail } from '../helpers/email.ts';

const settings = { from_email: 'support@shop.example' };
const mail = (headers: string[] = []) =>
  Buffer.from(
    simpleMail({
      from: 'Ana <ana@customer.example>',
      subject: 'Hi',
      messageId: '<auth-1@customer.example>',
      body: 'Question',
      headers,
    }),
  );
const read = (raw: Buffer, extra: Record<string, unknown> = {}, trusted?: string[]) =>
  readInboundMail(raw, {
    rawMailId: 'rawmail_unit',
    settings: { ...settings, ...extra },
    auth: { resolver: fixtureResolver({}), ...(trusted ? { trustedAuthservIds: trusted } : {}) },
  });

describe('authentication policy', () => {
  it('answers unauthenticated mail by default, and rejects it when require_authentication is set', async () => {
    expect(await read(mail())).toMatchObject({ status: 'accepted', verdict: { verified: false } });
    const strict = await read(mail(), { require_authentication: true });
    expect(strict).toMatchObject({ status: 'rejected', reason: 'unauthenticated', events: [] });
  });

  it('trusts the topmost Authentication-Results of a configured authserv-id instead of checking DNS', async () => {
    // The receiving server (mx.shop.example) prepends its header above anything the sender wrote.
    const raw = Buffer.concat([
      Buffer.from(
        'Authentication-Results: mx.shop.example;\r\n dkim=pass header.d=customer.example header.s=s1;\r\n spf=pass smtp.mailfrom=customer.example;\r\n dmarc=pass (p=REJECT) header.from=customer.example\r\n',
      ),
      mail(),
    ]);
    const trusted = await read(raw, { require_authentication: true }, ['mx.shop.example']);
    expect(trusted).toMatchObject({
      status: 'accepted',
      verdict: { source: 'authentication-results', dkim: 'pass', spf: 'pass', dmarc: 'pass', verified: true },
    });
    expect(trusted.events[0]).toMatchObject({ sender: { email: 'ana@customer.example' } });
    // Without the authserv-id configured the header is ignored and DNS decides (nothing published here).
    expect(await read(raw)).toMatchObject({ verdict: { source: 'mailauth', verified: false } });
  });

  it('ignores a forged Authentication-Results that sits below the trusted server, and one with another id', async () => {
    const forgedBelow = Buffer.concat([
      Buffer.from(
        'Authentication-Results: mx.shop.example; dkim=none; spf=none; dmarc=fail (p=reject) header.from=customer.example\r\n',
      ),
      Buffer.from(
        'Authentication-Results: mx.shop.example; dkim=pass header.d=customer.example; dmarc=pass\r\n',
      ),
      mail(),
    ]);
    expect(await read(forgedBelow, {}, ['mx.shop.example'])).toMatchObject({
      status: 'rejected',
      reason: 'dmarc_fail',
      verdict: { dmarc: 'fail', dmarc_policy: 'reject', verified: false },
    });
    const otherId = Buffer.concat([
      Buffer.from(
        'Authentication-Results: evil.example; dkim=pass header.d=customer.example; dmarc=pass\r\n',
      ),
      mail(),
    ]);
    expect(await read(otherId, {}, ['mx.shop.example'])).toMatchObject({
      verdict: { source: 'mailauth', verified: false },
    });
  });

  it('records a mail without a From as failed, and garbage without throwing', async () => {
    expect(await read(Buffer.from('Subject: none\r\n\r\nbody'))).toMatchObject({
      status: 'failed',
      reason: 'no_sender',
    });
    expect(await read(Buffer.from([0, 1, 2, 255, 254]))).toMatchObject({ status: 'failed' });
  });
});

describe('DKIM failure reasons', () => {
  it('keeps why a signature did not pass: a body changed after signing, a signature that does not match', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const zone = fixtureResolver({
      'sel1._domainkey.customer.example': [
        `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
      ],
    });
    const unsigned = mail().toString();
    const signer = { signingDomain: 'customer.example', selector: 'sel1', privateKey: key };
    const { signatures } = await dkimSign(unsigned, { ...signer, signatureData: [signer] });
    const check = (raw: string) =>
      readInboundMail(Buffer.from(raw), {
        rawMailId: 'rawmail_unit',
        settings,
        auth: { resolver: zone },
      });
    expect((await check(signatures + unsigned)).verdict).toMatchObject({ dkim: 'pass', verified: true });
    const verdict = (await check(signatures + unsigned.replace('Question', 'Altered'))).verdict;
    expect(verdict).toMatchObject({
      dkim: 'neutral',
      dkim_comment: 'body hash did not verify',
      verified: false,
    });
    const forged = (await check(signatures + unsigned.replace('Subject: Hi', 'Subject: Pay now'))).verdict;
    expect(forged).toMatchObject({ dkim: 'fail', dkim_comment: 'bad signature', verified: false });
  });
});
