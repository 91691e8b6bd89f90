/**
 * `npm run bench [scenario…]`: throughput and latency of Switchboard against baselines measured in the same run
 * on this machine, printed as ratios. Only 127.0.0.1 is targeted; every load run is bounded in time.
 * The last line of output is machine-readable JSON.
 */
import { BENCH_METRICS_TOKEN } from './metrics-scrape.ts';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import {
  BenchPeer,
  LOOPBACK_BENCH_SECRET,
  loopbackRequest,
  measureIngest,
  measurePipeline,
} from './engine-scenarios.ts';
import { configureTelegram, measureTelegramIngest, startTinyBotApi } from './telegram-scenario.ts';
import {
  configureWhatsApp,
  configureWhatsAppTwilio,
  measureWhatsAppIngest,
  measureWhatsAppTwilioIngest,
  startTinyGraphApi,
  startTinyTwilioApi,
} from './whatsapp-scenario.ts';
import { configureEmail, measureEmailIngest } from './email-scenario.ts';
import { configureSendgridEmail, measureSendgridParseIngest } from './email-sendgrid-scenario.ts';
import { SmtpPeer } from '../test/helpers/smtp-peer.ts';
import { TinyApi } from './tiny-api.ts';
import { type Load, measureRounds, summarize } from './rounds.ts';
import { measureWebhookIngest, waitUntilQuiet } from './webhook-load.ts';
import { measureInboundBacklog, measureStatusBacklog } from './backlog-scenario.ts';
import { measureInbox } from './inbox-scenario.ts';
import { measureFrontTier } from './front-tier-scenario.ts';
import { measurePrototype } from './prototype-scenario.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 3);
/** Concurrent connections of every load run (the frame: 100). */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
/** Interleaved rounds (raw baseline, then the measured load): http, api and the front tier report their median. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** Targets printed beside each figure (issue 19): ratios to the raw baseline of the same shape, and ack p99. */
const TARGETS = {
  ingest_ratio: { postgres: 0.4, pglite: 0.33 },
  ingest_p99_ms: 60,
  api_ratio: 0.3,
  pipeline_p50_ms: 15,
  status_backlog_s: 30,
  inbound_per_s: 500,
};
/** PostgreSQL server to run Switchboard on instead of the embedded database (a scratch database per run). */
const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL;
/** Directory for a V8 CPU profile of the Switchboard process (`--cpu-prof`). */
const BENCH_PROFILE = process.env.BENCH_PROFILE;

async function load(url: string, headers: Record<string, string> = {}): Promise<Load> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers });
  return {
    rps: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/** Every process the bench started, stopped when it ends however it ends (a failed scenario leaves none behind). */
const children = new Set<ChildProcess>();

function spawnNode(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  let buffer = '';
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      buffer += d;
      for (const line of buffer.split('\n')) if (line.includes('"port"')) resolve(line);
    });
    child.on('exit', (code) => reject(new Error(`process exited with ${code}`)));
  });
  return { child, firstLine };
}

