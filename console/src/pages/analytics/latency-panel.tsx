import type { ChartConfiguration } from 'chart.js';
import { useMemo } from 'preact/hooks';
import { channelLabel } from '../../ui/channel-icon.tsx';
import { baseOptions, ChartCanvas } from './chart.tsx';
import { Count, Duration, NumbersTable } from './cells.tsx';
import type { Labels } from './labels.ts';
import type { Analytics } from './types.ts';

const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : ms / 1000);

/** Reply latency p50 and p95 per bucket (seconds), with the per-bucket and per-channel numbers. */
export function LatencyPanel(props: { data: Analytics; labels: Labels }) {
  const { data, labels } = props;
  const config = useMemo<ChartConfiguration>(() => {
    const options = baseOptions('Seconds');
    const byBucket = new Map(data.reply_latency.map((row) => [row.bucket, row]));
    const line = (
      key: 'p50_ms' | 'p95_ms',
      label: string,
      color: string,
      pointStyle: 'circle' | 'rectRot',
    ) => ({
      type: 'line' as const,
      label,
      data: data.buckets.map((bucket) => seconds(byBucket.get(bucket)?.[key])),
      borderColor: color,
      backgroundColor: color,
      pointRadius: 4,
      pointStyle,
      spanGaps: false,
    });
    return {
      type: 'line',
      data: {
        labels: labels.short,
        datasets: [
          line('p50_ms', 'Median (p50)', '#1f5fbf', 'circle'),
          line('p95_ms', 'p95', '#b3261e', 'rectRot'),
        ],
      },
      options: {
        ...options,
        plugins: { legend: { ...options.plugins.legend, labels: { usePointStyle: true } } },
      },
    };
  }, [data, labels]);

  return (
    <section class="panel" aria-labelledby="an-latency">
      <h2 id="an-latency">Reply latency</h2>
      <p class="panel-note muted">
        From a customer's first unanswered message to the reply being sent (agent or operator).
      </p>
      <ChartCanvas
        config={config}
        label={`Lines: median and 95th percentile reply latency per ${data.interval}`}
      />
      <NumbersTable
        name="latency"
        caption="reply latency per bucket"
        head={['Bucket', 'Waits', 'Answered', 'p50', 'p95']}
        rows={data.reply_latency.map((row) => [
          <time dateTime={row.bucket}>{labels.long(row.bucket)}</time>,
          <Count n={row.waits} />,
          <Count n={row.answered} />,
          <Duration ms={row.p50_ms} />,
          <Duration ms={row.p95_ms} />,
        ])}
      />
      <NumbersTable
        name="latency-channels"
        caption="reply latency per channel"
        head={['Channel', 'Waits', 'Answered', 'p50', 'p95']}
        rows={data.reply_latency_by_channel.map((row) => [
          channelLabel(row.channel),
          <Count n={row.waits} />,
          <Count n={row.answered} />,
          <Duration ms={row.p50_ms} />,
          <Duration ms={row.p95_ms} />,
        ])}
      />
    </section>
  );
}
