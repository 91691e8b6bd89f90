import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { seedConversation } from '../helpers/analytics-seed.ts';
import {
  addMember,
  createAgent,
  createWorkspace,
  registerUser,
  type TestUser,
  type Workspace,
} from '../helpers/fixtures.ts';

/**
 * GET …/agents/:agentId/analytics over rows written with known timestamps: exact counts per bucket and channel,
 * reply-latency percentiles (PostgreSQL's percentile_cont, continuous), delivery outcomes and failure reasons,
 * handed-off conversations, bounds, and the tenant and role checks.
 */

let app: TestApp;
let ws: Workspace;
let other: Workspace;
let viewer: TestUser;
let outsider: TestUser;
let otherAgentSameProject: string;

const path = (w: Workspace, query = '', agentId = w.agentId) =>
  `/api/v1/organizations/${w.orgId}/projects/${w.projectId}/agents/${agentId}/analytics${query}`;
const DAYS = '?from=2026-03-02T00:00:00Z&to=2026-03-05T00:00:00Z&interval=day';

async function analytics(query: string, token = ws.owner.token, w = ws) {
  const res = await app.call('GET', path(w, query), { token });
  expect(res.status, res.text).toBe(200);
  return res.body.data;
}

beforeAll(async () => {
  app = await startTestApp();
  ws = await createWorkspace(app, 'analytics');
  other = await createWorkspace(app, 'other');
  viewer = await registerUser(app, 'viewer');
  outsider = await registerUser(app, 'outsider');
  await addMember(app, ws.owner, ws.orgId, viewer, 'viewer');
  otherAgentSameProject = await createAgent(app, ws.owner.token, ws.orgId, ws.projectId);
  const seed = seedConversation.bind(null, app.database);

  // Telegram, Monday 2 March: three waits (the second inbound of a run starts none); the third reply failed.
  await seed(ws.agentId, {
    channel: 'telegram',
    messages: [
      { at: '2026-03-02T10:00:00Z', direction: 'inbound' },
      { at: '2026-03-02T10:00:01Z', direction: 'inbound' },
      {
        at: '2026-03-02T10:00:02Z',
        direction: 'outbound',
        status: 'delivered',
        sentAt: '2026-03-02T10:00:04Z',
      },
      { at: '2026-03-02T11:00:00Z', direction: 'inbound' },
      { at: '2026-03-02T11:00:01Z', direction: 'outbound', status: 'read', sentAt: '2026-03-02T11:00:02Z' },
      { at: '2026-03-02T12:00:00Z', direction: 'inbound' },
      {
        at: '2026-03-02T12:00:01Z',
        direction: 'outbound',
        status: 'failed',
        errorCode: 'provider_error',
        errorMessage: 'Bad Request: chat not found',
      },
    ],
  });
  // WhatsApp: an operator answers on Monday (10 s), the agent on Tuesday (1 s); closed since.
  await seed(ws.agentId, {
    channel: 'whatsapp',
    status: 'closed',
    messages: [
      { at: '2026-03-02T09:00:00Z', direction: 'inbound' },
      {
        at: '2026-03-02T09:00:05Z',
        direction: 'outbound',
        role: 'human',
        status: 'delivered',
        sentAt: '2026-03-02T09:00:10Z',
      },
      { at: '2026-03-03T08:00:00Z', direction: 'inbound' },
      { at: '2026-03-03T08:00:00.5Z', direction: 'outbound', status: 'read', sentAt: '2026-03-03T08:00:01Z' },
    ],
  });
  // Email, Tuesday: handed off at 15:00 and still is; nothing was sent (three failures, one still queued).
  await seed(ws.agentId, {
    channel: 'email',
    handoffAt: '2026-03-03T15:00:00Z',
    messages: [
      { at: '2026-03-03T14:59:00Z', direction: 'inbound' },
      {
        at: '2026-03-03T14:59:30Z',
        direction: 'outbound',
        status: 'failed',
        errorCode: 'smtp_rejected',
        errorMessage: '550 first',
      },
      {
        at: '2026-03-03T14:59:40Z',
        direction: 'outbound',
        status: 'failed',
        errorCode: 'smtp_rejected',
        errorMessage: '550 second',
      },
      { at: '2026-03-03T14:59:50Z', direction: 'outbound', status: 'failed' },
      { at: '2026-03-03T15:00:10Z', direction: 'outbound', role: 'human', status: 'queued' },
    ],
  });
  // Outside the range on both ends: the last second before it and its exclusive end.
  await seed(ws.agentId, {
    channel: 'telegram',
    status: 'closed',
    messages: [
      { at: '2026-03-01T23:59:59Z', direction: 'inbound' },
      { at: '2026-03-05T00:00:00Z', direction: 'outbound', sentAt: '2026-03-05T00:00:00Z' },
    ],
  });
  // Another tenant's agent, in the same range, with seven failure codes (7, 6, … 1 failures).
  for (let code = 1; code <= 7; code++) {
    await seed(other.agentId, {
      channel: 'telegram',
      status: 'closed',
      messages: Array.from({ length: 8 - code }, (_, n) => ({
        at: `2026-03-02T1${code}:00:${String(n).padStart(2, '0')}Z`,
        direction: 'outbound' as const,
        status: 'failed',
        errorCode: `code_${code}`,
        errorMessage: `failure ${code}.${n}`,
      })),
    });
  }
});
afterAll(() => app?.close());

