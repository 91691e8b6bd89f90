/** Longest a retry-after header may ask for before it is ignored as nonsense (it is capped anyway). */
const RETRY_AFTER_SANE_MS = 24 * 3600 * 1000;

/**
 * Parses a `retry-after` value: delta-seconds ("1", "2.5") or an HTTP date. Returns milliseconds from `now`
 * (never negative), or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
  else {
    // HTTP dates name the month ("Wed, 21 Oct 2015 07:28:00 GMT"); this keeps "-5" from parsing as a year.
    if (!/[a-z]/i.test(v)) return undefined;
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  if (!Number.isFinite(ms) || ms > RETRY_AFTER_SANE_MS) return undefined;
  return Math.max(0, Math.ceil(ms));
}
