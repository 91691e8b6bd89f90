import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChannelAnalytics } from '../../src/conversations/analytics.ts';
import { recordReply } from '../../src/engine/record-reply.ts';
import { prepareTurn, type PreparedTurn } from '../../src/engine/turn.ts';
import { newId } from '../../src/ids.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createWorkspace } from '../helpers/fixtures.ts';

/**
 * recordReply's one statement, on both databases: what it writes for a normal, a blocked, an inline and a
 * multi-part reply, and what it leaves alone when the turn was answered already or a human holds the conversation.
 */
let app: TestApp;
let agentId: string;
const now = new Date('2026-03-01T10:00:00.000Z');

beforeAll(async () => {
  app = await startTestApp();
  ({ agentId } = await createWorkspace(app, 'reply'));
});
afterAll(async () => {
  await app?.close();
});

type Setup = { history?: object[]; blocked?: boolean; handoff?: boolean; channel?: string };

/** A conversation with one contact and two unanswered messages from `user`; returns its prepared turn. */
async function pendingTurn(setup: Setup = {}): Promise<PreparedTurn> {
  const channel = setup.channel ?? 'telegram';
  const user = `user-${newId('msg')}`;
  const contactId = newId('contact');
  const conversationId = newId('conv');
  const q = app.database.query;
  await q(`insert into contacts (id, agent_id) values ($1, $2)`, [contactId, agentId]);
  await q(
    `insert into contact_identities (id, contact_id, agent_id, channel, platform_user_id, chat_id, blocked_at)
     values ($1, $2, $3, $4, $5, $5, $6)`,
    [newId('ident'), contactId, agentId, channel, user, setup.blocked ? now : null],
  );
  await q(
    `insert into conversations (id, agent_id, contact_id, user_identifier, channel, channel_history, handoff_at)
     values ($1, $2, $3, $4, $5, $6::jsonb, $7)`,
    [
      conversationId,
      agentId,
      contactId,
      user,
      channel,
      JSON.stringify(setup.history ?? []),
      setup.handoff ? now : null,
    ],
  );
  for (const text of ['one', 'two']) {
    await q(
      `insert into messages (id, conversation_id, agent_id, role, content, channel, direction, status, recipient)
       values ($1, $2, $3, 'user', $4, $5, 'inbound', 'received', $6::jsonb)`,
      [
        newId('msg'),
        conversationId,
        agentId,
        text,
        channel,
        JSON.stringify({ platformUserId: user, chatId: user }),
      ],
    );
  }
  const turn = await prepareTurn(q, conversationId);
  expect(turn?.pendingIds).toHaveLength(2);
  return turn as PreparedTurn;
}

const conversation = async (id: string) =>
  (
    await app.database.query<{ channel_history: object[]; input_tokens: string; last_activity_at: Date }>(
      `select channel_history, input_tokens, last_activity_at from conversations where id = $1`,
      [id],
    )
  )[0];
const replies = (id: string) =>
  app.database.query<Record<string, unknown>>(
    `select content, status, part, sent_at, error_code, buttons, input_tokens, reply_to from messages
     where conversation_id = $1 and direction = 'outbound' order by seq`,
    [id],
  );
const unanswered = async (id: string) =>
  (
    await app.database.query<{ n: number }>(
      `select count(*)::int as n from messages where conversation_id = $1 and direction = 'inbound' and answered_at is null`,
      [id],
    )
  )[0]?.n;
const events = (id: string) =>
  app.database.query<{ type: string; message_id: string; data: Record<string, unknown> }>(
    `select type, message_id, data from agent_events where conversation_id = $1 order by id`,
    [id],
  );
const reply = { text: 'hello', usage: { inputTokens: 7, outputTokens: 3 } };
/** The conversation's queued outbound messages as delivery reads them (delivery.ts), in order. */
const queuedForDelivery = (id: string) =>
  app.database.query<Record<string, unknown>>(
    `select m.id, m.conversation_id, m.agent_id, m.channel, m.content, m.recipient, m.buttons, m.attachments,
            m.template, m.attempts, m.next_attempt_at, m.role, c.channel_metadata
     from messages m join conversations c on c.id = m.conversation_id
     where m.conversation_id = $1 and m.direction = 'outbound' and m.status = 'queued' order by m.seq`,
    [id],
  );

