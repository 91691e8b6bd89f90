import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createWorkspace, type Workspace } from '../helpers/fixtures.ts';
import { VALID_BODIES } from '../helpers/route-bodies.ts';

/**
 * A fuzz over every POST/PUT route (malformed bodies: wrong types, sizes, nesting, NUL, unpaired surrogates,
 * `__proto__`) and every route's path and query (NUL, surrogates, huge and odd segments), asserting that nothing
 * answers 5xx. Deterministic (fixed seed) and bounded: a fixed number of requests per route.
 */

const SEED = 0x5eed_0012;
const MUTATIONS_PER_ROUTE = 24;

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values that are wrong for almost any field. */
const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  1e308,
  2 ** 63,
  1.5,
  true,
  [],
  {},
  [null, 1, 'x'],
  'x'.repeat(120_000),
  '',
  ' ',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '\u202e\ufeff',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  { __proto__: null, polluted: true },
  JSON.parse('{"__proto__":{"isAdmin":true}}'),
  { constructor: { prototype: { isAdmin: true } } },
  '1970-01-01T00:00:00Z',
  'agent_00000000000000000000000000',
];

/** Whole bodies that are wrong for every route, as raw text. */
const ODD_BODIES: string[] = [
  '',
  'null',
  '0',
  '"text"',
  'true',
  '[]',
  '{}',
  '[{}]',
  '{"a":',
  '{"__proto__":{"isAdmin":true},"name":"x"}',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
  `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
  JSON.stringify(Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]))),
  '{"name":"\\u0000"}',
  '{"name":"\\ud800"}',
  '{"\\u0000":1}',
  '{"name":"x","name":"y"}',
];

/** Path parameter values and query strings that are odd. */
const ODD_SEGMENTS = [
  '%00',
  'x%00y',
  '%ED%A0%80',
  '%E0%A4%A',
  'x'.repeat(5_000),
  '..%2F..%2F',
  '%2e%2e',
  '%20',
];
const ODD_QUERIES = [
  '?limit=%00',
  '?page=-1&limit=1e309',
  '?limit=99999999999999999999&page=99999999999999999999',
  '?updated_since=%ED%A0%80',
  '?status=__proto__&channel=constructor',
  `?user_identifier=${'x'.repeat(5_000)}`,
  '?a=1&a=2&a=3',
];

let app: TestApp;
let routes: string[] = [];
let ws: Workspace;
let ids: Record<string, string>;

beforeAll(async () => {
  let registered: { method: string; path: string }[] = [];
  app = await startTestApp(
    {
      API_RATE_LIMIT_PER_MINUTE: '10000000',
      CHANNEL_CONFIG_WRITES_PER_MINUTE: '1000000',
      CHANNEL_TESTS_PER_MINUTE: '1000000',
      WIDGET_IP_RATE_LIMIT_PER_MINUTE: '1000000',
      WIDGET_VISITOR_RATE_LIMIT_PER_MINUTE: '1000000',
      // The event stream ends after a second, so reading it to its end returns.
      EVENTS_STREAM_MAX_MS: '1000',
    },
    (hono) => {
      registered = hono.routes;
    },
  );
  routes = [...new Set(registered.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))];
  ws = await createWorkspace(app, 'fuzz');
  const chat = await app.call(
    'POST',
    `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/chat`,
    { token: ws.owner.token, body: { message: 'hello' } },
  );
  expect(chat.status, chat.text).toBe(200);
  ids = {
    orgId: ws.orgId,
    projectId: ws.projectId,
    agentId: ws.agentId,
    keyId: 'llmkey_00000000000000000000000000',
    tokenId: 'tok_00000000000000000000000000',
    conversationId: chat.body.conversation_id,
    userId: ws.owner.id,
    channel: 'telegram',
    file: 'deadbeef',
  };
});
afterAll(() => app?.close());

const fill = (path: string, odd?: { name: string; value: string }) =>
  path.replace(/:([A-Za-z]+)(\{[^}]*\})?/g, (_, name: string) =>
    odd?.name === name ? odd.value : (ids[name] ?? 'x'),
  );

/** Runs requests a few at a time; returns the ones that answered 5xx. */
async function run(
  requests: Array<{ method: string; path: string; rawBody?: string | undefined; label: string }>,
) {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const r = requests[next++]!;
      const res = await app
        .call(r.method, r.path, {
          token: ws.owner.token,
          ...(r.rawBody !== undefined ? { rawBody: r.rawBody } : {}),
          headers: { 'content-type': 'application/json' },
        })
        .catch((error: Error) => ({ status: 599, text: `${error.message}: ${String(error.cause)}` }));
      if (res.status >= 500) failures.push(`${res.status} ${r.label}: ${res.text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return failures;
}

/** The session-ending routes go last, so the rest run with a working token. */
const lastOf = (route: string) => (/\/account|\/auth\//.test(route) ? 1 : 0);

describe('route fuzz', () => {
  it('finds no 5xx for malformed bodies on any POST/PUT route', async () => {
    const random = prng(SEED);
    const writes = routes
      .filter((r) => r.startsWith('POST ') || r.startsWith('PUT '))
      .sort((a, b) => lastOf(a) - lastOf(b));
    expect(writes.length).toBeGreaterThan(15);
    const requests = writes.flatMap((route) => {
      const [method, path] = route.split(' ') as [string, string];
      const url = fill(path);
      const valid = (VALID_BODIES[route] ?? { name: 'x', message: 'x', email: 'a@b.test' }) as Record<
        string,
        unknown
      >;
      const mutated = Array.from({ length: MUTATIONS_PER_ROUTE }, () => {
        const fields = Object.keys(valid);
        const field = fields[Math.floor(random() * fields.length)] ?? 'name';
        const value = ODD_VALUES[Math.floor(random() * ODD_VALUES.length)];
        // Sometimes nest the odd value one level down, where a nested schema (llm_settings, telegram) may sit.
        const body =
          random() < 0.3 ? { ...valid, [field]: { [field]: value } } : { ...valid, [field]: value };
        return { method, path: url, rawBody: JSON.stringify(body), label: `${route} ${field}` };
      });
      const whole = ODD_BODIES.map((rawBody) => ({
        method,
        path: url,
        rawBody,
        label: `${route} ${rawBody.slice(0, 40)}`,
      }));
      return [...whole, ...mutated];
    });
    const failures = await run(requests);
    expect(failures, failures.join('\n')).toEqual([]);
  }, 600_000);

  it('finds no 5xx for odd path segments and query strings on any route', async () => {
    const requests = routes
      .filter((r) => !r.startsWith('DELETE '))
      .sort((a, b) => lastOf(a) - lastOf(b))
      .flatMap((route) => {
        const [method, path] = route.split(' ') as [string, string];
        const params = [...path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);
        const rawBody = method === 'GET' ? undefined : JSON.stringify(VALID_BODIES[route] ?? {});
        const segments = params.flatMap((name) =>
          ODD_SEGMENTS.map((value) => ({
            method,
            path: fill(path, { name, value }),
            rawBody,
            label: `${route} :${name}=${value.slice(0, 20)}`,
          })),
        );
        const queries = ODD_QUERIES.map((query) => ({
          method,
          path: fill(path) + query,
          rawBody,
          label: `${route} ${query.slice(0, 40)}`,
        }));
        return [...segments, ...queries];
      });
    const failures = await run(requests);
    expect(failures, failures.join('\n')).toEqual([]);
  }, 600_000);
});
