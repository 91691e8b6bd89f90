import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/loopback-peer.ts';
import { WhatsAppHarness } from '../helpers/whatsapp-app.ts';

/**
 * Operator messages and outreach on WhatsApp (Meta adapter against the fake Graph API): the 24-hour window rules
 * apply to a human's message as to the agent's, and a conversation in handoff gets no bot reply when the contact
 * answers.
 */
const HOURS = 3_600_000;
const TEMPLATE = { name: 'reopen_chat', language: 'en_US', parameters: ['Hi {{contact_name}}'] };
const wa = new WhatsAppHarness();

beforeAll(async () => {
  // The engine's clock moves 25 h ahead while routes stamp real time: a long inactivity keeps one conversation.
  await wa.start({ CONVERSATION_INACTIVITY: '72h' });
  await wa.configure(TEMPLATE);
});
afterAll(() => wa.close());

const texts = (waId: string) =>
  wa
    .sentTo(waId)
    .filter((s) => s.type === 'text')
    .map((s) => s.body.text.body as string);

describe('operator messages on WhatsApp', () => {
  it('outside the window the operator message is held behind the template, then goes out when the contact writes; the agent stays silent', async () => {
    const waId = '4915112349001';
    const { conversationId } = await wa.text(waId, 'Hello', 'Lena');
    await eventually(() => (texts(waId).includes('re: Hello') ? true : undefined));

    const taken = await wa.app.call('POST', `${wa.base}/conversations/${conversationId}/handoff`, {
      token: wa.ws.owner.token,
    });
    expect(taken.status, taken.text).toBe(200);

    wa.clock.advance(25 * HOURS);
    wa.fake.closeWindow(waId);
    const sent = await wa.app.call('POST', `${wa.base}/conversations/${conversationId}/messages`, {
      token: wa.ws.owner.token,
      body: { text: 'We found your *parcel*.' },
    });
    expect(sent.status, sent.text).toBe(202);
    expect(sent.body.data).toMatchObject({ role: 'human', user_id: wa.ws.owner.id, status: 'queued' });
    const template = await eventually(() => wa.sentTo(waId).find((s) => s.type === 'template'));
    expect(template.body.template.name).toBe('reopen_chat');
    const held = await eventually(async () => {
      const rows = await wa.outbound(waId);
      return rows.find((r) => r.content === 'We found your *parcel*.' && r.status === 'held');
    });
    expect(held.error_code).toBe('outside_window');
    expect(texts(waId)).toEqual(['re: Hello']);

    // The contact answers the template: the operator's message goes out, no bot reply.
    const turns = wa.turns.length;
    wa.fake.openWindow(waId);
    const answer = await wa.text(waId, 'Great, thanks', 'Lena');
    expect(answer.conversationId).toBe(conversationId);
    await eventually(() => (texts(waId).length >= 2 ? true : undefined));
    expect(texts(waId)).toEqual(['re: Hello', 'We found your _parcel_.']);
    await eventually(async () => {
      const [row] = await wa.app.database.query<{ answered_at: Date | null }>(
        'select answered_at from messages where id = $1',
        [answer.id],
      );
      return row?.answered_at ? true : undefined;
    });
    expect(wa.turns.length).toBe(turns);
    // The fake has the text; the row turns `sent` when the send's result is committed, just after.
    const roles = await eventually(async () => {
      const rows = await wa.app.database.query<{ role: string; content: string; status: string }>(
        `select role, content, status from messages where conversation_id = $1 and direction = 'outbound' order by seq`,
        [conversationId],
      );
      return rows.every((r) => r.status !== 'queued' && r.status !== 'held') ? rows : undefined;
    });
    expect(roles.map((r) => [r.role, r.status])).toEqual([
      ['assistant', 'sent'],
      ['human', 'sent'],
      ['assistant', 'sent'],
    ]);
    expect(roles[2]?.content).toContain('[template reopen_chat]');
  });
});

describe('outreach on WhatsApp', () => {
  it('needs a template for someone who has not written in the last 24 hours', async () => {
    const waId = '4915112349002';
    const text = await wa.app.call('POST', `${wa.base}/conversations`, {
      token: wa.ws.owner.token,
      body: { channel: 'whatsapp', recipient: `+${waId}`, text: 'Hello there' },
    });
    expect(text.status, text.text).toBe(409);
    expect(text.body.error).toContain('send a template');
    expect(wa.sentTo(waId)).toEqual([]);

    const res = await wa.app.call('POST', `${wa.base}/conversations`, {
      token: wa.ws.owner.token,
      body: { channel: 'whatsapp', recipient: `+${waId}`, template: TEMPLATE },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.data.message).toMatchObject({ role: 'human', user_id: wa.ws.owner.id });
    expect(res.body.data.conversation).toMatchObject({
      channel: 'whatsapp',
      user_identifier: `whatsapp:${waId}`,
    });
    const sent = await eventually(() => wa.sentTo(waId).find((s) => s.type === 'template'));
    expect(sent.body.template.name).toBe('reopen_chat');

    // Once the person wrote, free-form text is allowed within the window.
    const reply = await wa.text(waId, 'Hi, who is this?', 'Noor');
    expect(reply.conversationId).toBe(res.body.data.conversation._id);
    const followUp = await wa.app.call('POST', `${wa.base}/conversations`, {
      token: wa.ws.owner.token,
      body: { channel: 'whatsapp', recipient: waId, text: 'Your travel agent.' },
    });
    expect(followUp.status, followUp.text).toBe(201);
    expect(followUp.body.data.conversation._id).toBe(reply.conversationId);
    await eventually(() => (texts(waId).includes('Your travel agent.') ? true : undefined));
  });
});
