/**
 * Issue 19's durable-ingest prototype, rebuilt as a yardstick measured in the same run: node:http, the body's
 * HMAC checked with a key built once (`createSecretKey`), JSON.parse, and a group commit with no timer — whatever
 * queued while a commit ran goes as the next one statement, inserting the new events and a job for each. No
 * routing, tenants, channels, metrics or logs. It tells what this machine and load generator allow the design
 * itself, beside the raw node:http frame the targets are written in.
 *
 * PROTO_DATABASE_URL (PostgreSQL, two commits in flight on a pool of two) or PROTO_DATA_DIR (PGlite in this
 * process, one commit at a time, its WAL not synced); PROTO_SECRET is the loopback signing secret. Prints
 * `{"port":N}` once listening.
 */
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

const SCHEMA = [
  `create table if not exists proto_events (id bigserial primary key, event_id text not null unique,
     payload jsonb not null, received_at timestamptz not null default now())`,
  `create table if not exists proto_jobs (id bigserial primary key, event_id bigint not null,
     state text not null default 'created', created_on timestamptz not null default now())`,
];
const INSERT = `with ev as (
  insert into proto_events (event_id, payload)
  select e->>'id', e->'payload' from jsonb_array_elements($1::jsonb) e
  on conflict (event_id) do nothing returning id)
insert into proto_jobs (event_id) select id from ev`;
/** Largest batch in one statement. */
const MAX_BATCH = 500;

type Run = (text: string, params?: unknown[]) => Promise<unknown>;

async function openDatabase(): Promise<{ run: Run; concurrency: number }> {
  const url = process.env.PROTO_DATABASE_URL;
  if (url) {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    return { run: (text, params) => pool.query(text, params), concurrency: 2 };
  }
  const dir = process.env.PROTO_DATA_DIR;
  if (!dir) throw new Error('PROTO_DATABASE_URL or PROTO_DATA_DIR is required');
  const db = await PGlite.create(dir);
  return { run: (text, params) => db.query(text, params), concurrency: 1 };
}

const { run, concurrency } = await openDatabase();
for (const statement of SCHEMA) await run(statement);
const key = createSecretKey(Buffer.from(process.env.PROTO_SECRET ?? '', 'utf8'));

type Pending = { id: string; payload: unknown; done: (ok: boolean) => void };
const queue: Pending[] = [];
let inFlight = 0;
let scheduled = false;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  // After the I/O phase: every request already readable joins this batch.
  setImmediate(pump);
}

function pump(): void {
  scheduled = false;
  while (inFlight < concurrency && queue.length > 0) {
    const batch = queue.splice(0, MAX_BATCH);
    inFlight++;
    const rows = JSON.stringify(batch.map(({ id, payload }) => ({ id, payload })));
    run(INSERT, [rows]).then(
      () => finish(batch, true),
      () => finish(batch, false),
    );
  }
}

function finish(batch: Pending[], ok: boolean): void {
  inFlight--;
  for (const pending of batch) pending.done(ok);
  schedule();
}

function answer(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const given = Buffer.from(String(req.headers['x-loopback-signature'] ?? ''), 'hex');
    const expected = createHmac('sha256', key).update(body).digest();
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return answer(res, 401, '{"error":"bad signature"}');
    let payload: { update_id?: unknown };
    try {
      payload = JSON.parse(body.toString('utf8')) as { update_id?: unknown };
    } catch {
      return answer(res, 400, '{"error":"bad json"}');
    }
    if (typeof payload.update_id !== 'string') return answer(res, 400, '{"error":"update_id"}');
    queue.push({
      id: payload.update_id,
      payload,
      done: (ok) => (ok ? answer(res, 200, '{"ok":true}') : answer(res, 503, '{"error":"retry"}')),
    });
    schedule();
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
