import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  AGENT_EVENTS_CHANNEL,
  publishEvent,
  publishEvents,
  publishEventsIf,
  WEBHOOKS_DUE,
} from '../../src/events/publish.ts';
import { EventHub } from '../../src/events/event-hub.ts';
import { createLogger } from '../../src/logger.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { createWorkspace } from '../helpers/fixtures.ts';

let app: TestApp;
let agentId: string;
let orgId: string;

beforeAll(async () => {
  app = await startTestApp();
  ({ agentId, orgId } = await createWorkspace(app, 'events'));
});
afterAll(() => app?.close());

/** A live follower's lease on the agent (what an SSE subscriber's process holds); `seconds` from now. */
const watch = (id: string, seconds = 600) =>
  app.database.query(
    `insert into event_watchers (agent_id, until) values ($1, now() + make_interval(secs => $2))
     on conflict (agent_id) do update set until = excluded.until`,
    [id, seconds],
  );
const unwatch = (id: string) => app.database.query('delete from event_watchers where agent_id = $1', [id]);

/** Waits (bounded) until `payloads` holds `count` notifications. */
const notifications = (payloads: string[], count: number) =>
  eventually(() => (payloads.length >= count ? true : undefined), 30_000);

const rows = () =>
  app.database.query<{ id: number; type: string; conversation_id: string | null; data: unknown }>(
    'select id, type, conversation_id, data from agent_events where agent_id = $1 order by id',
    [agentId],
  );

it('appends events in the caller transaction and notifies at commit; a rollback leaves neither', async () => {
  const payloads: string[] = [];
  const unlisten = await app.database.listen(AGENT_EVENTS_CHANNEL, (payload) => payloads.push(payload));
  try {
    // Nobody follows the agent live: the event is stored, no NOTIFY is sent.
    await publishEvents(app.database.query, [
      { agentId, type: 'message.received', conversationId: 'conv_0' },
    ]);
    await watch(agentId);
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
    const stored = (await rows()).filter((row) => row.conversation_id !== 'conv_0');
    expect(stored.map((row) => row.type)).toEqual(['message.received', 'message.status']);
    expect(stored[1]?.data).toEqual({ status: 'delivered' });
    expect(Number(stored[1]?.id)).toBeGreaterThan(Number(stored[0]?.id));
    await notifications(payloads, 1);
    // Notifications arrive in commit order: one per agent per transaction, none for the rolled-back one and
    // none for the commit before the lease.
    expect(payloads).toEqual([agentId]);
  } finally {
    await unwatch(agentId);
    await unlisten();
  }
});

it('marks the notification when the events created webhook deliveries, so only then senders wake', async () => {
  const payloads: string[] = [];
  const unlisten = await app.database.listen(AGENT_EVENTS_CHANNEL, (payload) => payloads.push(payload));
  try {
    await app.database.query(
      `insert into event_webhooks (id, organization_id, url, event_types, secret)
       values ('ewh_due_test', $1, 'https://example.com/hook', array['handoff.started'], 'sealed')`,
      [orgId],
    );
    // Nobody follows the agent live. Not a subscribed type: no delivery and no notification; a subscribed type:
    // the senders' notification all the same.
    await app.database.transaction((query) => publishEvent(query, { agentId, type: 'message.received' }));
    await app.database.transaction((query) => publishEvent(query, { agentId, type: 'handoff.started' }));
    await notifications(payloads, 1);
    expect(payloads).toEqual([agentId + WEBHOOKS_DUE]);
    // Followed live: a plain notification.
    await watch(agentId);
    await app.database.transaction((query) => publishEvent(query, { agentId, type: 'message.received' }));
    await notifications(payloads, 2);
    expect(payloads).toEqual([agentId + WEBHOOKS_DUE, agentId]);
    const deliveries = await app.database.query<{ n: number }>(
      `select count(*)::int as n from event_webhook_deliveries where webhook_id = 'ewh_due_test'`,
    );
    expect(deliveries[0]?.n).toBe(1);
  } finally {
    await unwatch(agentId);
    await app.database.query(`delete from event_webhooks where id = 'ewh_due_test'`);
    await unlisten();
  }
});

it('appends the events of a change made in the same statement only when the change happened', async () => {
  const payloads: string[] = [];
  const unlisten = await app.database.listen(AGENT_EVENTS_CHANNEL, (payload) => payloads.push(payload));
  const before = (await rows()).length;
  await watch(agentId);
  const rename = (id: string, then?: string) =>
    publishEventsIf(
      app.database.query,
      {
        sql: `update agents set description = 'renamed' where id = $1 returning id`,
        params: [id],
        ...(then ? { then } : {}),
      },
      [{ agentId, type: 'handoff.ended', conversationId: 'conv_if', data: { by: 'test' } }],
    );
  try {
    // No row changed: no event, no notification.
    expect(await rename('agent_does_not_exist')).toBe(0);
    expect((await rows()).length).toBe(before);
    // A second change in `then` (another table: one statement cannot change a row twice) runs only with the first.
    const then = `touched as (update projects set name = name || '!'
                              where id = (select project_id from agents where id = $1)
                                and exists (select 1 from changed))`;
    const project = () =>
      app.database.query<{ name: string }>(
        'select p.name from projects p join agents a on a.project_id = p.id where a.id = $1',
        [agentId],
      );
    const [unchanged] = await project();
    expect(await rename('agent_does_not_exist', then)).toBe(0);
    expect((await project())[0]?.name).toBe(unchanged?.name);
    expect(await rename(agentId, then)).toBe(1);
    const added = (await rows()).slice(before);
    expect(added.map((row) => [row.type, row.conversation_id, row.data])).toEqual([
      ['handoff.ended', 'conv_if', { by: 'test' }],
    ]);
    const [agent] = await app.database.query<{ description: string }>(
      'select description from agents where id = $1',
      [agentId],
    );
    expect(agent?.description).toBe('renamed');
    expect((await project())[0]?.name).toBe(`${unchanged?.name}!`);
    await notifications(payloads, 1);
    expect(payloads).toEqual([agentId]);
  } finally {
    await unwatch(agentId);
    await unlisten();
  }
});

it('holds a watch lease for each agent with live subscribers, renews it while they stay, and lets it lapse', async () => {
  const leaseOf = async () =>
    (
      await app.database.query<{ left_ms: number }>(
        `select (extract(epoch from until - now()) * 1000)::int as left_ms from event_watchers where agent_id = $1`,
        [agentId],
      )
    )[0]?.left_ms;
  const hub = new EventHub(
    app.database,
    createLogger('silent'),
    { perAgent: 5, total: 10 },
    { leaseS: 2, renewMs: 300 },
  );
  try {
    expect(await leaseOf()).toBeUndefined();
    let woken = 0;
    const remove = await hub.subscribe(agentId, () => woken++);
    const first = await leaseOf();
    expect(first).toBeGreaterThan(1000);
    // Past the first lease's end it has been renewed, and a commit for the agent wakes the subscriber.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await leaseOf()).toBeGreaterThan(0);
    const before = woken;
    await publishEvents(app.database.query, [
      { agentId, type: 'message.received', conversationId: 'conv_w' },
    ]);
    await eventually(() => (woken > before ? true : undefined), 30_000);
    // No subscriber left: no renewal, the lease runs out.
    remove();
    await new Promise((r) => setTimeout(r, 2500));
    expect(await leaseOf()).toBeLessThan(0);
  } finally {
    await hub.stop();
    await unwatch(agentId);
  }
});