/** Starts `node src/main.ts` and resolves once /readyz answers; `readyMs` is spawn → ready. */
async function startSwitchboard(dataDir: string, extraEnv: Record<string, string> = {}) {
  const started = performance.now();
  const profile = BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      DATA_DIR: dataDir,
      // Passed through when set: WORKER_BATCH_SIZE=1 (one job per fetch; the default takes 8), and
      // EMBEDDED_VACUUM_INTERVAL_MS=0 / EMBEDDED_WAL_SYNC=false (the embedded database without its vacuum / WAL sync).
      ...Object.fromEntries(
        ['WORKER_BATCH_SIZE', 'EMBEDDED_VACUUM_INTERVAL_MS', 'EMBEDDED_WAL_SYNC'].flatMap((name) => {
          const value = process.env[name];
          return value ? [[name, value]] : [];
        }),
      ),
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: 'b'.repeat(40),
      API_RATE_LIMIT_PER_MINUTE: '10000000',
      METRICS_TOKEN: BENCH_METRICS_TOKEN,
      // BENCH_WORKERS=false: an ingest-only Switchboard (no job workers), to separate their cost from the path's.
      ...(process.env.BENCH_WORKERS ? { WORKERS: process.env.BENCH_WORKERS } : {}),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  let banner = '';
  let port = 0;
  const onData = (d: Buffer) => {
    banner += d;
    const m = /"msg":"switchboard listening"/.test(banner) ? /"port":(\d+)/.exec(banner) : null;
    if (m) {
      port = Number(m[1]);
      child.stdout?.off('data', onData);
      child.stdout?.resume(); // Keep draining request logs without holding them.
    }
  };
  child.stdout?.on('data', onData);
  const deadline = Date.now() + 180_000; // a first start on a busy machine can take a minute
  while (!port && Date.now() < deadline && child.exitCode === null)
    await new Promise((r) => setTimeout(r, 5));
  if (!port) throw new Error(`switchboard did not start: ${banner}`);
  const url = `http://127.0.0.1:${port}`;
  while (Date.now() < deadline && !(await fetch(`${url}/readyz`).catch(() => undefined))?.ok) {
    await new Promise((r) => setTimeout(r, 5));
  }
  return { child, url, banner, readyMs: performance.now() - started, readyCpuMs: cpuMs(child) };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A fresh database on the PostgreSQL server named by BENCH_DATABASE_URL; returns its URL and a dropper. */
async function scratchDatabase(serverUrl: string) {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const name = `sb_bench_${process.pid}`;
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    /** Drops the scratch database, or keeps it for inspection (BENCH_KEEP_DATABASE). */
    drop: async () => {
      if (process.env.BENCH_KEEP_DATABASE) process.stderr.write(`kept database ${url.toString()}\n`);
      else await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/**
 * CPU time (user + system) a child has used so far, in ms, from /proc (Linux; 0 elsewhere). Unlike wall time it
 * barely moves when other work shares the machine, so it compares runs on a loaded box.
 */
function cpuMs(child: ChildProcess): number {
  return child.pid === undefined ? 0 : processCpuMs(child.pid).ms;
}

/** A process's command name and CPU ms (user + system) from /proc; 0 when it is gone. */
function processCpuMs(pid: number): { command: string; ms: number } {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { command, ms: Math.round(((Number(fields[11]) + Number(fields[12])) * 1000) / 100) };
  } catch {
    return { command: '', ms: 0 };
  }
}

/**
 * CPU ms of every PostgreSQL process on this machine by pid (the bench's database is on 127.0.0.1), or undefined
 * on the embedded database (it runs inside Switchboard).
 */
function databaseCpu(): Map<number, number> | undefined {
  if (!BENCH_DATABASE_URL) return undefined;
  const byPid = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const { command, ms } = processCpuMs(Number(entry));
    if (command === 'postgres') byPid.set(Number(entry), ms);
  }
  return byPid;
}

/**
 * The database's CPU ms since `before`: each process still there counts what it used since (one started since,
 * all of it). A backend that exits in between takes its share along, so the figure can only read low.
 */
function databaseCpuSince(before: Map<number, number> | undefined): number | undefined {
  const after = databaseCpu();
  if (!before || !after) return undefined;
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/**
 * Runs a webhook load and adds the server's CPU ms per accepted event over the load window (workers included),
 * and on PostgreSQL the database's.
 */
async function withCpu<T extends { accepted_per_s: number }>(child: ChildProcess, run: () => Promise<T>) {
  const before = cpuMs(child);
  const databaseBefore = databaseCpu();
  const result = await run();
  const accepted = result.accepted_per_s * DURATION_S;
  const perAccepted = (ms: number) => (accepted ? Math.round((ms / accepted) * 1000) / 1000 : null);
  const database = databaseCpuSince(databaseBefore);
  return {
    ...result,
    server_cpu_ms_per_accepted: perAccepted(cpuMs(child) - before),
    ...(database !== undefined ? { database_cpu_ms_per_accepted: perAccepted(database) } : {}),
  };
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

/** Wait after start before the idle window. */
const IDLE_SETTLE_MS = 15_000;
/** Length of each idle measurement window. */
const IDLE_S = 15;

/** CPU ms per second, over IDLE_S of idleness, of `child` (when given) and of the PostgreSQL processes. */
async function idleCpu(child?: ChildProcess) {
  const server = child ? cpuMs(child) : 0;
  const database = databaseCpu();
  await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
  const perSecond = (ms: number) => Math.round((ms / IDLE_S) * 10) / 10;
  const databaseMs = databaseCpuSince(database);
  return {
    server_cpu_ms_per_s: child ? perSecond(cpuMs(child) - server) : null,
    database_cpu_ms_per_s: databaseMs === undefined ? null : perSecond(databaseMs),
  };
}

async function main() {
  const wanted = new Set(process.argv.slice(2));
  const run = (name: string) => wanted.size === 0 || wanted.has(name);
  const results: Record<string, unknown> = {
    machine: { cpus: os.cpus().length, node: process.version },
    duration_s: DURATION_S,
  };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
  const scratch = BENCH_DATABASE_URL ? await scratchDatabase(BENCH_DATABASE_URL) : undefined;
  const databaseEnv: Record<string, string> = scratch ? { DATABASE_URL: scratch.url } : {};
  results.database = scratch ? 'postgres' : 'pglite';
  try {
    // Two raw node:http baselines, driven by the same load generator and connections as what they frame: an
    // empty GET (for http and api) and a POST of the ingest scenario's own signed ~1.2 KB bodies, read whole and
    // answered 200 (for every webhook scenario).
    const raw = spawnNode(['bench/raw-server.ts'], {});
    const rawUrl = `http://127.0.0.1:${JSON.parse(await raw.firstLine).port}`;
    const baseline = await load(rawUrl);
    results.baseline_raw_get = baseline;
    const rawWebhook = await measureWebhookIngest(rawUrl, DURATION_S, CONNECTIONS, loopbackRequest);
    const webhookBaseline = { ...rawWebhook, rps: rawWebhook.accepted_per_s };
    results.baseline_raw_webhook = webhookBaseline;
    // Kept running (idle) for the interleaved rounds, each framed by a raw run of its own.
    const rawWebhookNow = async () =>
      (await measureWebhookIngest(rawUrl, DURATION_S, CONNECTIONS, loopbackRequest)).accepted_per_s;
    const spawnStarted = performance.now();
    spawnSync(process.execPath, ['-e', '']);
    const bareNodeMs = performance.now() - spawnStarted;

    const peer = await new BenchPeer().start();
    const botApi = await startTinyBotApi();
    const graphApi = await startTinyGraphApi();
    const twilioApi = await startTinyTwilioApi();
    // The SMTP sink replies go to: implicit TLS with a throwaway certificate the server is told to trust.
    const smtpSink = await new SmtpPeer('bench', 'bench-pass', true).start();
    // SendGrid's v3 API for the provider-webhook email variant: accepts every send.
    const sendgridApi = await new TinyApi(() => ({})).start();
    const switchboardEnv = {
      ...databaseEnv,
      TELEGRAM_API_ROOT: botApi.url,
      META_GRAPH_API_ROOT: graphApi.url,
      TWILIO_API_ROOT: twilioApi.url,
      TWILIO_MESSAGING_API_ROOT: twilioApi.url,
      EMAIL_TLS_CA_FILE: smtpSink.caFile,
      SENDGRID_API_ROOT: sendgridApi.url,
      TURN_DEBOUNCE_MS: 'loopback=0,telegram=0,whatsapp=0,email=0',
      LOOPBACK_CHANNEL_URL: peer.url,
      LOOPBACK_CHANNEL_SECRET: LOOPBACK_BENCH_SECRET,
    };
    // PostgreSQL's CPU with nothing attached: the baseline for what one idle Switchboard costs it.
    const quietDatabase = run('idle') && scratch ? await idleCpu() : undefined;
    const sb = await startSwitchboard(dataDir, switchboardEnv);
    const agentId = /Demo agent\s+(agent_\S+)/.exec(sb.banner)?.[1] ?? '';
    const token = /API token\s+(sb_pat_\S+)/.exec(sb.banner)?.[1] ?? '';
    const orgId = /Organization\s+(org_\S+)/.exec(sb.banner)?.[1] ?? '';
    const projectId = /Project\s+(proj\S*)/.exec(sb.banner)?.[1] ?? '';
    if (run('idle')) {
      // Settled first: start-up work (migrations, the first housekeeping pass; on the embedded database ~10 s of
      // CPU after /readyz) is not idleness.
      await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
      const idle = await idleCpu(sb.child);
      results.idle = {
        ...idle,
        ...(quietDatabase
          ? { database_cpu_ms_per_s_without_switchboard: quietDatabase.database_cpu_ms_per_s }
          : {}),
        window_s: IDLE_S,
      };
    }
    const rawGetNow = async () => (await load(rawUrl)).rps;
    if (run('http')) {
      const healthz = () => load(`${sb.url}/healthz`);
      results.http_healthz = summarize(await measureRounds(ROUNDS, rawGetNow, healthz, healthz));
    }
    if (run('api')) {
      const orgRead = () =>
        load(`${sb.url}/api/v1/organizations/${orgId}`, { authorization: `Bearer ${token}` });
      const read = summarize(await measureRounds(ROUNDS, rawGetNow, orgRead, orgRead));
      results.api_authenticated_read = {
        ...read,
        target_ratio: TARGETS.api_ratio,
        meets_target: read.ratio_vs_raw >= TARGETS.api_ratio && read.errors === 0,
      };
    }
    const ingestTarget = {
      target_ratio: TARGETS.ingest_ratio[scratch ? 'postgres' : 'pglite'],
      target_p99_ms: TARGETS.ingest_p99_ms,
    };
    if (run('ingest')) {
      // All in one process: the same process also runs the workers answering every message (no target of its own).
      const ingest = await withCpu(sb.child, () => measureIngest(sb.url, agentId, DURATION_S, CONNECTIONS));
      results.ingest = {
        ...ingest,
        process: process.env.BENCH_WORKERS === 'false' ? 'WORKERS=false' : 'all-in-one (workers on)',
        baseline_rps: webhookBaseline.rps,
        ratio_vs_raw: ratio(ingest.accepted_per_s, webhookBaseline.rps),
        targets_judged_on: 'ingest_front_tier',
      };
      await peer.drain();
    }
    if (run('pipeline')) {
      // CPU per round beside the latency: on two shared cores, what the other processes burn is latency too.
      const pipeline = await measurePipeline(sb.url, agentId, peer, () => {
        const server = cpuMs(sb.child);
        const database = databaseCpu();
        return () => ({
          server_cpu_ms: cpuMs(sb.child) - server,
          database_cpu_ms: databaseCpuSince(database),
        });
      });
      results.pipeline = { ...pipeline, target_p50_ms: TARGETS.pipeline_p50_ms };
    }
    // Backlogs: only when named (they post tens of thousands of webhooks); statuses need PostgreSQL.
    if (wanted.has('statuses') && scratch) {
      const messages = Number(process.env.BENCH_STATUS_MESSAGES ?? 10_000);
      const statuses = await measureStatusBacklog(
        sb.url,
        scratch.url,
        agentId,
        LOOPBACK_BENCH_SECRET,
        messages,
        () => cpuMs(sb.child),
      );
      // The target is for 30,000 statuses (the default 10,000 messages).
      results.status_backlog = { ...statuses, target_total_s: TARGETS.status_backlog_s };
    }
    if (wanted.has('inbound-backlog')) {
      const senders = Number(process.env.BENCH_INBOUND_SENDERS ?? 5_000);
      const inbound = await measureInboundBacklog(
        sb.url,
        agentId,
        LOOPBACK_BENCH_SECRET,
        peer,
        senders,
        () => cpuMs(sb.child),
        scratch?.url,
      );
      results.inbound_backlog = { ...inbound, target_turned_per_s: TARGETS.inbound_per_s };
      await peer.drain();
    }
    // 10,000 conversations: only when named.
    if (wanted.has('inbox')) {
      const email = /Login email\s+(\S+)/.exec(sb.banner)?.[1];
      const password = /Login password\s+(\S+)/.exec(sb.banner)?.[1];
      results.inbox = await measureInbox(
        sb.url,
        token,
        { org: orgId, project: projectId },
        email && password ? { email, password } : undefined,
        scratch
          ? { kind: 'sql', databaseUrl: scratch.url }
          : { kind: 'webhook', secret: LOOPBACK_BENCH_SECRET, peer },
        { small: 100, large: Number(process.env.BENCH_INBOX_CONVERSATIONS ?? 10_000) },
      );
      await peer.drain();
    }
    if (run('telegram')) {
      await configureTelegram(sb.url, token, { org: orgId, project: projectId, agent: agentId });
      const telegram = await withCpu(sb.child, () =>
        measureTelegramIngest(sb.url, agentId, DURATION_S, CONNECTIONS),
      );
      results.telegram = { ...telegram, ratio_vs_raw: ratio(telegram.accepted_per_s, webhookBaseline.rps) };
      await botApi.drain();
    }
    if (run('whatsapp')) {
      await configureWhatsApp(sb.url, token, { org: orgId, project: projectId, agent: agentId });
      const whatsapp = await withCpu(sb.child, () =>
        measureWhatsAppIngest(sb.url, agentId, DURATION_S, CONNECTIONS),
      );
      results.whatsapp = { ...whatsapp, ratio_vs_raw: ratio(whatsapp.accepted_per_s, webhookBaseline.rps) };
      await graphApi.drain();
      // The same agent switched to Twilio: form bodies signed over URL + sorted parameters.
      await configureWhatsAppTwilio(sb.url, token, { org: orgId, project: projectId, agent: agentId });
      const twilio = await measureWhatsAppTwilioIngest(sb.url, agentId, DURATION_S, CONNECTIONS);
      results.whatsapp_twilio = {
        ...twilio,
        ratio_vs_raw: ratio(twilio.accepted_per_s, webhookBaseline.rps),
        ratio_vs_meta: ratio(twilio.accepted_per_s, whatsapp.accepted_per_s),
      };
      await twilioApi.drain();
    }
    if (run('email')) {
      const ids = { org: orgId, project: projectId, agent: agentId };
      const secret = await configureEmail(sb.url, token, ids, smtpSink.port);
      const email = await withCpu(sb.child, () =>
        measureEmailIngest(sb.url, agentId, secret, DURATION_S, CONNECTIONS),
      );
      results.email = { ...email, ratio_vs_raw: ratio(email.accepted_per_s, webhookBaseline.rps) };
      await waitUntilQuiet(() => smtpSink.received.length);
      // The same pipeline behind a provider webhook: SendGrid Inbound Parse (parsed form rebuilt to MIME).
      const parseSecret = await configureSendgridEmail(sb.url, token, ids);
      const parse = await measureSendgridParseIngest(sb.url, agentId, parseSecret, DURATION_S, CONNECTIONS);
      results.email_sendgrid_parse = {
        ...parse,
        ratio_vs_raw: ratio(parse.accepted_per_s, webhookBaseline.rps),
      };
      await sendgridApi.drain();
    }
    await stop(sb.child);
    if (run('ingest') || wanted.has('ingest-front')) {
      // Issue 19's durable-ingest figure: the front tier of the scale-out shape, judged against its targets; and
      // the same tier with every webhook through Hono (WEBHOOK_FAST_LANE=false), as the before of the fast lane.
      let variant = 0;
      const frontTier = (env: Record<string, string>) =>
        measureFrontTier({
          variant: variant++,
          start: (extra) => startSwitchboard(dataDir, { ...switchboardEnv, ...env, ...extra }),
          stop,
          withCpu,
          agentId,
          durationS: DURATION_S,
          connections: CONNECTIONS,
          databaseUrl: scratch?.url,
          dataDir,
          baseline: rawWebhookNow,
          rounds: ROUNDS,
        });
      const viaHono = await frontTier({ WEBHOOK_FAST_LANE: 'false' });
      results.ingest_front_tier_via_hono = viaHono;
      // The embedded database syncs its WAL before each acknowledgement; this is the same tier without (the before).
      if (!scratch) {
        const unsynced = await frontTier({ EMBEDDED_WAL_SYNC: 'false' });
        results.ingest_front_tier_wal_unsynced = unsynced;
      }
      // The prototype of the design in the same frame: what this machine allows the design itself.
      const prototype = await measurePrototype({
        spawn: (env) => spawnNode(['bench/prototype-ingest.ts'], env),
        stop,
        withCpu,
        baseline: rawWebhookNow,
        rounds: ROUNDS,
        durationS: DURATION_S,
        connections: CONNECTIONS,
        databaseUrl: scratch?.url,
        dataDir,
      });
      results.ingest_prototype = prototype;
      const front = await frontTier({});
      const frontRatio = front.ratio_vs_raw;
      results.ingest_front_tier = {
        ...front,
        ...(scratch ? {} : { wal_synced: true }),
        ratio_vs_via_hono: ratio(front.accepted_per_s, viaHono.accepted_per_s),
        ratio_vs_prototype: ratio(front.accepted_per_s, prototype.accepted_per_s),
        ...ingestTarget,
        meets_targets_on: 'durable ingest (verified, committed, enqueued before the 2xx) into the front tier',
        meets_targets:
          frontRatio >= ingestTarget.target_ratio &&
          front.p99_ms <= ingestTarget.target_p99_ms &&
          front.acknowledged_not_stored === 0 &&
          front.stored_not_processed === 0,
      };
    }
    await peer.close();
    await botApi.close();
    await graphApi.close();
    await twilioApi.close();
    await smtpSink.close();
    await sendgridApi.close();
    if (run('startup')) {
      const warm = await startSwitchboard(dataDir, databaseEnv);
      await stop(warm.child);
      results.startup = {
        cold_ready_ms: Math.round(sb.readyMs),
        warm_ready_ms: Math.round(warm.readyMs),
        bare_node_ms: Math.round(bareNodeMs),
        warm_ratio_vs_bare_node: ratio(warm.readyMs, bareNodeMs),
        cold_ready_cpu_ms: sb.readyCpuMs,
        warm_ready_cpu_ms: warm.readyCpuMs,
      };
    }
  } finally {
    await Promise.all([...children].map(stop));
    fs.rmSync(dataDir, { recursive: true, force: true });
    await scratch?.drop();
  }
  for (const [key, value] of Object.entries(results))
    process.stdout.write(`${key}: ${JSON.stringify(value)}\n`);
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

await main();