describe('daily buckets', () => {
  it('counts messages per bucket and channel, and the totals', async () => {
    const data = await analytics(DAYS);
    expect(data).toMatchObject({
      from: '2026-03-02T00:00:00.000Z',
      to: '2026-03-05T00:00:00.000Z',
      interval: 'day',
      timezone: 'UTC',
      buckets: ['2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z', '2026-03-04T00:00:00.000Z'],
      channels: ['email', 'telegram', 'whatsapp'],
    });
    expect(data.messages).toEqual([
      { bucket: '2026-03-02T00:00:00.000Z', channel: 'telegram', inbound: 4, outbound: 3 },
      { bucket: '2026-03-02T00:00:00.000Z', channel: 'whatsapp', inbound: 1, outbound: 1 },
      { bucket: '2026-03-03T00:00:00.000Z', channel: 'email', inbound: 1, outbound: 4 },
      { bucket: '2026-03-03T00:00:00.000Z', channel: 'whatsapp', inbound: 1, outbound: 1 },
    ]);
    expect(data.totals).toMatchObject({ inbound: 7, outbound: 9, conversations: 3, handed_off: 2 });
  });

  it('measures reply latency per bucket, per channel and overall with continuous percentiles', async () => {
    const data = await analytics(DAYS);
    // Monday: waits of 4 s, 2 s, 10 s and one unanswered; p95 of [2, 4, 10] s = 4 + 0.9 × 6 s.
    expect(data.reply_latency).toEqual([
      { bucket: '2026-03-02T00:00:00.000Z', waits: 4, answered: 3, p50_ms: 4000, p95_ms: 9400 },
      { bucket: '2026-03-03T00:00:00.000Z', waits: 2, answered: 1, p50_ms: 1000, p95_ms: 1000 },
    ]);
    expect(data.reply_latency_by_channel).toEqual([
      { channel: 'email', waits: 1, answered: 0, p50_ms: null, p95_ms: null },
      { channel: 'telegram', waits: 3, answered: 2, p50_ms: 3000, p95_ms: 3900 },
      { channel: 'whatsapp', waits: 2, answered: 2, p50_ms: 5500, p95_ms: 9550 },
    ]);
    // [1, 2, 4, 10] s: median 3 s, p95 = 4 + 0.85 × 6 s.
    expect(data.totals.reply_latency).toEqual({ waits: 6, answered: 4, p50_ms: 3000, p95_ms: 9100 });
  });

  it('counts active and handed-off conversations per bucket and channel', async () => {
    const data = await analytics(DAYS);
    expect(data.conversations).toEqual([
      { bucket: '2026-03-02T00:00:00.000Z', channel: 'telegram', active: 1, handed_off: 0 },
      { bucket: '2026-03-02T00:00:00.000Z', channel: 'whatsapp', active: 1, handed_off: 1 },
      { bucket: '2026-03-03T00:00:00.000Z', channel: 'email', active: 1, handed_off: 1 },
      { bucket: '2026-03-03T00:00:00.000Z', channel: 'whatsapp', active: 1, handed_off: 0 },
    ]);
    expect(data.conversations_per_bucket).toEqual([
      { bucket: '2026-03-02T00:00:00.000Z', active: 2, handed_off: 1 },
      { bucket: '2026-03-03T00:00:00.000Z', active: 2, handed_off: 1 },
    ]);
    // Open now, whatever the range: the telegram and email conversations; the email one is in handoff.
    expect(data.open_now).toEqual([
      { channel: 'email', open: 1, in_handoff: 1 },
      { channel: 'telegram', open: 1, in_handoff: 0 },
    ]);
    expect(data.totals).toMatchObject({ open_now: 2, in_handoff_now: 1 });
  });

  it('reports delivery outcomes per channel with the failure reasons, most frequent first', async () => {
    const data = await analytics(DAYS);
    const zero = { queued: 0, held: 0, sent: 0, delivered: 0, read: 0, played: 0, failed: 0 };
    expect(data.delivery).toEqual([
      {
        channel: 'email',
        ...zero,
        queued: 1,
        failed: 3,
        total: 4,
        failure_reasons: [
          { code: 'smtp_rejected', count: 2, last_message: '550 second' },
          { code: 'unknown', count: 1, last_message: null },
        ],
      },
      {
        channel: 'telegram',
        ...zero,
        delivered: 1,
        read: 1,
        failed: 1,
        total: 3,
        failure_reasons: [{ code: 'provider_error', count: 1, last_message: 'Bad Request: chat not found' }],
      },
      { channel: 'whatsapp', ...zero, delivered: 1, read: 1, total: 2, failure_reasons: [] },
    ]);
    expect(data.totals.delivery).toEqual({ ...zero, queued: 1, delivered: 2, read: 2, failed: 4 });
  });

  it('lists at most five failure reasons per channel and sees only its own agent', async () => {
    const data = await analytics(DAYS, other.owner.token, other);
    expect(data.delivery).toHaveLength(1);
    expect(data.delivery[0]).toMatchObject({ channel: 'telegram', failed: 28, total: 28 });
    expect(data.delivery[0].failure_reasons).toEqual(
      [1, 2, 3, 4, 5].map((code) => ({
        code: `code_${code}`,
        count: 8 - code,
        last_message: `failure ${code}.${7 - code}`,
      })),
    );
    expect(data.totals).toMatchObject({ inbound: 0, outbound: 28, conversations: 7 });
  });
});

