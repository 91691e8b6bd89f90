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

/**
 * `rounds` rounds of the raw baseline, then the measured load (same load generator, connections and duration);
 * the ratio is taken within each round and the medians reported, with every round's figures. The first round
 * runs on a cold process and usually reads lowest; the median keeps one such round from moving the result.
 */
export async function interleaved(
  rounds: number,
  baseline: () => Promise<Load>,
  measure: () => Promise<Load>,
) {
  const each: { raw: number; rps: number; ratio: number; p50_ms: number; p99_ms: number; errors: number }[] =
    [];
  for (let round = 0; round < rounds; round++) {
    const raw = await baseline();
    const load = await measure();
    each.push({ raw: raw.rps, ...load, ratio: Math.round((load.rps / raw.rps) * 100) / 100 });
  }
  return {
    rps: median(each.map((r) => r.rps)) ?? 0,
    p50_ms: median(each.map((r) => r.p50_ms)) ?? 0,
    p99_ms: median(each.map((r) => r.p99_ms)) ?? 0,
    errors: each.reduce((sum, r) => sum + r.errors, 0),
    baseline_rps: median(each.map((r) => r.raw)),
    ratio_vs_raw: median(each.map((r) => r.ratio)) ?? 0,
    rounds: each.map(({ raw, rps, ratio, p99_ms }) => ({ raw, rps, ratio, p99_ms })),
    frame: `median of ${each.length} interleaved rounds (raw node:http, then this); ratio within each round`,
  };
}
