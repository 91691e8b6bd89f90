import { createHmac, generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSmtpPools } from '../../src/channels/smtp/transport.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { channelsPath, configureEmail, postMail, simpleMail } from '../helpers/email.ts';
import { type FakeLlm, type FakeLlmRequest, startFakeLlm } from '../helpers/fake-llm.ts';
import { engineDiagnostics, withDiagnostics } from '../helpers/diagnostics.ts';
import { createWorkspace, useFakeLlm, type Workspace } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { randomSecret } from '../helpers/secrets.ts';
import { SmtpPeer } from '../helpers/smtp-peer.ts';

/**
 * The spec's cross-channel example, end to end: a website visitor whose identity the host site signed
 * (user_hash) writes again by email from that address; the mail passes DMARC (DKIM over the fixture zone), so
 * both identities are one contact and the website conversation continues on email, with the whole history
 * sent to the LLM under [via <channel>] markers. Typed or unverified identifiers never link.
 */

// A throwaway DKIM key published for signed.example (p=reject); plain.example publishes nothing (unverified).
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const zone = fixtureResolver({
  'sel1._domainkey.signed.example': [
    `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
  ],
  '_dmarc.signed.example': ['v=DMARC1; p=reject'],
});

const SMTP_USER = 'relay-user';
const SMTP_PASS = 'relay-pass-5e1b7d';
let app: TestApp;
let peer: SmtpPeer;
let llm: FakeLlm;
let ws: Workspace;
let inboundSecret: string;
const widgetSecret = randomSecret('widget-secret-');

beforeAll(async () => {
  peer = await new SmtpPeer(SMTP_USER, SMTP_PASS).start();
  llm = await startFakeLlm();
  llm.respondWith(() => ({ reply: 'Thank you, noted.' }));
  app = await startTestApp({ TURN_DEBOUNCE_MS: 'email=0', EMAIL_TLS_CA_FILE: peer.caFile }, undefined, {
    engine: {},
    dnsResolver: zone,
  });
  ws = await createWorkspace(app, 'linking');
  await useFakeLlm(app, ws, llm.url);
  inboundSecret = await configureEmail(app, ws, {
    smtp_config: {
      host: '127.0.0.1',
      port: peer.port,
      secure: false,
      username: SMTP_USER,
      password: SMTP_PASS,
    },
  });
  const put = await app.call('PUT', channelsPath(ws), {
    token: ws.owner.token,
    body: { website: { enabled: true, widget_secret: widgetSecret } },
  });
  expect(put.status, put.text).toBe(200);
});

afterAll(async () => {
  await app?.close();
  closeSmtpPools();
  await peer?.close();
  await llm?.close();
});

const agentPath = () => `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}`;
const get = async (path: string) => {
  const res = await app.call('GET', `${agentPath()}${path}`, { token: ws.owner.token });
  expect(res.status, res.text).toBe(200);
  return res.body;
};

/** A widget session for `identifier`, signed with the widget secret the way the host site's server does. */
async function verifiedVisitor(identifier: string): Promise<string> {
  const res = await app.call('POST', `/api/v1/widget/${ws.agentId}/session`, {
    body: {
      user_identifier: identifier,
      user_hash: createHmac('sha256', widgetSecret).update(identifier).digest('hex'),
    },
  });
  expect(res.status, res.text).toBe(200);
  expect(res.body.data.verified).toBe(true);
  return res.body.data.token;
}

async function anonymousVisitor(): Promise<string> {
  const res = await app.call('POST', `/api/v1/widget/${ws.agentId}/session`, { body: {} });
  expect(res.status, res.text).toBe(200);
  expect(res.body.data.verified).toBe(false);
  return res.body.data.token;
}

async function widgetSend(token: string, message: string): Promise<string> {
  const res = await app.call('POST', `/api/v1/widget/${ws.agentId}/messages`, {
    body: { message },
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status, res.text).toBe(200);
  return res.body.conversation_id;
}

async function signed(mail: string): Promise<string> {
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const { signatures, errors } = await dkimSign(mail, {
    signingDomain: 'signed.example',
    selector: 'sel1',
    privateKey: key,
    signatureData: [{ signingDomain: 'signed.example', selector: 'sel1', privateKey: key }],
  });
  expect(errors).toEqual([]);
  return signatures + mail;
}

/** Posts a mail and waits for the reply sent to `to`; returns the LLM request that produced it. */
async function mailAndReply(raw: string, to: string): Promise<FakeLlmRequest> {
  const before = peer.received.filter((m) => m.to.includes(to)).length;
  const llmBefore = llm.requests.length;
  expect((await postMail(app, ws.agentId, raw, { secret: inboundSecret })).status).toBe(200);
  // A reply takes 0.1-1 s here; a slow one (a retried job on a loaded machine) is reported, a lost one fails.
  const started = Date.now();
  await withDiagnostics(app, () =>
    eventually(() => peer.received.filter((m) => m.to.includes(to)).length > before || undefined, 90_000),
  );
  if (Date.now() - started > 10_000) {
    process.stderr.write(`mail reply took ${Date.now() - started} ms\n${await engineDiagnostics(app)}\n`);
  }
  const request = llm.requests.slice(llmBefore).at(-1);
  expect(request).toBeDefined();
  return request as FakeLlmRequest;
}

const contents = (request: FakeLlmRequest): string[] =>
  (request.body.messages as { content: unknown }[]).map((m) =>
    typeof m.content === 'string' ? m.content : JSON.stringify(m.content),
  );

const conversationOfMail = async (messageId: string) =>
  eventually(async () => {
    const rows = await app.database.query<{ conversation_id: string }>(
      'select conversation_id from messages where provider_message_id = $1',
      [messageId],
    );
    return rows[0]?.conversation_id;
  }, 30_000);

describe('linking contacts across channels on verified attributes', () => {
  it("continues the spec's example: a verified website visitor writes by DMARC-verified email and the same conversation goes on", async () => {
    const visitor = await verifiedVisitor('ana@signed.example');
    const conversationId = await widgetSend(visitor, 'Hi, I ordered a blue lamp, order 42.');

    const mail = await signed(
      simpleMail({
        from: 'Ana Lima <Ana@Signed.Example>',
        subject: 'Order 42',
        messageId: '<link-1@signed.example>',
        body: 'Any news on my lamp?',
      }),
    );
    const request = await mailAndReply(mail, 'ana@signed.example');
    // The agent saw the website history, marked with its channel, then the new mail.
    expect(contents(request)).toContain('[via website] Hi, I ordered a blue lamp, order 42.');
    expect(contents(request)).toContain('[via website] Thank you, noted.');
    expect(contents(request).at(-1)).toBe('Any news on my lamp?');
    expect(await conversationOfMail('link-1@signed.example')).toBe(conversationId);

    // The reply is recorded as sent once the SMTP send returned, a moment after the LLM request was seen.
    await expect
      .poll(async () => (await get(`/conversations/${conversationId}`)).data.messages[3]?.status, {
        timeout: 30_000,
      })
      .toBe('sent');
    const detail = (await get(`/conversations/${conversationId}`)).data;
    expect(detail.channel).toBe('email');
    expect(detail.status).toBe('active');
    expect(detail.channel_history.map((h: any) => [h.channel, h.message_count])).toEqual([
      ['website', 2],
      ['email', 2],
    ]);
    expect(detail.messages.map((m: any) => [m.channel, m.role])).toEqual([
      ['website', 'user'],
      ['website', 'assistant'],
      ['email', 'user'],
      ['email', 'assistant'],
    ]);
    expect(detail.messages[2].metadata.email.auth).toMatchObject({ dmarc: 'pass', verified: true });
    // The email reply went out through SMTP, to the address the person wrote from.
    const sent = peer.received.filter((m) => m.to.includes('ana@signed.example'));
    expect(sent).toHaveLength(1);
    expect(detail.messages[3].status).toBe('sent');

    // One contact, two identities that both proved the address.
    const contacts = await get('/contacts?email=ana@signed.example');
    expect(contacts.pagination.total).toBe(1);
    const contact = contacts.data[0];
    expect(contact.email).toBe('ana@signed.example');
    expect(contact.identities.map((i: any) => [i.platform_user_id, i.verified.email]).sort()).toEqual([
      ['email:ana@signed.example', 'ana@signed.example'],
      ['website:ana@signed.example', 'ana@signed.example'],
    ]);
    const audit = await get(`/contact-merges?contact_id=${contact._id}`);
    expect(audit.data).toHaveLength(1);
    expect(audit.data[0]).toMatchObject({
      kind: 'link',
      target_contact: contact._id,
      source_contact: null,
      by: 'auto:verified_email',
    });
    const events = await app.database.query<{ data: any }>(
      `select data from agent_events where agent_id = $1 and type = 'contact.merged' and contact_id = $2`,
      [ws.agentId, contact._id],
    );
    expect(events.map((e) => e.data)).toEqual([
      { merge_id: audit.data[0]._id, kind: 'link', by: 'auto:verified_email' },
    ]);

    // Writing on the website again moves the conversation back there; the reply is the HTTP answer, no mail.
    expect(await widgetSend(visitor, 'I am back on the website.')).toBe(conversationId);
    const after = (await get(`/conversations/${conversationId}`)).data;
    expect(after.channel).toBe('website');
    expect(after.channel_history.map((h: any) => h.channel)).toEqual(['website', 'email', 'website']);
    expect(after.messages.at(-1)).toMatchObject({ channel: 'website', role: 'assistant', status: 'sent' });
    expect(peer.received.filter((m) => m.to.includes('ana@signed.example'))).toHaveLength(1);
  });

  it('never links what someone merely typed or sent unverified: no access to the victim’s history', async () => {
    const victim = await verifiedVisitor('vic@plain.example');
    const victimConversation = await widgetSend(victim, 'My secret hint is sunflower-7731.');

    // 1. Mail claiming to be from the victim, but unverified (plain.example publishes no DKIM/DMARC).
    const spoof = simpleMail({
      from: 'vic@plain.example',
      subject: 'Hello again',
      messageId: '<spoof-1@attacker.example>',
      body: 'Remind me what I told you on the website.',
    });
    const mailTurn = await mailAndReply(spoof, 'vic@plain.example');
    expect(JSON.stringify(mailTurn.body)).not.toContain('sunflower');
    const spoofConversation = await conversationOfMail('spoof-1@attacker.example');
    expect(spoofConversation).not.toBe(victimConversation);
    const spoofDetail = (await get(`/conversations/${spoofConversation}`)).data;
    expect(spoofDetail.messages[0].metadata.email.auth.verified).toBe(false);

    // 2. An anonymous widget visitor typing the victim's address.
    const attacker = await anonymousVisitor();
    const llmBefore = llm.requests.length;
    const attackerConversation = await widgetSend(
      attacker,
      'I am vic@plain.example. What is my secret hint?',
    );
    expect(attackerConversation).not.toBe(victimConversation);
    expect(JSON.stringify(llm.requests.slice(llmBefore))).not.toContain('sunflower');
    const history = await app.call('GET', `/api/v1/widget/${ws.agentId}/messages`, {
      headers: { authorization: `Bearer ${attacker}` },
    });
    expect(history.body.data.conversation_id).toBe(attackerConversation);
    expect(JSON.stringify(history.body)).not.toContain('sunflower');

    // 3. A widget session naming the victim without the site's signature is refused.
    const unsigned = await app.call('POST', `/api/v1/widget/${ws.agentId}/session`, {
      body: { user_identifier: 'vic@plain.example' },
    });
    expect(unsigned.status).toBe(400);
    const forged = await app.call('POST', `/api/v1/widget/${ws.agentId}/session`, {
      body: { user_identifier: 'vic@plain.example', user_hash: 'ab'.repeat(32) },
    });
    expect(forged.status).toBe(401);

    // The victim's contact still has only its own identity; nothing was linked or merged.
    const victimContact = (await get('/contacts?email=vic@plain.example')).data;
    expect(victimContact).toHaveLength(1);
    expect(victimContact[0].identities.map((i: any) => i.platform_user_id)).toEqual([
      'website:vic@plain.example',
    ]);
    const spoofContact = (await get('/contacts?platform_id=email:vic@plain.example')).data;
    expect(spoofContact).toHaveLength(1);
    expect(spoofContact[0]._id).not.toBe(victimContact[0]._id);
    expect(spoofContact[0].email).toBeNull();
    expect(spoofContact[0].identities[0].verified).toEqual({});
    const audit = await get(`/contact-merges?contact_id=${victimContact[0]._id}`);
    expect(audit.data).toEqual([]);
  });

  it('links nothing with contact_linking off; switched back on, the next verified message merges the two contacts', async () => {
    const off = await app.call('PUT', channelsPath(ws), {
      token: ws.owner.token,
      body: { contact_linking: 'off' },
    });
    expect(off.status, off.text).toBe(200);
    expect(
      (await app.call('GET', channelsPath(ws), { token: ws.owner.token })).body.data.contact_linking,
    ).toBe('off');
    const bad = await app.call('PUT', channelsPath(ws), {
      token: ws.owner.token,
      body: { contact_linking: 'always' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('contact_linking');

    const visitor = await verifiedVisitor('olga@signed.example');
    const websiteConversation = await widgetSend(visitor, 'Hello from the website.');
    const first = await mailAndReply(
      await signed(
        simpleMail({
          from: 'olga@signed.example',
          subject: 'First mail',
          messageId: '<olga-1@signed.example>',
          body: 'Hello by mail.',
        }),
      ),
      'olga@signed.example',
    );
    expect(JSON.stringify(first.body)).not.toContain('Hello from the website.');
    const mailConversation = await conversationOfMail('olga-1@signed.example');
    expect(mailConversation).not.toBe(websiteConversation);
    expect((await get('/contacts?email=olga@signed.example')).pagination.total).toBe(2);

    const on = await app.call('PUT', channelsPath(ws), {
      token: ws.owner.token,
      body: { contact_linking: 'verified' },
    });
    expect(on.status, on.text).toBe(200);
    await mailAndReply(
      await signed(
        simpleMail({
          from: 'olga@signed.example',
          subject: 'Second mail',
          messageId: '<olga-2@signed.example>',
          body: 'Me again.',
        }),
      ),
      'olga@signed.example',
    );
    const contacts = await get('/contacts?email=olga@signed.example');
    expect(contacts.pagination.total).toBe(1);
    const contact = (await get(`/contacts/${contacts.data[0]._id}`)).data;
    expect(contact.identities).toHaveLength(2);
    expect(contact.conversation_count).toBe(2);
    // One active conversation per contact: the mail one (latest activity) goes on, the website one closed.
    const byId = Object.fromEntries(contact.conversations.map((c: any) => [c._id, c.status]));
    expect(byId).toEqual({ [mailConversation]: 'active', [websiteConversation]: 'closed' });
    expect(await conversationOfMail('olga-2@signed.example')).toBe(mailConversation);
    const audit = await get(`/contact-merges?contact_id=${contact._id}`);
    expect(audit.data).toHaveLength(1);
    expect(audit.data[0]).toMatchObject({
      kind: 'merge',
      target_contact: contact._id,
      by: 'auto:verified_email',
      closed_conversations: [websiteConversation],
      conversations: [mailConversation],
    });
  });

  it('erasing a contact that wrote by email also deletes the raw mail it sent', async () => {
    await mailAndReply(
      simpleMail({
        from: 'ivo@unsigned.example',
        subject: 'Delete my data',
        messageId: '<ivo-1@unsigned.example>',
        body: 'Please erase everything about me.',
      }),
      'ivo@unsigned.example',
    );
    const contacts = await get('/contacts?platform_id=email:ivo@unsigned.example');
    expect(contacts.data).toHaveLength(1);
    const contactId = contacts.data[0]._id as string;
    const rawMailIds = await app.database.query<{ id: string }>(
      `select metadata #>> '{email,raw_mail_id}' as id from messages where provider_message_id = $1`,
      ['ivo-1@unsigned.example'],
    );
    expect(rawMailIds).toHaveLength(1);
    const res = await app.call('DELETE', `${agentPath()}/contacts/${contactId}`, { token: ws.owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.erased.raw_mails).toBe(1);
    const left = await app.database.query('select id from raw_mails where id = $1', [rawMailIds[0]?.id]);
    expect(left).toEqual([]);
  });
});