describe('a conversation across channels', () => {
  it('counts under each channel it used, and once per bucket and in the total', async () => {
    const agentId = await createAgent(app, ws.owner.token, ws.orgId, ws.projectId);
    await seedConversation(app.database, agentId, {
      channel: 'telegram',
      messages: [
        { at: '2026-03-02T10:00:00Z', direction: 'inbound' },
        { at: '2026-03-02T10:05:00Z', direction: 'inbound', channel: 'email' },
        {
          at: '2026-03-02T10:06:00Z',
          direction: 'outbound',
          channel: 'email',
          sentAt: '2026-03-02T10:06:00Z',
        },
      ],
    });
    const res = await app.call('GET', path(ws, DAYS, agentId), { token: ws.owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.conversations).toEqual([
      { bucket: '2026-03-02T00:00:00.000Z', channel: 'email', active: 1, handed_off: 0 },
      { bucket: '2026-03-02T00:00:00.000Z', channel: 'telegram', active: 1, handed_off: 0 },
    ]);
    expect(res.body.data.conversations_per_bucket).toEqual([
      { bucket: '2026-03-02T00:00:00.000Z', active: 1, handed_off: 0 },
    ]);
    expect(res.body.data.totals.conversations).toBe(1);
    // One wait (telegram, 10:00, the email message continues it), answered after 6 minutes on email.
    expect(res.body.data.reply_latency_by_channel).toEqual([
      { channel: 'telegram', waits: 1, answered: 1, p50_ms: 360000, p95_ms: 360000 },
    ]);
  });
});

describe('other intervals', () => {
  it('buckets by hour', async () => {
    const data = await analytics('?from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z&interval=hour');
    expect(data.buckets).toHaveLength(24);
    expect(data.buckets[9]).toBe('2026-03-02T09:00:00.000Z');
    expect(data.messages).toEqual([
      { bucket: '2026-03-02T09:00:00.000Z', channel: 'whatsapp', inbound: 1, outbound: 1 },
      { bucket: '2026-03-02T10:00:00.000Z', channel: 'telegram', inbound: 2, outbound: 1 },
      { bucket: '2026-03-02T11:00:00.000Z', channel: 'telegram', inbound: 1, outbound: 1 },
      { bucket: '2026-03-02T12:00:00.000Z', channel: 'telegram', inbound: 1, outbound: 1 },
    ]);
    expect(data.reply_latency.map((row: { p50_ms: number | null }) => row.p50_ms)).toEqual([
      10000,
      4000,
      2000,
      null,
    ]);
  });

  it('buckets by ISO week (Monday, UTC), the first bucket starting before `from`', async () => {
    const data = await analytics('?from=2026-03-01T00:00:00Z&to=2026-03-08T00:00:00Z&interval=week');
    expect(data.buckets).toEqual(['2026-02-23T00:00:00.000Z', '2026-03-02T00:00:00.000Z']);
    expect(data.messages).toEqual([
      { bucket: '2026-02-23T00:00:00.000Z', channel: 'telegram', inbound: 1, outbound: 0 },
      { bucket: '2026-03-02T00:00:00.000Z', channel: 'email', inbound: 1, outbound: 4 },
      { bucket: '2026-03-02T00:00:00.000Z', channel: 'telegram', inbound: 4, outbound: 4 },
      { bucket: '2026-03-02T00:00:00.000Z', channel: 'whatsapp', inbound: 2, outbound: 2 },
    ]);
    // The 23:59:59 message is a wait whose reply (days later) is the next outbound: answered.
    expect(data.reply_latency[0]).toMatchObject({
      bucket: '2026-02-23T00:00:00.000Z',
      waits: 1,
      answered: 1,
    });
  });

  it('returns empty series and zero totals for a range without data', async () => {
    const data = await analytics('?from=2020-01-01T00:00:00Z&to=2020-01-08T00:00:00Z');
    expect(data.buckets).toHaveLength(7);
    expect(data).toMatchObject({
      channels: [],
      messages: [],
      reply_latency: [],
      reply_latency_by_channel: [],
      conversations: [],
      conversations_per_bucket: [],
      delivery: [],
    });
    expect(data.totals).toMatchObject({
      inbound: 0,
      outbound: 0,
      conversations: 0,
      handed_off: 0,
      reply_latency: { waits: 0, answered: 0, p50_ms: null, p95_ms: null },
    });
  });

  it('defaults to the last 30 days by day, up to now', async () => {
    await seedConversation(app.database, ws.agentId, {
      channel: 'website',
      status: 'closed',
      messages: [{ at: new Date(Date.now() - 60_000).toISOString(), direction: 'inbound' }],
    });
    const before = Date.now();
    const data = await analytics('');
    expect(data.interval).toBe('day');
    expect(Date.parse(data.to) - Date.parse(data.from)).toBe(30 * 24 * 3_600_000);
    expect(Date.parse(data.to)).toBeGreaterThanOrEqual(before);
    expect(data.buckets).toHaveLength(data.from.endsWith('T00:00:00.000Z') ? 30 : 31);
    expect(data.totals.inbound).toBe(1);
    expect(data.messages).toEqual([expect.objectContaining({ channel: 'website', inbound: 1, outbound: 0 })]);
  });
});

describe('bad parameters answer 400 naming the field', () => {
  it.each([
    ['?from=yesterday', 'Invalid query: from: '],
    ['?to=2026-13-45T00:00:00Z', 'Invalid query: to: '],
    ['?interval=month', 'Invalid query: interval: '],
    ['?from=2026-03-05T00:00:00Z&to=2026-03-05T00:00:00Z', 'Invalid query: to: must be after from'],
    ['?from=2026-03-06T00:00:00Z&to=2026-03-05T00:00:00Z', 'Invalid query: to: must be after from'],
    [
      '?from=2025-01-01T00:00:00Z&to=2026-03-05T00:00:00Z',
      'Invalid query: from: the range may cover at most',
    ],
    ['?from=2026-01-01T00:00:00Z&to=2026-03-05T00:00:00Z&interval=hour', 'Invalid query: interval: '],
  ])('%s', async (query, message) => {
    const res = await app.call('GET', path(ws, query), { token: ws.owner.token });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toContain(message);
  });

  it('accepts the longest range and the most hourly buckets', async () => {
    expect((await analytics('?from=2025-02-01T00:00:00Z&to=2026-03-08T00:00:00Z')).buckets).toHaveLength(400);
    const hourly = await analytics('?from=2026-02-01T00:00:00Z&to=2026-03-06T08:00:00Z&interval=hour');
    expect(hourly.buckets).toHaveLength(800);
  });
});

describe('tenancy and roles', () => {
  it('lets a viewer read', async () => {
    const data = await analytics(DAYS, viewer.token);
    expect(data.totals.inbound).toBe(7);
  });

  it('answers 401 without a token and 404 to outsiders, other tenants and agents elsewhere', async () => {
    expect((await app.call('GET', path(ws, DAYS))).status).toBe(401);
    expect((await app.call('GET', path(ws, DAYS), { token: outsider.token })).status).toBe(404);
    expect((await app.call('GET', path(ws, DAYS), { token: other.owner.token })).status).toBe(404);
    // The other tenant's agent under this tenant's organization and project.
    expect((await app.call('GET', path(ws, DAYS, other.agentId), { token: ws.owner.token })).status).toBe(
      404,
    );
  });

  it('reads nothing of another agent of the same project', async () => {
    const res = await app.call('GET', path(ws, DAYS, otherAgentSameProject), { token: ws.owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.totals).toMatchObject({ inbound: 0, outbound: 0, conversations: 0 });
  });
});
