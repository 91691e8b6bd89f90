import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { readInboundMail } from '../../src/channels/email/inbound.ts';
import type { DNSResolver } from '../../src/channels/email/authenticate.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { simpleMail } from '../helpers/email.ts';

const mail = (from: string, headers: string[] = []) =>
  simpleMail({ from, subject: 'Hi', messageId: '<sender-1@team.example>', body: 'Question', headers });
const read = (raw: string, options: { trusted?: boolean; strict?: boolean; resolver?: DNSResolver } = {}) =>
  readInboundMail(Buffer.from(raw), {
    rawMailId: 'rawmail_unit',
    settings: {
      from_email: 'support@shop.example',
      ...(options.strict ? { require_authentication: true } : {}),
    },
    auth: {
      resolver: options.resolver ?? fixtureResolver({}),
      ...(options.trusted ? { trustedAuthservIds: ['mx.shop.example'] } : {}),
    },
  });
/** What the receiving server (trusted here) wrote on top: a pass for the Sender's domain. */
const passing = (raw: string, dmarc = 'pass (p=REJECT)') =>
  `Authentication-Results: mx.shop.example; dkim=pass header.d=team.example; spf=pass smtp.mailfrom=team.example; dmarc=${dmarc}\r\n${raw}`;

describe('the author when From is a group or names several mailboxes', () => {
  it('takes the Sender mailbox for a From group, and its display name; no_sender without one', async () => {
    for (const group of ['Support Team:;', 'undisclosed-recipients:;']) {
      const outcome = await read(mail(group, ['Sender: Alice Moreau <Alice@Team.example>']));
      expect(outcome).toMatchObject({ status: 'accepted' });
      expect(outcome.events[0]).toMatchObject({
        sender: {
          platformUserId: 'alice@team.example',
          chatId: 'alice@team.example',
          displayName: 'Alice Moreau',
        },
        messageMetadata: { email: { author_header: 'sender' } },
      });
    }
    // Neither gives an address: still no_sender.
    expect(await read(mail('undisclosed-recipients:;'))).toMatchObject({
      status: 'failed',
      reason: 'no_sender',
    });
    expect(await read(mail('Team:;', ['Sender: Nobody:;']))).toMatchObject({ reason: 'no_sender' });
  });

  it('takes the Sender, who wrote, when From names several mailboxes; keeps From when it names one', async () => {
    const several = await read(
      mail('Bob <bob@one.example>, Carla <carla@two.example>', ['Sender: <alice@team.example>']),
    );
    expect(several.events[0]).toMatchObject({ sender: { platformUserId: 'alice@team.example' } });
    expect(several.events[0]).not.toMatchObject({ sender: { displayName: expect.anything() } });
    const single = await read(mail('Bob <bob@one.example>', ['Sender: Alice <alice@team.example>']));
    expect(single.events[0]).toMatchObject({
      sender: { platformUserId: 'bob@one.example', displayName: 'Bob' },
    });
    expect(single.events[0]).not.toMatchObject({ messageMetadata: { email: { author_header: 'sender' } } });
    // No Sender to say who wrote: From's first mailbox, as before.
    const noSender = await read(mail('Bob <bob@one.example>, Carla <carla@two.example>'));
    expect(noSender.events[0]).toMatchObject({ sender: { platformUserId: 'bob@one.example' } });
  });

  it('ignores our own address or a mailer daemon given as Sender, as it would as From', async () => {
    expect(await read(mail('Team:;', ['Sender: <support@shop.example>']))).toMatchObject({
      status: 'ignored',
      reason: 'own_address',
    });
    expect(await read(mail('Team:;', ['Sender: <MAILER-DAEMON@mx.team.example>']))).toMatchObject({
      status: 'ignored',
      reason: 'bounce',
    });
  });
});

describe('sender authentication without a single From mailbox', () => {
  it('never verifies an author taken from Sender, whatever a trusted server reports', async () => {
    const raw = passing(mail('Team:;', ['Sender: Alice <alice@team.example>']));
    const outcome = await read(raw, { trusted: true });
    expect(outcome).toMatchObject({
      status: 'accepted',
      verdict: { source: 'authentication-results', dmarc: 'pass', verified: false },
    });
    expect(outcome.verdict).not.toHaveProperty('from_domain');
    expect(outcome.events[0]).not.toMatchObject({ sender: { email: expect.anything() } });
    expect(await read(raw, { trusted: true, strict: true })).toMatchObject({
      status: 'rejected',
      reason: 'unauthenticated',
    });
  });

  it('never verifies several From mailboxes, a DMARC pass being for one domain only', async () => {
    const raw = passing(mail('<me@team.example>, <ceo@victim.example>'));
    expect(await read(raw, { trusted: true })).toMatchObject({ verdict: { dmarc: 'pass', verified: false } });
    const withSender = passing(
      mail('<me@team.example>, <ceo@victim.example>', ['Sender: <ceo@victim.example>']),
    );
    const outcome = await read(withSender, { trusted: true });
    expect(outcome).toMatchObject({ verdict: { verified: false } });
    expect(outcome.events[0]).toMatchObject({ sender: { platformUserId: 'ceo@victim.example' } });
    expect(outcome.events[0]).not.toMatchObject({ sender: { email: expect.anything() } });
  });

  it('still rejects a From group mail on a DMARC fail under p=reject', async () => {
    const raw = passing(mail('Team:;', ['Sender: <alice@team.example>']), 'fail (p=reject)');
    expect(await read(raw, { trusted: true })).toMatchObject({ status: 'rejected', reason: 'dmarc_fail' });
  });

  it("does not verify the Sender from a DKIM signature of the Sender's domain", async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const resolver = fixtureResolver({
      'sel1._domainkey.team.example': [
        `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
      ],
    });
    const unsigned = mail('Team:;', ['Sender: Alice <alice@team.example>']);
    const signer = {
      signingDomain: 'team.example',
      selector: 'sel1',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    };
    const { signatures } = await dkimSign(unsigned, { ...signer, signatureData: [signer] });
    const outcome = await read(signatures + unsigned, { resolver });
    // The verifier's comment, when it did not pass, names why (this failed once in a loaded full run, unexplained).
    expect(outcome.status === 'accepted' && outcome.verdict?.dkim_comment).toBeUndefined();
    expect(outcome).toMatchObject({
      status: 'accepted',
      verdict: { source: 'mailauth', dkim: 'pass', dkim_domains: ['team.example'], verified: false },
    });
  });
});
