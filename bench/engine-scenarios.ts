/** Engine benchmarks: durable webhook ingest throughput, and inbound → reply latency through the loopback channel. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signLoopback } from '../src/channels/loopback/protocol.ts';
import { measureWebhookIngest, type WebhookRequest, waitUntilQuiet } from './webhook-load.ts';

export const LOOPBACK_BENCH_SECRET = 'bench-loopback-secret-0123456789';
/** Distinct senders the ingest load cycles through. */
const INGEST_USERS = 1000;
/** Measured pipeline rounds (BENCH_PIPELINE_ROUNDS: more for a steadier median on a noisy machine). */
const PIPELINE_ROUNDS = Number(process.env.BENCH_PIPELINE_ROUNDS ?? 100);
/** Unmeasured rounds first, so the figure is the steady state, not the JIT and caches warming up. */
const PIPELINE_WARMUP_ROUNDS = 20;

/** The loopback provider for benchmarks: answers sends and notes when each chat got its reply. */
export class BenchPeer {
  private server?: Server;
  private readonly waiting = new Map<string, (at: number) => void>();
  sends = 0;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = performance.now();
        this.sends++;
        const { chat_id } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { chat_id: string };
        this.waiting.get(chat_id)?.(at);
        this.waiting.delete(chat_id);
        res.writeHead(200, { 'content-type': 'application/json' }).end(`{"message_id":"b${this.sends}"}`);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Resolves with the time the next send to `chatId` arrives (bounded by `timeoutMs`). */
  replyTo(chatId: string, timeoutMs = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${chatId}`)), timeoutMs);
      this.waiting.set(chatId, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }

  /** Waits until sends stop arriving (the ingest backlog is answered), at most 120 s. */
  drain(): Promise<void> {
    return waitUntilQuiet(() => this.sends);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/** Every DUPLICATE_EVERY-th request redelivers an earlier update (5%), as providers do after a slow ack. */
const DUPLICATE_EVERY = 20;
/** Message text that brings each signed JSON body to about 1.2 KB (a provider status/message webhook's size). */
const FILLER = 'The quick brown fox jumps over the lazy dog; '.repeat(25).slice(0, 1110);

/**
 * The ingest load's n-th request: a signed loopback update of ~1.2 KB from one of INGEST_USERS senders, 5% of
 * them repeating an update sent 10 requests earlier. The raw node:http baseline is driven with exactly these.
 */
export function loopbackRequest(n: number, prefix = 'bench'): WebhookRequest {
  const id = loopbackSeq(n);
  const body = JSON.stringify({
    update_id: loopbackUpdateId(n, prefix),
    message: {
      from: `bench${id % INGEST_USERS}`,
      name: `Bench user ${id % INGEST_USERS}`,
      text: `${id} ${FILLER}`,
    },
  });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-loopback-signature': signLoopback(body, LOOPBACK_BENCH_SECRET),
    },
  };
}

/** The update id of the ingest load's n-th request: every DUPLICATE_EVERY-th repeats the one 10 requests back. */
export function loopbackUpdateId(n: number, prefix = 'bench'): string {
  return `${prefix}-${process.pid}-${loopbackSeq(n)}`;
}

const loopbackSeq = (n: number) => (n % DUPLICATE_EVERY === 0 && n > 10 ? n - 10 : n);

/**
 * Signed inbound events (loopbackRequest) as fast as the server acknowledges them. `prefix` keeps one run's
 * update ids apart from another's (same length as 'bench', so bodies keep their size); `onAck` gets each
 * acknowledged update id.
 */
export function measureIngest(
  url: string,
  agentId: string,
  durationS: number,
  connections: number,
  prefix = 'bench',
  onAck?: (updateId: string) => void,
) {
  return measureWebhookIngest(
    `${url}/api/v1/channels/webhooks/loopback/${agentId}`,
    durationS,
    connections,
    (n) => loopbackRequest(n, prefix),
    onAck && ((n) => onAck(loopbackUpdateId(n, prefix))),
  );
}

/**
 * One event at a time from a fresh sender: time from posting it to the loopback peer receiving the reply.
 * `measureCpu` starts a CPU window at the first measured round; its result (CPU ms by process) is given per round.
 */
export async function measurePipeline(
  url: string,
  agentId: string,
  peer: BenchPeer,
  measureCpu?: () => () => Record<string, number | undefined>,
) {
  const samples: number[] = [];
  let cpuSince: (() => Record<string, number | undefined>) | undefined;
  for (let i = -PIPELINE_WARMUP_ROUNDS; i < PIPELINE_ROUNDS; i++) {
    if (i === 0) cpuSince = measureCpu?.();
    const from = `pipe${process.pid}-${i}`;
    const reply = peer.replyTo(from);
    const body = JSON.stringify({ update_id: `pipe-${process.pid}-${i}`, message: { from, text: 'ping' } });
    const started = performance.now();
    const res = await fetch(`${url}/api/v1/channels/webhooks/loopback/${agentId}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-loopback-signature': signLoopback(body, LOOPBACK_BENCH_SECRET),
      },
      body,
    });
    if (res.status !== 200) throw new Error(`pipeline post answered ${res.status}`);
    const elapsed = (await reply) - started;
    if (i >= 0) samples.push(elapsed);
  }
  const cpu = Object.entries(cpuSince?.() ?? {}).flatMap(([name, ms]) =>
    ms === undefined ? [] : [[`${name}_per_round`, Math.round((ms / PIPELINE_ROUNDS) * 100) / 100]],
  );
  samples.sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    rounds: PIPELINE_ROUNDS,
    warmup_rounds: PIPELINE_WARMUP_ROUNDS,
    p50_ms: round(percentile(samples, 0.5)),
    p99_ms: round(percentile(samples, 0.99)),
    ...Object.fromEntries(cpu),
  };
}
