/** Interleaved rounds: a baseline and the measured load back to back, the ratio taken within each round. */

/** The median of some numbers (the mean of the middle two for an even count); null when there are none. */
export function median(values: (number | null | undefined)[]): number | null {
  const sorted = values.filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  const value =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return Math.round(value * 1000) / 1000;
}

/** One load's figures, as bench/run.ts's `load` returns them. */
export type Load = { rps: number; p50_ms: number; p99_ms: number; errors: number };

/** A round: the measured load's figures, the raw baseline's rate just before it, and their ratio. */
export type Round<T extends Load> = T & { raw: number; ratio: number };

/**
 * `rounds` rounds of the raw baseline (its rate), then the measured load (same load generator, connections and
 * duration); the ratio is taken within each round. `warmup` runs once first and is not counted: a freshly started
 * process is still compiling its hot paths (its first rounds read 0.1 lower than its last, measured), while the
 * raw baseline has long been warm.
 */
export async function measureRounds<T extends Load>(
  rounds: number,
  baseline: () => Promise<number>,
  measure: (round: number) => Promise<T>,
  warmup?: () => Promise<unknown>,
): Promise<Round<T>[]> {
  await warmup?.();
  const each: Round<T>[] = [];
  for (let round = 0; round < rounds; round++) {
    const raw = await baseline();
    const load = await measure(round);
    each.push({ ...load, raw, ratio: Math.round((load.rps / raw) * 100) / 100 });
  }
  return each;
}

/** The medians of some rounds, with every round's figures; `what` names the measured load in the frame. */
export function summarize(each: Round<Load>[], what = 'this') {
  return {
    rps: median(each.map((r) => r.rps)) ?? 0,
    p50_ms: median(each.map((r) => r.p50_ms)) ?? 0,
    p99_ms: median(each.map((r) => r.p99_ms)) ?? 0,
    errors: each.reduce((sum, r) => sum + r.errors, 0),
    baseline_rps: median(each.map((r) => r.raw)),
    ratio_vs_raw: median(each.map((r) => r.ratio)) ?? 0,
    rounds: each.map(({ raw, rps, ratio, p99_ms }) => ({ raw, rps, ratio, p99_ms })),
    frame: `median of ${each.length} interleaved rounds (raw node:http, then ${what}); ratio within each round`,
  };
}
