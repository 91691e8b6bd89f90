import type { ChartConfiguration } from 'chart.js';
import { useMemo } from 'preact/hooks';
import { channelLabel } from '../../ui/channel-icon.tsx';
import { baseOptions, ChartCanvas } from './chart.tsx';
import { Count, NumbersTable } from './cells.tsx';
import type { Labels } from './labels.ts';
import type { Analytics } from './types.ts';

/** Active and handed-off conversations per bucket (each counted once across channels), and open ones now. */
export function ConversationsPanel(props: { data: Analytics; labels: Labels }) {
  const { data, labels } = props;
  const config = useMemo<ChartConfiguration>(() => {
    const byBucket = new Map(data.conversations_per_bucket.map((row) => [row.bucket, row]));
    const bars = (key: 'active' | 'handed_off', label: string, color: string) => ({
      label,
      data: data.buckets.map((bucket) => byBucket.get(bucket)?.[key] ?? 0),
      backgroundColor: color,
    });
    return {
      type: 'bar',
      data: {
        labels: labels.short,
        datasets: [bars('active', 'Active', '#1f5fbf'), bars('handed_off', 'Handed off', '#b38600')],
      },
      options: baseOptions('Conversations'),
    };
  }, [data, labels]);

  return (
    <section class="panel" aria-labelledby="an-conversations">
      <h2 id="an-conversations">Conversations</h2>
      <p class="panel-note muted">
        Active: had a message. Handed off: an operator wrote, or a handoff started.
      </p>
      <ChartCanvas config={config} label={`Bars: active and handed-off conversations per ${data.interval}`} />
      <NumbersTable
        name="conversations"
        caption="conversations per bucket"
        head={['Bucket', 'Active', 'Handed off']}
        rows={data.conversations_per_bucket.map((row) => [
          <time dateTime={row.bucket}>{labels.long(row.bucket)}</time>,
          <Count n={row.active} />,
          <Count n={row.handed_off} />,
        ])}
      />
      <NumbersTable
        name="open-now"
        caption="conversations open now, per channel"
        head={['Channel', 'Open now', 'With a human']}
        rows={data.open_now.map((row) => [
          channelLabel(row.channel),
          <Count n={row.open} />,
          <Count n={row.in_handoff} />,
        ])}
      />
    </section>
  );
}
