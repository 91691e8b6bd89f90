import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractAttachment } from '../../src/channels/email/attachment.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { configureEmail, postMail, simpleMail } from '../helpers/email.ts';
import { addMember, createWorkspace, registerUser, type Workspace } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';

let app: TestApp;
let ws: Workspace;
let secret: string;
const answered: string[] = [];

beforeAll(async () => {
  app = await startTestApp({ TURN_DEBOUNCE_MS: 'email=0' }, undefined, {
    engine: {
      responder: async (input) => {
        answered.push(...input.pending.map((m) => m.content));
        return { text: 'Thanks!' };
      },
    },
    dnsResolver: fixtureResolver({}),
  });
  ws = await createWorkspace(app, 'mail-inbound');
  secret = await configureEmail(app, ws, { smtp_config: { host: 'smtp.shop.example', port: 587 } });
});

afterAll(async () => {
  await app?.close();
});

const rawCount = async () =>
  Number((await app.database.query<{ n: string }>('select count(*) as n from raw_mails'))[0]?.n);

describe('raw MIME inbound route', () => {
  const mail = simpleMail({
    from: 'Ana Lima <ana@customer.example>',
    subject: 'Order question',
    messageId: '<first-1@customer.example>',
    body: 'Where is my order?',
  });

  it('answers 401 and stores nothing without the inbound secret, with a wrong one, or the wrong user', async () => {
    expect((await postMail(app, ws.agentId, mail)).status).toBe(401);
    expect((await postMail(app, ws.agentId, mail, { secret: `${secret}x` })).status).toBe(401);
    expect((await postMail(app, ws.agentId, mail, { secret, user: 'admin' })).status).toBe(401);
    expect((await postMail(app, ws.agentId, mail, { header: 'nope' })).status).toBe(401);
    expect(await rawCount()).toBe(0);
  });

  it('rejects a body that is not message/rfc822 with 415', async () => {
    const res = await fetch(`${app.url}/api/v1/channels/webhooks/email/${ws.agentId}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-inbound-secret': secret },
      body: mail,
    });
    expect(res.status).toBe(415);
    expect(await rawCount()).toBe(0);
  });

  it('records the mail durably, dedupes a redelivery on Message-ID, and the agent answers it once', async () => {
    const first = await postMail(app, ws.agentId, mail, { secret });
    expect(first).toMatchObject({ status: 200, body: { success: true, duplicate: false } });
    const again = await postMail(app, ws.agentId, mail, { header: secret });
    expect(again).toMatchObject({ status: 200, body: { success: true, duplicate: true } });
    expect(await rawCount()).toBe(1);
    const row = await eventually(async () => {
      const rows = await app.database.query<{ status: string; verdict: { dkim: string } }>(
        `select status, verdict from raw_mails where status <> 'pending'`,
      );
      return rows[0];
    }, 15_000);
    expect(row.status).toBe('accepted');
    expect(row.verdict.dkim).toBe('none');
    await eventually(() => answered.length > 0 || undefined, 15_000);
    expect(answered).toEqual(['Where is my order?']);
  });
});

describe('email webhook info', () => {
  it('shows members the inbound URL with credentials ready to paste, which the route accepts', async () => {
    const path = `/api/v1/channels/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/channels/email/webhook/info`;
    const res = await app.call('GET', path, { token: ws.owner.token });
    expect(res.status, res.text).toBe(200);
    const info = res.body.webhook_info;
    expect(info).toMatchObject({
      basic_auth_user: 'inbound',
      secret_header: 'x-inbound-secret',
      content_type: 'message/rfc822',
      max_bytes: 25 * 1024 * 1024,
      imap: null,
    });
    const url = new URL(info.url);
    expect(url.username).toBe('inbound');
    expect(decodeURIComponent(url.password)).toBe(secret);
    expect(`${url.origin}${url.pathname}`).toBe(info.url_without_credentials);
    const mail = simpleMail({
      from: 'info@customer.example',
      subject: 'Via the pasted URL',
      messageId: '<pasted-1@customer.example>',
      body: 'Hi',
    });
    const posted = await postMail(app, ws.agentId, mail, { secret: decodeURIComponent(url.password) });
    expect(posted).toMatchObject({ status: 200, body: { duplicate: false } });

    const viewer = await registerUser(app, 'mail-viewer');
    await addMember(app, ws.owner, ws.orgId, viewer, 'viewer');
    expect((await app.call('GET', path, { token: viewer.token })).status).toBe(403);
  });
});

describe('what the agent sees', () => {
  const fixture = (name: string) => readFileSync(new URL(`../fixtures/email/${name}`, import.meta.url));
  const contentOf = (providerId: string) =>
    eventually(async () => {
      const rows = await app.database.query<{ content: string; metadata: any; attachments: any[] }>(
        `select content, metadata, attachments from messages where provider_message_id = $1`,
        [providerId],
      );
      return rows[0];
    }, 15_000);

  it.each([
    [
      'gmail-reply.eml',
      'CAF=gmail-reply-1@mail.customer.example',
      'Thanks! Can you send it to my office instead?\n\nAna',
    ],
    [
      'outlook-reply.eml',
      'AM0PR01MB1234ABCD@am0pr01mb1234.eurprd01.prod.outlook.example',
      'Hallo,\n\ndie Lieferung ist angekommen, vielen Dank für die schnelle Bearbeitung.\n\nGrüße\nJonas Becker',
    ],
    ['apple-reply.eml', '8C2F1A2B-3C4D-4E5F-9A0B-1C2D3E4F5A6B@icloud.example', 'Perfect, see you then 👍'],
    [
      'iso-8859-1.eml',
      'latin1-1@exemple.example',
      "Bonjour, ma commande n'est pas arrivée à Montréal. Où est-elle ?",
    ],
    ['windows-1252.eml', 'cp1252-1@legacy.example', 'Is the “premium” plan still €50 – or more?'],
  ])('%s: only the new text, decoded; the full text kept', async (name, id, expected) => {
    expect((await postMail(app, ws.agentId, fixture(name), { secret })).status).toBe(200);
    const message = await contentOf(id);
    expect(message.content).toBe(expected);
    expect(message.metadata.email.full_text.length).toBeGreaterThanOrEqual(expected.length);
  });

  it('stores a mail with NUL bytes (PostgreSQL refuses them) in its sender, subject and body, repaired', async () => {
    const raw = simpleMail({
      from: 'Nul\0 Sender <nul@customer\0.example>',
      subject: 'Binary\0 junk',
      messageId: '<nul-1@customer.example>',
      body: 'Where is\0 my order?',
    });
    expect((await postMail(app, ws.agentId, raw, { secret })).status).toBe(200);
    // Repaired as every provider's data is (text-safety.ts): U+FFFD marks where the NUL was.
    expect((await contentOf('nul-1@customer.example')).content).toBe('Where is\uFFFD my order?');
    // The raw mail is finished too (not left pending for retries).
    const [row] = await eventually(async () => {
      const rows = await app.database.query<{ status: string }>(
        `select status from raw_mails where dedupe_key = 'mid:nul-1@customer.example' and status <> 'pending'`,
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(row?.status).toBe('accepted');
  });

  it('answers a mail whose From is a group (undisclosed-recipients:;) as from its Sender, unverified', async () => {
    const raw = simpleMail({
      from: 'undisclosed-recipients:;',
      subject: 'Sent on behalf of the team',
      messageId: '<group-from-1@team.example>',
      body: 'Our team has a question about invoices.',
      headers: ['Sender: Alice Moreau <alice@team.example>'],
    });
    expect((await postMail(app, ws.agentId, raw, { secret })).status).toBe(200);
    const message = await contentOf('group-from-1@team.example');
    expect(message.content).toBe('Our team has a question about invoices.');
    expect(message.metadata.email).toMatchObject({ author_header: 'sender', auth: { verified: false } });
    await eventually(() => answered.includes('Our team has a question about invoices.') || undefined, 15_000);
    // The contact is Alice, by name, but her address is not vouched for (no single From mailbox).
    const contacts = await app.database.query<{ display_name: string | null; email: string | null }>(
      `select c.display_name, c.email from contacts c join contact_identities ci on ci.contact_id = c.id
       where ci.agent_id = $1 and ci.channel = 'email' and ci.platform_user_id = $2`,
      [ws.agentId, 'alice@team.example'],
    );
    expect(contacts).toEqual([{ display_name: 'Alice Moreau', email: null }]);
  });

  it('records an out-of-office reply marked only by its subject, and does not answer it', async () => {
    const raw = simpleMail({
      from: 'Away Person <away@customer.example>',
      subject: 'Automatische Antwort: Order #42',
      messageId: '<oof-subject-1@customer.example>',
      body: 'Ich bin bis 7. Dezember nicht im Büro.',
    });
    expect((await postMail(app, ws.agentId, raw, { secret })).status).toBe(200);
    const message = await contentOf('oof-subject-1@customer.example');
    expect(message.metadata.email.not_answered).toBe('auto_reply');
    expect(answered).not.toContain('Ich bin bis 7. Dezember nicht im Büro.');
  });

  it('lists attachments with a ref to the stored raw mail and part', async () => {
    expect((await postMail(app, ws.agentId, fixture('attachments.eml'), { secret })).status).toBe(200);
    const message = await contentOf('attach-1@customer.example');
    expect(message.attachments).toEqual([
      expect.objectContaining({
        type: 'image',
        name: 'photo.png',
        ref: expect.stringMatching(/^rawmail:rawmail_\w+:0$/),
      }),
      expect.objectContaining({ type: 'document', name: 'Quittung März.pdf', mime_type: 'application/pdf' }),
    ]);
    const rawId = message.attachments[1].ref.split(':')[1];
    const raw = await app.database.query<{ raw: Uint8Array }>('select raw from raw_mails where id = $1', [
      rawId,
    ]);
    const pdf = await extractAttachment(Buffer.from(raw[0]?.raw ?? []), 1);
    expect(pdf.content.toString('latin1')).toContain('%PDF-1.4');
  });

  it('answers an Outlook mail whose only attachment is winmail.dat (TNEF), kept undecoded as a document', async () => {
    expect((await postMail(app, ws.agentId, fixture('outlook-tnef.eml'), { secret })).status).toBe(200);
    const text =
      'Hallo,\n\nmir fehlt die Rechnung zu Bestellung 4711. Können Sie sie mir schicken?\n\nGrüße\nJonas Becker';
    const message = await contentOf('AM0PR01MB5678TNEF@am0pr01mb5678.eurprd01.prod.outlook.example');
    expect(message.content).toBe(text);
    expect(message.attachments).toEqual([
      expect.objectContaining({
        type: 'document',
        name: 'winmail.dat',
        mime_type: 'application/ms-tnef',
        ref: expect.stringMatching(/^rawmail:rawmail_\w+:0$/),
      }),
    ]);
    await eventually(() => answered.includes(text) || undefined, 15_000);
    const rawId = message.attachments[0].ref.split(':')[1];
    const [row] = await app.database.query<{ raw: Uint8Array; status: string }>(
      'select raw, status from raw_mails where id = $1',
      [rawId],
    );
    expect(row?.status).toBe('accepted');
    // The TNEF bytes as sent (its signature 0x223E9F78, little-endian), never decoded.
    const tnef = await extractAttachment(Buffer.from(row?.raw ?? []), 0);
    expect(tnef.content.subarray(0, 4)).toEqual(Buffer.from([0x78, 0x9f, 0x3e, 0x22]));
  });

  it('serves those attachments through the conversation attachments route, to this organization only', async () => {
    const [row] = await app.database.query<{ id: string; conversation_id: string }>(
      `select id, conversation_id from messages where provider_message_id = $1`,
      ['attach-1@customer.example'],
    );
    const path = (index: number) =>
      `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/conversations/` +
      `${row?.conversation_id}/messages/${row?.id}/attachments/${index}`;
    const pdf = await app.call('GET', path(1), { token: ws.owner.token });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toContain("filename*=UTF-8''Quittung%20M%C3%A4rz.pdf");
    expect(pdf.text).toContain('%PDF-1.4');
    expect((await app.call('GET', path(5), { token: ws.owner.token })).status).toBe(404);
    const outsider = await createWorkspace(app, 'mail-outsider');
    expect((await app.call('GET', path(1), { token: outsider.owner.token })).status).toBe(404);
  });
});
