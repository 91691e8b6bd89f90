import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatService } from '../../src/chat/chat-service.ts';
import type { AgentResponder, TurnInput } from '../../src/engine/responder.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createWorkspace } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';

/**
 * Two ChatService instances on one database stand for two server processes: each has its own in-memory lock,
 * so only the lease on the conversation row can keep them from answering the same messages twice.
 */
let app: TestApp;
let agentId: string;

beforeAll(async () => {
  app = await startTestApp();
  ({ agentId } = await createWorkspace(app, 'lease'));
});
afterAll(() => app?.close());

type Call = { pending: string[]; startedAt: number; endedAt?: number };

/** A responder that records each call and holds it until the test opens the gate. */
function gatedResponder() {
  const calls: Call[] = [];
  let open = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  const responder: AgentResponder = async (input: TurnInput) => {
    const call: Call = { pending: input.pending.map((m) => m.content), startedAt: performance.now() };
    calls.push(call);
    await gate;
    call.endedAt = performance.now();
    return { text: `answer to ${call.pending.join('+')}` };
  };
  return { calls, responder, open };
}

const service = (responder: AgentResponder, lease?: { leaseMs?: number; maxWaitMs?: number }) =>
  new ChatService({
    database: app.database,
    responder,
    inactivityMs: 3_600_000,
    ...(lease ? { lease } : {}),
  });

const chat = (chats: ChatService, user: string, message: string) =>
  chats.send({ agentId, channel: 'website', message, platformUserId: user, userIdentifier: user });

async function storedUserMessages(user: string): Promise<number> {
  const rows = await app.database.query<{ n: number }>(
    `select count(*)::int as n from messages m join conversations c on c.id = m.conversation_id
     where c.agent_id = $1 and c.user_identifier = $2 and m.direction = 'inbound'`,
    [agentId, user],
  );
  return rows[0]?.n ?? 0;
}

describe('in-request chat across processes', () => {
  it('never lets two processes call the LLM for the same message', async () => {
    const { calls, responder, open } = gatedResponder();
    const first = chat(service(responder), 'racer', 'first');
    await eventually(() => (calls.length === 1 ? true : undefined));
    const second = chat(service(responder), 'racer', 'second');
    await eventually(async () => ((await storedUserMessages('racer')) === 2 ? true : undefined));
    // The second process has its message stored and waits on the lease: no second LLM call yet.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls).toHaveLength(1);
    open();
    const [a, b] = await Promise.all([first, second]);
    expect(calls.map((c) => c.pending)).toEqual([['first'], ['second']]);
    expect(calls[1]!.startedAt).toBeGreaterThanOrEqual(calls[0]!.endedAt!);
    expect(a.response).toBe('answer to first');
    expect(b.response).toBe('answer to second');
    expect(b.conversationId).toBe(a.conversationId);
    const [row] = await app.database.query<{ answering_by: string | null }>(
      'select answering_by from conversations where id = $1',
      [a.conversationId],
    );
    expect(row?.answering_by).toBeNull();
  });

  it('takes over the lease of a process that died once it expires', async () => {
    const { responder, open } = gatedResponder();
    open();
    const { conversationId } = await chat(service(responder), 'orphan', 'hello');
    await app.database.query(
      `update conversations set answering_by = 'dead-process', answering_until = now() + interval '800 milliseconds'
       where id = $1`,
      [conversationId],
    );
    const started = performance.now();
    const reply = await chat(service(responder), 'orphan', 'still there?');
    expect(reply.response).toBe('answer to still there?');
    expect(performance.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('gives up with 409 rather than waiting forever on a live holder', async () => {
    const { responder, open } = gatedResponder();
    open();
    const { conversationId } = await chat(service(responder), 'busy', 'hello');
    await app.database.query(
      `update conversations set answering_by = 'other-process', answering_until = now() + interval '1 minute'
       where id = $1`,
      [conversationId],
    );
    await expect(chat(service(responder, { maxWaitMs: 300 }), 'busy', 'anyone?')).rejects.toMatchObject({
      status: 409,
    });
  });
});
