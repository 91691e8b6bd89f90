/**
 * Backlog benchmarks: a WhatsApp-broadcast-sized burst of delivery statuses (PostgreSQL only: the outbound messages
 * are seeded straight into the scratch database), and thousands of first messages from distinct senders, each
 * stored and answered by the instant agent.
 */
import fs from 'node:fs';
import autocannon from 'autocannon';
import pg from 'pg';
import { signLoopback } from '../src/channels/loopback/protocol.ts';
import type { BenchPeer } from './engine-scenarios.ts';
import { statementsSent } from './metrics-scrape.ts';

const CONNECTIONS = 50;
/** Bound on waiting for a backlog to drain. */
const DRAIN_LIMIT_MS = 300_000;

/** POSTs `bodies` (signed loopback updates) once each; seconds taken and non-2xx count. */
export async function postAll(url: string, secret: string, bodies: string[]) {
  let next = 0;
  const started = performance.now();
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    amount: bodies.length,
    timeout: 60,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const body = bodies[next++ % bodies.length] as string;
          return {
            ...request,
            body,
            headers: {
              'content-type': 'application/json',
              'x-loopback-signature': signLoopback(body, secret),
            },
          };
        },
      },
    ],
  });
  return { seconds: (performance.now() - started) / 1000, errors: result.errors + result.non2xx };
}

export async function waitFor(check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + DRAIN_LIMIT_MS;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const round = (v: number) => Math.round(v * 100) / 100;

/** CPU ms (user + system) of a process so far, from /proc (Linux; 0 when unreadable). */
function processCpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU the server process and the PostgreSQL backends of its database use over a run, in seconds: unlike wall
 * time it barely moves when other work shares the machine. Backends that exit during the run are not counted.
 */
class CpuMeter {
  private readonly server: () => number;
  private readonly db?: pg.Client;
  private serverStart = 0;
  private backendStart = new Map<number, number>();

  constructor(serverCpuMs: () => number, db?: pg.Client) {
    this.server = serverCpuMs;
    this.db = db;
  }

  private async backends(): Promise<Map<number, number>> {
    if (!this.db) return new Map();
    const { rows } = await this.db.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
    );
    return new Map(rows.map((row) => [row.pid, processCpuMs(row.pid)]));
  }

  async start(): Promise<void> {
    this.serverStart = this.server();
    this.backendStart = await this.backends();
  }

  async stop(): Promise<{ server_cpu_s: number; database_cpu_s?: number }> {
    const server = round((this.server() - this.serverStart) / 1000);
    if (!this.db) return { server_cpu_s: server };
    let database = 0;
    for (const [pid, ms] of await this.backends()) database += ms - (this.backendStart.get(pid) ?? 0);
    return { server_cpu_s: server, database_cpu_s: round(database / 1000) };
  }
}

/**
 * `messages` outbound messages seeded as sent, then sent + delivered + read for each posted as separate webhooks
 * (read before delivered for every other message): time until every message reads `read` and no status event is
 * left unprocessed.
 */
