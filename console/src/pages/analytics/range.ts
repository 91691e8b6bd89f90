import type { Interval } from './types.ts';

/** The range the page asks for: a preset of whole UTC days ending today, or custom dates (inclusive). */
export type RangeChoice =
  { kind: 'preset'; days: 7 | 30 | 90 } | { kind: 'custom'; fromDate: string; toDate: string };

export const PRESETS = [7, 30, 90] as const;
const DAY_MS = 86_400_000;
/** Hourly buckets are offered up to this many days (the API allows 800 buckets). */
export const MAX_HOURLY_DAYS = 31;

const midnight = (date: string) => Date.parse(`${date}T00:00:00Z`);
/** `YYYY-MM-DD` of a UTC instant. */
export const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);

/** `[from, to)` as ISO strings; undefined when custom dates are missing or reversed. */
export function resolve(choice: RangeChoice, now = Date.now()): { from: string; to: string } | undefined {
  if (choice.kind === 'preset') {
    const to = midnight(dayOf(now)) + DAY_MS;
    return { from: new Date(to - choice.days * DAY_MS).toISOString(), to: new Date(to).toISOString() };
  }
  const from = midnight(choice.fromDate);
  const to = midnight(choice.toDate) + DAY_MS;
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to) return undefined;
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

export const rangeDays = (range: { from: string; to: string }) =>
  Math.round((Date.parse(range.to) - Date.parse(range.from)) / DAY_MS);

/** The interval that fits a range when the chosen one would give too many buckets. */
export const fitInterval = (interval: Interval, days: number): Interval =>
  interval === 'hour' && days > MAX_HOURLY_DAYS ? 'day' : interval;

const formats: Record<Interval, Intl.DateTimeFormatOptions> = {
  hour: { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  day: { month: 'short', day: 'numeric' },
  week: { month: 'short', day: 'numeric' },
};

/** A bucket's label (UTC), e.g. "Mar 2", "Mar 2, 10:00", "Week of Mar 2". */
export function bucketLabel(bucket: string, interval: Interval, withYear = false): string {
  const text = new Intl.DateTimeFormat('en', {
    ...formats[interval],
    ...(withYear ? { year: 'numeric' } : {}),
    timeZone: 'UTC',
  }).format(new Date(bucket));
  return interval === 'week' ? `Week of ${text}` : text;
}
