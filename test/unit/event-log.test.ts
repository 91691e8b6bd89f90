import { describe, expect, it } from 'vitest';
import { deliverable, type EventRow } from '../../src/events/event-log.ts';

const row = (id: number, settled = false): EventRow => ({
  id,
  type: 'message.received',
  agent_id: 'agent_a',
  conversation_id: null,
  message_id: null,
  contact_id: null,
  data: {},
  created_at: new Date(0),
  settled,
});
const ids = (rows: EventRow[]) => rows.map((r) => Number(r.id));

describe('deliverable (reading the event log past holes)', () => {
  it('stops before a hole that may still fill and says to read again', async () => {
    const out = await deliverable([row(1), row(2), row(4)], 0, async () => true, false);
    expect(ids(out.rows)).toEqual([1, 2]);
    expect(out.waiting).toBe(true);
  });

  it('passes a hole filled by other agents’ events, or one whose next event is settled', async () => {
    expect(ids((await deliverable([row(1), row(4)], 0, async () => false, false)).rows)).toEqual([1, 4]);
    const settled = await deliverable([row(1), row(4, true)], 0, async () => true, false);
    expect(ids(settled.rows)).toEqual([1, 4]);
    expect(settled.waiting).toBe(false);
  });

  it('checks the hole between the cursor and the first row too, and skips checks when ids are ordered', async () => {
    const asked: [number, number][] = [];
    const out = await deliverable([row(7)], 4, async (from, to) => (asked.push([from, to]), true), false);
    expect(asked).toEqual([[5, 6]]);
    expect(out.rows).toEqual([]);
    expect(ids((await deliverable([row(7)], 4, async () => true, true)).rows)).toEqual([7]);
  });
});
