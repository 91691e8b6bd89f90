import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PriorityGate } from '../../src/db/priority-gate.ts';
import { GroupCommit } from '../../src/engine/group-commit.ts';

type Item = { key: string; n: number };

/** A commit whose batches are released by hand, recording what each batch held. */
function manualCommit() {
  const batches: Item[][] = [];
  const releases: (() => void)[] = [];
  const commit = (items: Item[]) =>
    new Promise<number[]>((resolve) => {
      batches.push(items);
      releases.push(() => resolve(items.map((item) => item.n)));
    });
  return { batches, releases, commit };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
/** Two turns of the event loop: a finished commit's follow-up batch is taken on the turn after it. */
const settle = async () => {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
};

describe('GroupCommit', () => {
  it('sends what queued during a commit as the next batch, with no timer', async () => {
    const { batches, releases, commit } = manualCommit();
    const group = new GroupCommit<Item, number>({ commit, maxBatch: 100 });
    const first = group.submit({ key: 'a', n: 1 });
    await settle();
    const later = [2, 3, 4].map((n) => group.submit({ key: String(n), n }));
    await settle();
    expect(batches.map((batch) => batch.map((item) => item.n))).toEqual([[1]]);
    releases[0]?.();
    expect(await first).toBe(1);
    await settle();
    expect(batches[1]?.map((item) => item.n)).toEqual([2, 3, 4]);
    releases[1]?.();
    expect(await Promise.all(later)).toEqual([2, 3, 4]);
  });

  it('runs up to `concurrency` commits at once, never two holding the same key, in submission order', async () => {
    const { batches, releases, commit } = manualCommit();
    const group = new GroupCommit<Item, number>({
      commit,
      keysOf: (item) => [item.key],
      maxBatch: 100,
      concurrency: 2,
    });
    const results = [group.submit({ key: 'a', n: 1 })];
    await settle();
    results.push(group.submit({ key: 'a', n: 2 }));
    await settle();
    results.push(group.submit({ key: 'b', n: 3 }));
    await settle();
    // 1 starts alone; 2 waits for it (same key) and so keeps its place; 3 has its own key and goes alongside.
    expect(batches.map((batch) => batch.map((item) => item.n))).toEqual([[1], [3]]);
    const more = group.submit({ key: 'b', n: 4 });
    releases[1]?.();
    await settle();
    // 3's commit is done: a slot is free, but 2 still waits for 1, so 4 (key b) goes.
    expect(batches.map((batch) => batch.map((item) => item.n))).toEqual([[1], [3], [4]]);
    releases[0]?.();
    await settle();
    expect(batches[3]?.map((item) => item.n)).toEqual([2]);
    releases[2]?.();
    releases[3]?.();
    expect(await Promise.all([...results, more])).toEqual([1, 2, 3, 4]);
  });

  it('batches what several callbacks of one event-loop phase submit, even when a commit completes at once', async () => {
    // The embedded database commits on this thread: a commit started by the first request's callback was over
    // before the next request was read, so every event went alone. Requests read together must share a batch.
    const batches: number[][] = [];
    const group = new GroupCommit<Item, number>({
      commit: async (items) => {
        batches.push(items.map((item) => item.n));
        return items.map((item) => item.n);
      },
      maxBatch: 100,
    });
    const submitted = await new Promise<Promise<number>[]>((resolve) => {
      const results: Promise<number>[] = [];
      // Three immediates queued together run in one check phase (microtasks run between them), like three sockets
      // read in one poll. (Timers due "at the same moment" were not: created across a millisecond boundary on a
      // loaded machine, they ran in two phases and the test failed once.)
      for (const n of [1, 2, 3]) {
        setImmediate(() => {
          results.push(group.submit({ key: String(n), n }));
          if (results.length === 3) resolve(results);
        });
      }
    });
    expect(await Promise.all(submitted)).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('retries a failed batch item by item so one bad item fails alone', async () => {
    const group = new GroupCommit<Item, number>({
      commit: async (items) => {
        if (items.some((item) => item.n < 0)) throw new Error('bad item');
        return items.map((item) => item.n);
      },
      maxBatch: 100,
    });
    const blocker = group.submit({ key: 'x', n: 0 });
    const outcomes = await Promise.allSettled([
      group.submit({ key: 'a', n: 1 }),
      group.submit({ key: 'b', n: -1 }),
      group.submit({ key: 'c', n: 2 }),
    ]);
    await blocker;
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});

describe('PriorityGate', () => {
  it('keeps the process alive while a background statement waits out a burst', () => {
    // The urgent statement ends a burst; the background one awaited right after is all that is left to do.
    const script = `
      import { PriorityGate } from ${JSON.stringify(path.resolve('src/db/priority-gate.ts'))};
      const gate = new PriorityGate();
      await gate.urgently(async () => {});
      await gate.background();
      console.log('ran');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stdout.trim()).toBe('ran');
    expect(child.status).toBe(0);
  });

  it('holds background statements while an urgent one runs, and lets them through after the burst', async () => {
    const gate = new PriorityGate();
    expect(gate.background()).toBeUndefined();
    let finishUrgent = () => {};
    const urgent = gate.urgently(() => new Promise<void>((resolve) => (finishUrgent = resolve)));
    let released = false;
    const waiting = gate.background();
    expect(waiting).toBeInstanceOf(Promise);
    void waiting?.then(() => (released = true));
    await nextTurn();
    expect(released).toBe(false);
    finishUrgent();
    await urgent;
    await waiting;
    expect(released).toBe(true);
  });

  it('never holds a background statement for long, even under a sustained urgent load', async () => {
    const gate = new PriorityGate();
    let stop = false;
    // Urgent statements back to back, bounded in time.
    const load = (async () => {
      const until = Date.now() + 10_000;
      while (!stop && Date.now() < until) await gate.urgently(() => new Promise((r) => setTimeout(r, 2)));
    })();
    await nextTurn();
    const waiting = gate.background();
    expect(waiting).toBeInstanceOf(Promise);
    await waiting; // Released by its deadline although the urgent load never paused.
    stop = true;
    await load;
  });
});
