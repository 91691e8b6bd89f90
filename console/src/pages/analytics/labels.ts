import { cssColor } from './chart.tsx';
import { bucketLabel } from './range.ts';
import type { Analytics } from './types.ts';

/** Bucket labels for a response: short ones for chart axes, long ones (with the year when it varies) for tables. */
export type Labels = { short: string[]; long: (bucket: string) => string };

export function labelsOf(data: Analytics): Labels {
  const years = new Set(data.buckets.map((bucket) => bucket.slice(0, 4)));
  const withYear = years.size > 1;
  return {
    short: data.buckets.map((bucket) =>
      bucketLabel(bucket, data.interval === 'week' ? 'day' : data.interval, withYear),
    ),
    long: (bucket) => bucketLabel(bucket, data.interval, withYear),
  };
}

const CHANNEL_FALLBACK: Record<string, string> = {
  whatsapp: '#128c4b',
  telegram: '#1c7cbf',
  email: '#6b4fbb',
  website: '#b34a00',
};

/** A channel's colour: base.css's `--<channel>` variable. */
export const channelColor = (channel: string) =>
  cssColor(`--${channel}`, CHANNEL_FALLBACK[channel] ?? '#555b66');
