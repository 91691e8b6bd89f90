/**
 * The operator console's inbox with 10,000 conversations against the same with 100: the list API's first page
 * (and a filtered and a deep page) under load, and the console's first render of the inbox in Chromium, each as
 * a ratio large / small measured in the same run. Conversations are seeded straight into PostgreSQL when the
 * bench runs on it, else through signed loopback webhooks (each stored and answered by the engine).
 */
import fs from 'node:fs';
import autocannon from 'autocannon';
import pg from 'pg';
import { chromium } from 'playwright-core';
import type { BenchPeer } from './engine-scenarios.ts';
import { postAll, waitFor } from './backlog-scenario.ts';

const CHANNELS = ['whatsapp', 'telegram', 'email', 'website'];
const RENDER_RUNS = 5;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

type Ids = { org: string; project: string };
type Login = { email: string; password: string };
export type InboxSeed =
  { kind: 'sql'; databaseUrl: string } | { kind: 'webhook'; secret: string; peer: BenchPeer };

const round = (v: number) => Math.round(v * 100) / 100;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function createAgent(url: string, token: string, ids: Ids, name: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/organizations/${ids.org}/projects/${ids.project}/agents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, system_prompt: 'Bench agent.' }),
  });
  if (res.status !== 201) throw new Error(`agent create failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: { _id: string } }).data._id;
}

/** `count` conversations (contact, a customer message and an agent reply each) on mixed channels, via SQL. */
async function seedSql(databaseUrl: string, agentId: string, count: number): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const tag = `${agentId}-s`;
    await db.query(
      `insert into contacts (id, agent_id, display_name) select $2 || '-k' || g, $1, 'Person ' || g
       from generate_series(1, $3) g`,
      [agentId, tag, count],
    );
    await db.query(
      `insert into conversations (id, agent_id, contact_id, user_identifier, channel, status, handoff_at,
                                  last_activity_at, created_at, updated_at)
       select $2 || '-c' || g, $1, $2 || '-k' || g, ($4::text[])[1 + g % 4] || ':' || g, ($4::text[])[1 + g % 4],
              case when g % 7 = 0 then 'closed' else 'active' end, case when g % 11 = 0 then now() end,
              now() - g * interval '1 minute', now() - g * interval '1 minute', now() - g * interval '1 minute'
       from generate_series(1, $3) g`,
      [agentId, tag, count, CHANNELS],
    );
    for (const [role, direction, status] of [
      ['user', 'inbound', 'received'],
      ['assistant', 'outbound', 'delivered'],
    ]) {
      await db.query(
        `insert into messages (id, conversation_id, agent_id, role, content, channel, direction, status,
                               created_at, updated_at)
         select $2 || '-m' || $4 || g, $2 || '-c' || g, $1, $4, 'Message ' || $4 || ' number ' || g,
                ($3::text[])[1 + g % 4], $5, $6, now() - g * interval '1 minute', now() - g * interval '1 minute'
         from generate_series(1, $7) g`,
        [agentId, tag, CHANNELS, role, direction, status, count],
      );
    }
    // What autovacuum (or the embedded database's maintenance) does after such growth; the server's cached plans
    // are made again on the new statistics.
    await db.query('analyze contacts, conversations, messages');
  } finally {
    await db.end();
  }
}

/** `count` first messages from distinct loopback senders, stored and answered by the engine. */
async function seedWebhooks(url: string, agentId: string, secret: string, peer: BenchPeer, count: number) {
  const bodies = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      update_id: `inbox-${agentId}-${i}`,
      message: { from: `inbox-${i}`, text: `hello ${i}` },
    }),
  );
  const before = peer.sends;
  await postAll(`${url}/api/v1/channels/webhooks/loopback/${agentId}`, secret, bodies);
  await waitFor(async () => peer.sends - before >= count);
}

async function listTotal(url: string, token: string, path: string): Promise<number> {
  const res = await fetch(`${url}${path}/conversations?limit=1`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return ((await res.json()) as { pagination: { total: number } }).pagination.total;
}

async function loadList(url: string, token: string) {
  const result = await autocannon({
    url,
    connections: 10,
    duration: Number(process.env.BENCH_DURATION_S ?? 3),
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    rps: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/** Median ms from opening the console's inbox to its first conversation row, for each agent (logged in once). */
async function firstRenders(url: string, login: Login, ids: Ids, agents: string[]): Promise<number[]> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await page.goto(`${url}/console`);
    await page.getByLabel('Email').fill(login.email);
    await page.getByLabel('Password').fill(login.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    const out: number[] = [];
    for (const agent of agents) {
      const runs: number[] = [];
      for (let run = 0; run < RENDER_RUNS; run++) {
        // A same-origin page without the console, so each run loads the console afresh.
        await page.goto(`${url}/healthz`);
        await page.evaluate(
          ([org, project, agentId]) => {
            localStorage.setItem('sb.console.org', org as string);
            localStorage.setItem('sb.console.project', project as string);
            localStorage.setItem('sb.console.agent', agentId as string);
          },
          [ids.org, ids.project, agent],
        );
        const started = performance.now();
        await page.goto(`${url}/console#/inbox`);
        await page.getByRole('list', { name: 'Conversations' }).getByRole('link').first().waitFor();
        runs.push(performance.now() - started);
      }
      out.push(median(runs));
    }
    return out;
  } finally {
    await browser.close();
  }
}

