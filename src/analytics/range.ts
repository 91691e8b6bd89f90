import { z } from '@hono/zod-openapi';
import { badRequest } from '../http/errors.ts';

/** Bucket widths, in UTC; a week starts on Monday (PostgreSQL's `date_trunc('week', …)`). */
export const INTERVALS = ['hour', 'day', 'week'] as const;
export type Interval = (typeof INTERVALS)[number];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const STEP_MS: Record<Interval, number> = { hour: HOUR_MS, day: DAY_MS, week: 7 * DAY_MS };

/** Range when `from` is omitted: this many days before `to`. */
export const DEFAULT_RANGE_DAYS = 30;
/** Longest range one request may cover. */
export const MAX_RANGE_DAYS = 400;
/** Most buckets one request may return (hourly: a little over a month). */
export const MAX_BUCKETS = 800;

const isoDateTime = (name: string) =>
  z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z' })
    .optional()
    .openapi({ param: { name, in: 'query' }, example: '2026-11-01T00:00:00Z' });

export const AnalyticsQuery = z.object({
  from: isoDateTime('from').openapi({
    description: `Start of the range, inclusive (default: ${DEFAULT_RANGE_DAYS} days before \`to\`)`,
  }),
  to: isoDateTime('to').openapi({ description: 'End of the range, exclusive (default: now)' }),
  interval: z
    .enum(INTERVALS)
    .default('day')
    .openapi({ description: 'Bucket width, UTC; weeks start on Monday', example: 'day' }),
});

export type AnalyticsRange = { from: Date; to: Date; interval: Interval; buckets: Date[] };

/** Start of the UTC bucket holding `at`: the same instant PostgreSQL's `date_trunc(interval, at, 'UTC')` gives. */
export function bucketStart(at: Date, interval: Interval): Date {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  if (interval === 'hour') return new Date(day + at.getUTCHours() * HOUR_MS);
  if (interval === 'day') return new Date(day);
  const sinceMonday = (at.getUTCDay() + 6) % 7;
  return new Date(day - sinceMonday * DAY_MS);
}

/**
 * Resolves the query into a bounded range and its bucket starts; 400 naming the field when `from` is not before
 * `to`, the range is longer than MAX_RANGE_DAYS, or the interval would give more than MAX_BUCKETS buckets.
 */
export function resolveRange(query: z.infer<typeof AnalyticsQuery>, now: Date): AnalyticsRange {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
  if (from.getTime() >= to.getTime()) throw badRequest('Invalid query: to: must be after from');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw badRequest(`Invalid query: from: the range may cover at most ${MAX_RANGE_DAYS} days`);
  }
  const first = bucketStart(from, query.interval);
  const count = Math.ceil((to.getTime() - first.getTime()) / STEP_MS[query.interval]);
  if (count > MAX_BUCKETS) {
    throw badRequest(
      `Invalid query: interval: ${query.interval} buckets over this range number ${count}, more than ${MAX_BUCKETS}; choose a wider interval or a shorter range`,
    );
  }
  const buckets = Array.from(
    { length: count },
    (_, index) => new Date(first.getTime() + index * STEP_MS[query.interval]),
  );
  return { from, to, interval: query.interval, buckets };
}
