import fs from 'node:fs';
import { afterAll, expect } from 'vitest';
import { migratedDataDir } from './database.ts';
import { eventually, LOOPBACK_SECRET, LoopbackPeer, postLoopback } from './loopback-peer.ts';
import { listeningUrl, PROCESS_WAIT_MS, type ServerProcess, spawnServer } from './process.ts';

const EVENTS = 200;
export const KILL_AFTER_ACKS = 80;
const CONCURRENCY = 8;
export const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Posts events (bounded concurrency) until done or `stopAfter` acknowledgements; returns acked ids. */
async function deliver(
  url: string,
  agentId: string,
  ids: number[],
  stopAfter = Infinity,
): Promise<Set<number>> {
  const acked = new Set<number>();
  const queue = [...ids];
  const worker = async () => {
    while (queue.length > 0 && acked.size < stopAfter) {
      const n = queue.shift() as number;
      const res = await postLoopback(url, agentId, {
        update_id: `crash-${n}`,
        message: { from: `user${n}`, text: `event ${n}` },
      }).catch(() => undefined);
      if (res?.status === 200) acked.add(n);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return acked;
}

/**
 * SIGKILLs a server after KILL_AFTER_ACKS acknowledged loopback events, restarts it, lets the provider redeliver
 * everything, and checks every event is answered by exactly one reply. Cleanups run after the file.
 */
export async function crashScenario(env: Record<string, string>) {
  const peer = await new LoopbackPeer().start();
  cleanups.push(() => peer.close());
  const dataDir = migratedDataDir('sb-crash-');
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const serverEnv = {
    DATA_DIR: dataDir,
    JWT_SECRET: 'x'.repeat(40),
    LOOPBACK_CHANNEL_URL: peer.url,
    LOOPBACK_CHANNEL_SECRET: LOOPBACK_SECRET,
    TURN_DEBOUNCE_MS: 'loopback=0',
    ...env,
  };
  const start = (): ServerProcess => {
    const server = spawnServer(serverEnv);
    cleanups.push(() => {
      server.child.kill('SIGKILL');
    });
    return server;
  };
  const first = start();
  const url = await listeningUrl(first);
  const agentId = /Demo agent\s+(agent_\S+)/.exec(first.stdout())?.[1] as string;
  expect(agentId).toBeTruthy();

  const all = Array.from({ length: EVENTS }, (_, i) => i);
  const ackedBeforeKill = await deliver(url, agentId, all, KILL_AFTER_ACKS);
  first.child.kill('SIGKILL');
  await first.exited;
  const answeredBeforeKill = new Set(peer.delivered().map((s) => s.chatId)).size;

  const second = start();
  const url2 = await listeningUrl(second);
  const restartedAt = performance.now();
  // The provider redelivers whatever was not acknowledged (and some that were: duplicates must be dropped).
  const redelivered = await deliver(url2, agentId, all);
  expect(redelivered.size).toBe(EVENTS);

  await eventually(
    () => (new Set(peer.delivered().map((s) => s.chatId)).size >= EVENTS ? true : undefined),
    PROCESS_WAIT_MS,
  );
  // Printed, not asserted: on PostgreSQL the killed process's jobs wait for their heartbeat to lapse.
  const allAnsweredAfterRestartMs = Math.round(performance.now() - restartedAt);
  await new Promise((r) => setTimeout(r, 500));
  const keysByUser = new Map<string, Set<string>>();
  for (const send of peer.delivered()) {
    keysByUser.set(send.chatId, (keysByUser.get(send.chatId) ?? new Set()).add(send.key));
  }
  // Every event answered, each by exactly one reply (one idempotency key per user).
  expect(keysByUser.size).toBe(EVENTS);
  expect([...keysByUser.values()].filter((keys) => keys.size !== 1)).toEqual([]);
  return {
    ackedBeforeKill: ackedBeforeKill.size,
    answeredBeforeKill,
    resentSameKey: peer.sends.filter((s) => s.duplicate).length,
    allAnsweredAfterRestartMs,
  };
}