/** Seeds an agent with `small` and one with `large` conversations, then measures both. */
export async function measureInbox(
  url: string,
  token: string,
  ids: Ids,
  login: Login | undefined,
  seed: InboxSeed,
  sizes = { small: 100, large: 10_000 },
) {
  const small = await createAgent(url, token, ids, 'Inbox bench (small)');
  const large = await createAgent(url, token, ids, 'Inbox bench (large)');
  const seedStarted = performance.now();
  for (const [agent, count] of [
    [small, sizes.small],
    [large, sizes.large],
  ] as const) {
    if (seed.kind === 'sql') await seedSql(seed.databaseUrl, agent, count);
    else await seedWebhooks(url, agent, seed.secret, seed.peer, count);
  }
  const seedS = round((performance.now() - seedStarted) / 1000);
  const path = (agent: string) => `/api/v1/organizations/${ids.org}/projects/${ids.project}/agents/${agent}`;
  const totals = {
    small: await listTotal(url, token, path(small)),
    large: await listTotal(url, token, path(large)),
  };
  const list = (agent: string, query: string) =>
    loadList(`${url}${path(agent)}/conversations${query}`, token);
  const firstSmall = await list(small, '?limit=50');
  const firstLarge = await list(large, '?limit=50');
  const filteredSmall = await list(small, '?limit=50&channel=telegram&status=active&handoff=false');
  const filteredLarge = await list(large, '?limit=50&channel=telegram&status=active&handoff=false');
  const deepLarge = await list(large, `?limit=50&page=${Math.floor(sizes.large / 50)}`);
  const renders =
    login && fs.existsSync(CHROMIUM)
      ? await firstRenders(url, login, ids, [small, large]).catch((error: Error) => error.message)
      : null;
  return {
    seeded_by: seed.kind,
    seed_s: seedS,
    conversations: totals,
    list_first_page: {
      small: firstSmall,
      large: firstLarge,
      rps_ratio_large_vs_small: round(firstLarge.rps / firstSmall.rps),
      p50_ratio_large_vs_small: round(firstLarge.p50_ms / Math.max(firstSmall.p50_ms, 1)),
    },
    list_filtered: {
      small: filteredSmall,
      large: filteredLarge,
      rps_ratio_large_vs_small: round(filteredLarge.rps / filteredSmall.rps),
    },
    list_last_page_large: {
      ...deepLarge,
      rps_ratio_vs_small_first_page: round(deepLarge.rps / firstSmall.rps),
    },
    console_first_render_ms: Array.isArray(renders)
      ? {
          small: Math.round(renders[0] ?? 0),
          large: Math.round(renders[1] ?? 0),
          ratio_large_vs_small: round((renders[1] ?? 0) / (renders[0] ?? 1)),
        }
      : (renders ?? 'skipped (no Chromium or no login password)'),
  };
}
