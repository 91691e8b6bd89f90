import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/loopback-peer.ts';
import { WhatsAppHarness } from '../helpers/whatsapp-app.ts';

/**
 * WhatsApp's 24-hour customer service window, end to end with the Meta adapter against the fake Graph API:
 * the engine's clock moves 25 h forward while the agent thinks, so the reply would leave outside the window.
 */
const HOURS = 3_600_000;
const TEMPLATE = { name: 'reopen_chat', language: 'en_US', parameters: ['Hi {{contact_name}}', 'order'] };
const wa = new WhatsAppHarness();

/** Makes the next turn wait until the returned `release` is called with the reply. */
function slowTurn() {
  let release!: (text: string) => void;
  const answer = new Promise<string>((resolve) => (release = resolve));
  let started = false;
  const previous = wa.reply;
  wa.reply = () => {
    started = true;
    wa.reply = previous;
    return answer;
  };
  return { started: () => (started ? true : undefined), release };
}

/** The outbound messages to `waId` once a template message among them is sent. */
const templateSent = (waId: string) =>
  eventually(async () => {
    const rows = await wa.outbound(waId);
    return rows.some((r) => r.template && r.status === 'sent') ? rows : undefined;
  });

beforeAll(async () => {
  await wa.start();
  await wa.configure(TEMPLATE);
});
afterAll(() => wa.close());

describe('24-hour window with a re-engagement template', () => {
  it('sends the template and holds the reply when it would leave 25 h after the last inbound; the reply goes out once the contact writes again', async () => {
    const waId = '4915112340001';
    const turn = slowTurn();
    await wa.text(waId, 'Where is my parcel?', 'Lena');
    await eventually(turn.started);
    wa.clock.advance(25 * HOURS);
    wa.fake.closeWindow(waId);
    turn.release('It ships tomorrow.');

    const [template] = await eventually(() => {
      const sent = wa.sentTo(waId);
      return sent.length > 0 ? sent : undefined;
    });
    expect(template?.type).toBe('template');
    expect(template?.body.template.name).toBe('reopen_chat');
    expect(template?.body.template.language.code).toBe('en_US');
    expect(template?.body.template.components[0].parameters.map((p: { text: string }) => p.text)).toEqual([
      'Hi Lena',
      'order',
    ]);
    const held = await templateSent(waId);
    expect(held.map((r) => [r.content, r.status])).toEqual([
      ['It ships tomorrow.', 'held'],
      ['[template reopen_chat] Hi Lena | order', 'sent'],
    ]);
    expect(held[0]?.error_code).toBe('outside_window');
    expect(wa.sentTo(waId).filter((s) => s.type === 'text')).toEqual([]);

    // The template's statuses move it like any message.
    const templateId = held[1]?.provider_message_id as string;
    await wa.fake.emitChanges([{ value: wa.fake.statusValue(templateId, 'delivered', waId) }]);
    await eventually(async () =>
      (await wa.outbound(waId)).find((r) => r.template)?.status === 'delivered' ? true : undefined,
    );

    // The contact answers the template: the window reopens and the held reply goes out first, then the new one.
    wa.fake.openWindow(waId);
    await wa.text(waId, 'Thanks!', 'Lena');
    const texts = await eventually(() => {
      const sent = wa.sentTo(waId).filter((s) => s.type === 'text');
      return sent.length >= 2 ? sent : undefined;
    });
    expect(texts.map((s) => s.body.text.body)).toEqual(['It ships tomorrow.', 're: Thanks!']);
    const after = await wa.outbound(waId);
    expect(after.find((r) => r.content === 'It ships tomorrow.')).toMatchObject({
      status: 'sent',
      error_code: null,
    });
    // One template per closed window.
    expect(wa.sentTo(waId).filter((s) => s.type === 'template')).toHaveLength(1);
  });

  it('does the same after the fact when Meta reports 131047 in a failed status', async () => {
    const waId = '4915112340002';
    wa.fake.closeWindow(waId); // Meta knows better than our record: the send is accepted, then fails.
    await wa.text(waId, 'Still there?', 'Omar');
    const rows = await templateSent(waId);
    expect(rows.map((r) => [r.content, r.status])).toEqual([
      ['re: Still there?', 'held'],
      ['[template reopen_chat] Hi Omar | order', 'sent'],
    ]);
    const sent = wa.sentTo(waId).map((s) => s.type);
    expect(sent).toEqual(['text', 'template']);
    wa.fake.openWindow(waId);
    await wa.text(waId, 'yes', 'Omar');
    await eventually(() => (wa.sentTo(waId).filter((s) => s.type === 'text').length >= 3 ? true : undefined));
    expect(
      wa
        .sentTo(waId)
        .filter((s) => s.type === 'text')
        .map((s) => s.body.text.body),
    ).toEqual(['re: Still there?', 're: Still there?', 're: yes']);
  });

  it('does the same when Meta refuses the send synchronously with 131047', async () => {
    const waId = '4915112340003';
    wa.fake.windowMode = 'sync';
    try {
      wa.fake.closeWindow(waId);
      await wa.text(waId, 'Hello?', 'Ida');
      const rows = await templateSent(waId);
      expect(rows.map((r) => r.status)).toEqual(['held', 'sent']);
      expect(wa.sentTo(waId).map((s) => s.type)).toEqual(['template']);
    } finally {
      wa.fake.windowMode = 'status';
    }
  });
});

