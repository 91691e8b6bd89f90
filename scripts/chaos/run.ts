/**
 * `npm run chaos`: 3 Switchboard processes on one (private) PostgreSQL behind HAProxy, a steady load of signed
 * webhooks from providers that redeliver, and faults during the run: a random process SIGKILLed and restarted
 * every few seconds, PostgreSQL down for a few seconds once (a fourth process started meanwhile must wait for it
 * and then serve), the provider answering 429 and then 503 for a while. Then it
 * checks that every acknowledged message was answered exactly once and in order, and that nothing is
 * half-written, and prints the figures. Bounded in time; exits 1 when an assertion fails.
 *
 * CHAOS_DURATION_S (45) sets the load's length; CHAOS_SENDERS (20) the concurrent senders.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../test/helpers/free-port.ts';
import { Fleet } from './fleet.ts';
import { LoadBalancer } from './haproxy.ts';
import { runLoad } from './load.ts';
import { ChaosPeer } from './peer.ts';
import { PrivateCluster } from './postgres.ts';
import { checkDatabase, checkReplies } from './verify.ts';

const DURATION_S = Number(process.env.CHAOS_DURATION_S ?? 45);
const SENDERS = Number(process.env.CHAOS_SENDERS ?? 20);
const PROCESSES = 3;
const KILL_EVERY_MS = 5_000;
const PROVIDER_FAULT_MS = 3_000;
/** How long PostgreSQL stays down in its fault. */
const POSTGRES_DOWN_MS = 2_000;
const DRAIN_LIMIT_MS = 120_000;
const SECRET = 'chaos-loopback-secret-0123456789';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `from`: when recovery is measured from, when not `at` (PostgreSQL: the moment it is up again). */
type Fault = { kind: string; at: number; from?: number; recoveredMs?: number };

/** Time from `at` to the first event after it, or undefined when none came. */
const firstAfter = (times: number[], at: number) => {
  const next = times.find((t) => t >= at);
  return next === undefined ? undefined : Math.round(next - at);
};