describe('recordReply', () => {
  it('queues the parts in order, marks the turn answered, extends the history and counts, with events', async () => {
    const turn = await pendingTurn({ history: [{ channel: 'telegram', timestamp: 'x', message_count: 2 }] });
    expect(turn.blocked).toBe(false);
    const id = turn.input.conversationId;
    const parts = [{ text: 'part one', buttons: [{ label: 'A', value: 'a' }] }, { text: 'part two' }];
    const before =
      (await readChannelAnalytics(app.database.query, agentId)).total_messages_by_channel.telegram ?? 0;
    const recorded = await recordReply(app.database, turn, reply, parts, { now, deliveredInline: false });
    expect(recorded).toMatchObject({ recorded: true, queued: 2 });
    // Delivery starts from what was written, exactly as it would read it back.
    expect(recorded.ready).toEqual(await queuedForDelivery(id));
    expect(recorded.ready?.map((row) => row.content)).toEqual(['part one', 'part two']);
    const stored = await replies(id);
    expect(stored).toMatchObject([
      { content: 'part one', status: 'queued', part: 0, sent_at: null, error_code: null, input_tokens: 7 },
      { content: 'part two', status: 'queued', part: 1, input_tokens: null, buttons: null },
    ]);
    expect(stored[0]!.buttons).toEqual([{ label: 'A', value: 'a' }]);
    expect(stored.every((row) => row.reply_to === turn.replyTo)).toBe(true);
    expect(await unanswered(id)).toBe(0);
    const after = await conversation(id);
    expect(after?.channel_history).toEqual([{ channel: 'telegram', timestamp: 'x', message_count: 4 }]);
    expect(Number(after?.input_tokens)).toBe(7);
    expect(new Date(after!.last_activity_at).toISOString()).toBe(now.toISOString());
    const appended = await events(id);
    expect(appended.map((e) => [e.type, e.data])).toEqual([
      ['reply.queued', { channel: 'telegram', status: 'queued' }],
      ['reply.queued', { channel: 'telegram', status: 'queued' }],
    ]);
    expect((await readChannelAnalytics(app.database.query, agentId)).total_messages_by_channel.telegram).toBe(
      before + 2,
    );
    // A second run of the same turn writes nothing more.
    expect(await recordReply(app.database, turn, reply, parts, { now, deliveredInline: false })).toEqual({
      recorded: false,
      queued: 0,
    });
    expect(await replies(id)).toHaveLength(2);
    expect(await events(id)).toHaveLength(2);
  });

  it('appends a history entry for a new channel, and stores a reply to a blocked person as failed', async () => {
    const turn = await pendingTurn({
      blocked: true,
      history: [{ channel: 'website', timestamp: 'y', message_count: 3 }],
    });
    const id = turn.input.conversationId;
    // Read with the turn: no typing indicator goes to a person who blocked the agent.
    expect(turn.blocked).toBe(true);
    expect(
      await recordReply(app.database, turn, reply, [{ text: 'x' }], { now, deliveredInline: false }),
    ).toEqual({
      recorded: true,
      queued: 0,
      ready: [],
    });
    expect(await replies(id)).toMatchObject([{ status: 'failed', error_code: 'recipient_blocked' }]);
    expect((await conversation(id))?.channel_history).toEqual([
      { channel: 'website', timestamp: 'y', message_count: 3 },
      { channel: 'telegram', timestamp: now.toISOString(), message_count: 1 },
    ]);
    expect((await events(id)).map((e) => e.data.status)).toEqual(['failed']);
  });

  it('marks an inline reply sent at once', async () => {
    const turn = await pendingTurn({ channel: 'website' });
    expect(
      await recordReply(app.database, turn, reply, [{ text: 'x' }], { now, deliveredInline: true }),
    ).toEqual({
      recorded: true,
      queued: 0,
      ready: [],
    });
    const [row] = await replies(turn.input.conversationId);
    expect(row?.status).toBe('sent');
    expect(new Date(row?.sent_at as Date).toISOString()).toBe(now.toISOString());
  });

  it('writes no reply when a human holds the conversation, and leaves the messages (answered) to them', async () => {
    const turn = await pendingTurn({ handoff: true });
    const id = turn.input.conversationId;
    expect(
      await recordReply(app.database, turn, reply, [{ text: 'x' }], { now, deliveredInline: false }),
    ).toEqual({
      recorded: false,
      queued: 0,
      handoff: true,
    });
    expect(await replies(id)).toEqual([]);
    expect(await events(id)).toEqual([]);
    expect(await unanswered(id)).toBe(0);
    expect((await conversation(id))?.channel_history).toEqual([]);
  });

  it('starts a handoff the reply asks for, with the reply', async () => {
    const turn = await pendingTurn();
    const id = turn.input.conversationId;
    const result = await recordReply(
      app.database,
      turn,
      { ...reply, handoff: { reason: 'asked for a person' } },
      [{ text: 'A colleague will take over.' }],
      { now, deliveredInline: false },
    );
    expect(result).toMatchObject({ recorded: true, queued: 1 });
    expect(result.ready).toEqual(await queuedForDelivery(id));
    const [row] = await app.database.query<{ handoff_at: Date | null; handoff_reason: string }>(
      'select handoff_at, handoff_reason from conversations where id = $1',
      [id],
    );
    expect(row?.handoff_at).not.toBeNull();
    expect(row?.handoff_reason).toBe('asked for a person');
    expect((await events(id)).map((e) => e.type)).toEqual(['reply.queued', 'handoff.started']);
  });

  it('leaves delivery to read the queue when an older reply still waits to be sent', async () => {
    const turn = await pendingTurn();
    const id = turn.input.conversationId;
    await app.database.query(
      `insert into messages (id, conversation_id, agent_id, role, content, channel, direction, status, recipient)
       values ($1, $2, $3, 'assistant', 'older', 'telegram', 'outbound', 'queued', $4::jsonb)`,
      [newId('msg'), id, agentId, JSON.stringify(turn.recipient)],
    );
    expect(
      await recordReply(app.database, turn, reply, [{ text: 'newer' }], { now, deliveredInline: false }),
    ).toEqual({ recorded: true, queued: 1 });
    expect((await queuedForDelivery(id)).map((row) => row.content)).toEqual(['older', 'newer']);
  });
});
