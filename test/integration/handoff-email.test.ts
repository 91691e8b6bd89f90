import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSmtpPools } from '../../src/channels/smtp/transport.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { configureEmail, postMail, simpleMail } from '../helpers/email.ts';
import { createWorkspace, type Workspace } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { SmtpPeer } from '../helpers/smtp-peer.ts';
import type { TurnInput } from '../../src/engine/responder.ts';

/**
 * Outreach and operator messages by email (SMTP to a real smtp-server peer): the operator starts the thread, the
 * customer's answer continues the conversation, and during a handoff only the human answers — in the thread.
 */
const SMTP_USER = 'relay-user';
const SMTP_PASS = 'relay-pass-handoff-51c2';
let app: TestApp;
let peer: SmtpPeer;
let ws: Workspace;
let secret: string;
const turns: TurnInput[] = [];

beforeAll(async () => {
  peer = await new SmtpPeer(SMTP_USER, SMTP_PASS).start();
  app = await startTestApp({ TURN_DEBOUNCE_MS: 'email=0', EMAIL_TLS_CA_FILE: peer.caFile }, undefined, {
    engine: {
      responder: async (input) => {
        turns.push(input);
        return { text: `bot: ${input.pending.map((m) => m.content).join(' | ')}` };
      },
    },
    dnsResolver: fixtureResolver({}),
  });
  ws = await createWorkspace(app, 'handoff-mail');
  secret = await configureEmail(app, ws, {
    smtp_config: {
      host: '127.0.0.1',
      port: peer.port,
      secure: false,
      username: SMTP_USER,
      password: SMTP_PASS,
    },
  });
});

afterAll(async () => {
  await app?.close();
  closeSmtpPools();
  await peer?.close();
});

const base = () => `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}`;

describe('email outreach and operator replies', () => {
  it('starts a thread, continues it when the customer answers, and keeps the bot out during a handoff', async () => {
    const started = await app.call('POST', `${base()}/conversations`, {
      token: ws.owner.token,
      body: { channel: 'email', recipient: 'Noor@Customer.example', text: 'Your **refund** was approved.' },
    });
    expect(started.status, started.text).toBe(201);
    const conversationId = started.body.data.conversation._id;
    expect(started.body.data.conversation.user_identifier).toBe('email:noor@customer.example');
    const first = await eventually(() => peer.received[0], 30_000);
    expect(first.to).toEqual(['noor@customer.example']);
    const firstMail = await simpleParser(first.raw);
    expect(firstMail.text).toContain('Your **refund** was approved.');
    expect(String(firstMail.html)).toMatch(/<(strong|b)>refund<\/(strong|b)>/);
    const sentId = firstMail.messageId as string;

    const taken = await app.call('POST', `${base()}/conversations/${conversationId}/handoff`, {
      token: ws.owner.token,
    });
    expect(taken.status, taken.text).toBe(200);

    // The customer answers in the thread: same conversation, no bot reply.
    const answer = simpleMail({
      from: 'Noor <noor@customer.example>',
      subject: 'Re: your message',
      messageId: '<noor-answer-1@mail.customer.example>',
      body: 'Thank you! When will I get it?',
      headers: [`In-Reply-To: ${sentId}`, `References: ${sentId}`],
    });
    expect((await postMail(app, ws.agentId, answer, { secret })).status).toBe(200);
    const stored = await eventually(async () => {
      const [row] = await app.database.query<{ conversation_id: string; answered_at: Date | null }>(
        `select conversation_id, answered_at from messages where provider_message_id = $1`,
        ['noor-answer-1@mail.customer.example'],
      );
      return row?.answered_at ? row : undefined;
    }, 30_000);
    expect(stored.conversation_id).toBe(conversationId);
    expect(turns).toEqual([]);

    const reply = await app.call('POST', `${base()}/conversations/${conversationId}/messages`, {
      token: ws.owner.token,
      body: { text: 'Within 5 working days.' },
    });
    expect(reply.status, reply.text).toBe(202);
    const second = await eventually(() => peer.received[1], 30_000);
    const secondMail = await simpleParser(second.raw);
    expect(second.to).toEqual(['noor@customer.example']);
    expect(secondMail.text).toContain('Within 5 working days.');
    expect(secondMail.inReplyTo).toBe('<noor-answer-1@mail.customer.example>');
    expect(peer.received).toHaveLength(2);
  });
});