async function main(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-chaos-'));
  const cluster = new PrivateCluster(await freePort());
  const peer = await new ChaosPeer().start();
  const ports = await Promise.all(Array.from({ length: PROCESSES }, freePort));
  const fleetEnv = {
    DATABASE_URL: cluster.url,
    DATABASE_POOL_MAX: '8',
    JWT_SECRET: randomBytes(24).toString('hex'),
    CHANNEL_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOOPBACK_CHANNEL_URL: peer.url,
    LOOPBACK_CHANNEL_SECRET: SECRET,
    TURN_DEBOUNCE_MS: 'loopback=0',
    DELIVERY_MAX_ATTEMPTS: '20',
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '5000',
  };
  const fleet = new Fleet(ports, fleetEnv, dir);
  // Started while PostgreSQL is down; not behind the balancer.
  const joinerDir = path.join(dir, 'joiner');
  fs.mkdirSync(joinerDir);
  const joiner = new Fleet([await freePort()], fleetEnv, joinerDir);
  let joinerReadyMs: number | undefined;
  const balancer = new LoadBalancer(await freePort(), ports, dir);
  const faults: Fault[] = [];
  try {
    cluster.start();
    await fleet.start(0);
    const agentId = /Demo agent\s+(agent_\S+)/.exec(fleet.banner)?.[1];
    if (!agentId) throw new Error('no demo agent in the first-run banner');
    await Promise.all(ports.slice(1).map((_, i) => fleet.start(i + 1)));
    await balancer.start();

    const began = performance.now();
    const stopAt = began + DURATION_S * 1000;
    const loadRun = runLoad({
      url: balancer.url,
      agentId,
      secret: SECRET,
      senders: SENDERS,
      stopAt,
      hardStop: stopAt + DRAIN_LIMIT_MS,
    });

    const restarts: number[] = [];
    const at = (fraction: number) =>
      sleep(Math.max(0, began + DURATION_S * 1000 * fraction - performance.now()));
    const kills = (async () => {
      while (performance.now() < stopAt - KILL_EVERY_MS) {
        await sleep(KILL_EVERY_MS);
        const victim = Math.floor(Math.random() * PROCESSES);
        faults.push({ kind: `sigkill sb${victim}`, at: performance.now() });
        await fleet.kill(victim);
        await sleep(1000);
        restarts.push(Math.round(await fleet.start(victim)));
      }
    })();
    const postgres = at(0.4).then(async () => {
      const fault: Fault = { kind: 'postgres restart', at: performance.now() };
      faults.push(fault);
      cluster.stop();
      // A process starting now must wait for the database (DATABASE_STARTUP_WAIT_MS), not exit: start throws if it does.
      const joining = joiner.start(0);
      await sleep(POSTGRES_DOWN_MS);
      cluster.resume();
      fault.from = performance.now();
      joinerReadyMs = Math.round(await joining);
    });
    const provider = at(0.6).then(async () => {
      peer.failFor('429', PROVIDER_FAULT_MS);
      faults.push({ kind: 'provider 429', at: performance.now() });
      await sleep(PROVIDER_FAULT_MS);
      peer.failFor('5xx', PROVIDER_FAULT_MS);
      faults.push({ kind: 'provider 503', at: performance.now() });
    });

    const [load] = await Promise.all([loadRun, kills, postgres, provider]);
    const drainStart = performance.now();
    for (;;) {
      const state = await checkDatabase(cluster.url);
      // Drained: every recorded event processed, every message answered, every reply sent.
      const drained =
        state.inbound_events_unprocessed + state.unanswered_inbound + state.queued_outbound === 0;
      if (drained || performance.now() - drainStart > DRAIN_LIMIT_MS) break;
      await sleep(250);
    }
    const drainMs = Math.round(performance.now() - drainStart);
    await sleep(1000); // Late sends, if any, would arrive now.

    const acceptTimes = peer.accepted.map((s) => s.at);
    const ackTimes = [...load.ackedAt.values()];
    for (const fault of faults) {
      const times = fault.kind.startsWith('provider') ? acceptTimes : ackTimes;
      const from = fault.kind === 'provider 503' ? fault.at + PROVIDER_FAULT_MS : (fault.from ?? fault.at);
      const recovered = firstAfter(times, from);
      if (recovered !== undefined) fault.recoveredMs = recovered;
    }
    const replies = await checkReplies(cluster.url, load, peer.accepted);
    const database = await checkDatabase(cluster.url);
    const pgRestart = faults.find((f) => f.kind === 'postgres restart');
    const report = {
      duration_s: DURATION_S,
      senders: SENDERS,
      processes: PROCESSES,
      acknowledged: replies.acknowledged,
      acknowledged_per_s: Math.round(replies.acknowledged / DURATION_S),
      replies_accepted: peer.accepted.length,
      lost: replies.lost,
      missing: replies.missing,
      duplicate: replies.duplicate,
      out_of_order: replies.outOfOrder,
      // From each acknowledgement to the provider accepting its reply: the tail is what a fault cost a person.
      reply_latency_ms: latencySummary(replies.replyLatencies),
      undelivered: replies.undelivered,
      phantom: replies.phantom,
      unacknowledged_at_end: load.unacked,
      responses: Object.fromEntries(load.statuses),
      answered_503_then_redelivered: load.redeliveredAfter503,
      answered_503_during_postgres_restart: pgRestart
        ? load.times503.filter((t) => t >= pgRestart.at && t <= pgRestart.at + 30_000).length
        : 0,
      provider_refused_sends: peer.refused,
      provider_deduplicated_resends: peer.resentKeys,
      sigkills: fleet.kills,
      restart_ready_ms: restarts,
      started_while_postgres_down_ready_ms: joinerReadyMs ?? null,
      faults: faults.map((f) => ({ kind: f.kind, recovered_ms: f.recoveredMs ?? null })),
      drain_ms: drainMs,
      database,
    };
    const failures = [
      replies.lost > 0 && `${replies.lost} acknowledged messages lost`,
      replies.missing > 0 && `${replies.missing} acknowledged messages never answered`,
      replies.undelivered > 0 && `${replies.undelivered} stored replies never reached the provider`,
      replies.phantom > 0 && `${replies.phantom} sends that match no stored reply`,
      replies.duplicate > 0 && `${replies.duplicate} messages answered twice`,
      replies.outOfOrder > 0 && `${replies.outOfOrder} replies out of order`,
      load.unacked > 0 && `${load.unacked} messages never acknowledged despite redelivery`,
      replies.acknowledged === 0 && 'nothing was acknowledged',
      ...Object.entries(database).map(([k, v]) => v > 0 && `${k}: ${v}`),
      faults.some((f) => f.recoveredMs === undefined) && 'a fault was never recovered from',
    ].filter(Boolean);
    for (const [key, value] of Object.entries(report))
      process.stdout.write(`${key}: ${JSON.stringify(value)}\n`);
    process.stdout.write(`${JSON.stringify({ ...report, failures })}\n`);
    if (failures.length > 0) {
      process.stderr.write(`chaos: FAILED\n  ${failures.join('\n  ')}\nlogs in ${dir}\n`);
      return 1;
    }
    process.stdout.write('chaos: passed\n');
    return 0;
  } finally {
    balancer.stop();
    await Promise.all([fleet.stopAll(), joiner.stopAll()]);
    await peer.close();
    cluster.destroy();
  }
}

/** p50, p99 and max of ascending milliseconds, rounded. */
function latencySummary(sorted: number[]) {
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50: at(0.5), p99: at(0.99), max: Math.round(sorted.at(-1) ?? 0) };
}

process.exitCode = await main();