describe('24-hour window without a template', () => {
  beforeAll(() => wa.configure());

  it('fails the reply with outside_window and says what to configure; nothing is sent', async () => {
    const waId = '4915112340004';
    const turn = slowTurn();
    await wa.text(waId, 'Question', 'Ben');
    await eventually(turn.started);
    wa.clock.advance(25 * HOURS);
    turn.release('Answer');
    const [reply] = await eventually(async () => {
      const rows = await wa.outbound(waId);
      return rows[0]?.status === 'failed' ? rows : undefined;
    });
    expect(reply).toMatchObject({ content: 'Answer', error_code: 'outside_window' });
    expect(reply?.error_message).toContain('reengagement_template');
    expect(wa.sentTo(waId)).toEqual([]);
  });

  it('starts the window when Meta says the message was written: one delivered 25 h late is not answered free-form', async () => {
    const waId = '4915112340006';
    const lastInbound = async () =>
      (
        await wa.app.database.query<{ last_inbound_at: Date }>(
          `select last_inbound_at from contact_identities where platform_user_id = $1`,
          [waId],
        )
      )[0]?.last_inbound_at.getTime();
    const written = Math.floor(wa.clock.now().getTime() / 1000) - 25 * 3600;
    const late = { type: 'text', text: { body: 'Sent yesterday' }, timestamp: String(written) };
    await wa.inbound(waId, late, 'Dana');
    const [reply] = await eventually(async () => {
      const rows = await wa.outbound(waId);
      return rows[0]?.status === 'failed' ? rows : undefined;
    });
    expect(reply).toMatchObject({ content: 're: Sent yesterday', error_code: 'outside_window' });
    expect(wa.sentTo(waId)).toEqual([]);
    expect(await lastInbound()).toBe(written * 1000);

    // Writing now reopens it; a still older message processed afterwards does not move it back.
    await wa.text(waId, 'Now?', 'Dana');
    await eventually(() => (wa.sentTo(waId).length === 1 ? true : undefined));
    const reopened = (await lastInbound()) as number;
    expect(reopened).toBeGreaterThan((written + 24 * 3600) * 1000);
    const older = { type: 'text', text: { body: 'Even older' }, timestamp: String(written - 3600) };
    await wa.inbound(waId, older, 'Dana');
    expect(await lastInbound()).toBe(reopened);
  });

  it('fails a reply after a 131047 failed status the same way', async () => {
    const waId = '4915112340005';
    wa.fake.closeWindow(waId);
    await wa.text(waId, 'Ping', 'Cem');
    const [reply] = await eventually(async () => {
      const rows = await wa.outbound(waId);
      return rows[0]?.status === 'failed' ? rows : undefined;
    });
    expect(reply).toMatchObject({ content: 're: Ping', error_code: 'outside_window' });
    expect(wa.sentTo(waId).map((s) => s.type)).toEqual(['text']);
    const detail = await wa.app.call(
      'GET',
      `${wa.base}/conversations/${(await wa.app.database.query<{ conversation_id: string }>(`select conversation_id from messages where id = $1`, [reply?.id]))[0]?.conversation_id}`,
      { token: wa.ws.owner.token },
    );
    const shown = detail.body.data.messages.find((m: { _id: string }) => m._id === reply?.id);
    expect(shown.error.code).toBe('outside_window');
  });
});
