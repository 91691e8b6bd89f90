import { afterAll, beforeAll, expect, it } from 'vitest';
import { AGENT_EVENTS_CHANNEL, publishEvent, publishEvents } from '../../src/events/publish.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createWorkspace } from '../helpers/fixtures.ts';

let app: TestApp;
let agentId: string;

beforeAll(async () => {
  app = await startTestApp();
  ({ agentId } = await createWorkspace(app, 'events'));
});
afterAll(() => app?.close());

const rows = () =>
  app.database.query<{ id: number; type: string; conversation_id: string | null; data: unknown }>(
    'select id, type, conversation_id, data from agent_events where agent_id = $1 order by id',
    [agentId],
  );

it('appends events in the caller transaction and notifies at commit; a rollback leaves neither', async () => {
  const payloads: string[] = [];
  const unlisten = await app.database.listen(AGENT_EVENTS_CHANNEL, (payload) => payloads.push(payload));
  try {
    await expect(
      app.database.transaction(async (query) => {
        await publishEvent(query, { agentId, type: 'handoff.started', conversationId: 'conv_rolled_back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await app.database.transaction((query) =>
      publishEvents(query, [
        { agentId, type: 'message.received', conversationId: 'conv_a', messageId: 'msg_1' },
        { agentId, type: 'message.status', messageId: 'msg_2', data: { status: 'delivered' } },
      ]),
    );
    const stored = await rows();
    expect(stored.map((row) => row.type)).toEqual(['message.received', 'message.status']);
    expect(stored[1]?.data).toEqual({ status: 'delivered' });
    expect(Number(stored[1]?.id)).toBeGreaterThan(Number(stored[0]?.id));
    const deadline = Date.now() + 30_000;
    while (payloads.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // One notification per agent per transaction, none for the rolled-back one.
    expect(payloads).toEqual([agentId]);
  } finally {
    await unlisten();
  }
});