export async function measureStatusBacklog(
  serverUrl: string,
  databaseUrl: string,
  agentId: string,
  secret: string,
  messages = 10_000,
  serverCpuMs: () => number = () => 0,
) {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const cpu = new CpuMeter(serverCpuMs, db);
  try {
    const tag = `bk${process.pid}`;
    await db.query(
      `insert into conversations (id, agent_id, user_identifier, channel)
       select $2 || '-c' || g, $1, 'loopback:' || $2 || g, 'loopback' from generate_series(1, $3) g`,
      [agentId, tag, Math.ceil(messages / 10)],
    );
    await db.query(
      `insert into messages (id, conversation_id, agent_id, role, content, channel, direction, provider_message_id,
                             status, created_at, updated_at)
       select $2 || '-m' || g, $2 || '-c' || (1 + g % $4), $1, 'assistant', 'broadcast', 'loopback', 'outbound',
              $2 || '-p' || g, 'sent', now(), now()
       from generate_series(1, $3) g`,
      [agentId, tag, messages, Math.ceil(messages / 10)],
    );
    const bodies: string[] = [];
    for (let i = 1; i <= messages; i++) {
      const order = i % 2 ? ['sent', 'delivered', 'read'] : ['read', 'sent', 'delivered'];
      for (const status of order) {
        bodies.push(
          JSON.stringify({
            update_id: `${tag}-${i}-${status}`,
            status: { message_id: `${tag}-p${i}`, status },
          }),
        );
      }
    }
    const started = performance.now();
    await cpu.start();
    const posted = await postAll(`${serverUrl}/api/v1/channels/webhooks/loopback/${agentId}`, secret, bodies);
    const postedAt = performance.now();
    const drained = await waitFor(async () => {
      const { rows } = await db.query(
        `select (select count(*) from messages where agent_id = $1 and provider_message_id like $2 || '-p%'
                  and status = 'read')::int as read,
                (select count(*) from inbound_events where agent_id = $1 and not processed)::int as pending`,
        [agentId, tag],
      );
      return rows[0].read === messages && rows[0].pending === 0;
    });
    const total = (performance.now() - started) / 1000;
    const used = await cpu.stop();
    return {
      statuses: bodies.length,
      messages,
      drained,
      post_s: round(posted.seconds),
      total_s: round(total),
      after_post_s: round((performance.now() - postedAt) / 1000),
      applied_per_s: Math.round(bodies.length / total),
      errors: posted.errors,
      ...used,
      cpu_ms_per_status: round(((used.server_cpu_s + (used.database_cpu_s ?? 0)) * 1000) / bodies.length),
    };
  } finally {
    await db.end();
  }
}

/**
 * `senders` first messages, one per new sender, posted at once: time until the peer has every reply. Then a second
 * message from each of them (`known_senders`): a broadcast's replies come from people the agent already knows.
 */
export async function measureInboundBacklog(
  serverUrl: string,
  agentId: string,
  secret: string,
  peer: BenchPeer,
  senders = 5_000,
  serverCpuMs: () => number = () => 0,
  databaseUrl?: string,
) {
  const tag = `ib${process.pid}`;
  const messages = (n: number) =>
    Array.from({ length: senders }, (_, i) =>
      JSON.stringify({ update_id: `${tag}-${n}-${i}`, message: { from: `${tag}-${i}`, text: `hello ${n}` } }),
    );
  const run = (bodies: string[]) =>
    drainBacklog(serverUrl, agentId, secret, peer, bodies, serverCpuMs, databaseUrl);
  const first = await run(messages(1));
  return { ...first, known_senders: await run(messages(2)) };
}

/** Posts `bodies` (one message each) at once and waits until the peer has a reply to each. */
async function drainBacklog(
  serverUrl: string,
  agentId: string,
  secret: string,
  peer: BenchPeer,
  bodies: string[],
  serverCpuMs: () => number,
  databaseUrl?: string,
) {
  const senders = bodies.length;
  const db = databaseUrl ? new pg.Client({ connectionString: databaseUrl }) : undefined;
  await db?.connect();
  const cpu = new CpuMeter(serverCpuMs, db);
  const before = peer.sends;
  const sentBefore = await statementsSent(serverUrl);
  const started = performance.now();
  await cpu.start();
  const posted = await postAll(`${serverUrl}/api/v1/channels/webhooks/loopback/${agentId}`, secret, bodies);
  const answered = await waitFor(async () => peer.sends - before >= senders);
  const total = (performance.now() - started) / 1000;
  const used = await cpu.stop();
  await db?.end();
  const sent = await statementsSent(serverUrl);
  // Round trips per message on PostgreSQL (the scrapes add one read each); none on the embedded database.
  const perMessage = (n: number) => round(n / senders);
  return {
    senders,
    answered: peer.sends - before,
    drained: answered,
    post_s: round(posted.seconds),
    total_s: round(total),
    turned_per_s: Math.round(senders / total),
    errors: posted.errors,
    ...used,
    cpu_ms_per_message: round(((used.server_cpu_s + (used.database_cpu_s ?? 0)) * 1000) / senders),
    statements_per_message: {
      app: perMessage(sent.app - sentBefore.app),
      queue: perMessage(sent.queue - sentBefore.queue),
    },
  };
}
