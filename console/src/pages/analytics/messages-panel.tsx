import type { ChartConfiguration } from 'chart.js';
import { useMemo, useState } from 'preact/hooks';
import { channelLabel } from '../../ui/channel-icon.tsx';
import { baseOptions, ChartCanvas } from './chart.tsx';
import { Count, NumbersTable } from './cells.tsx';
import { channelColor, type Labels } from './labels.ts';
import type { Analytics } from './types.ts';

type Direction = 'all' | 'inbound' | 'outbound';

/** Messages per bucket, one stacked bar segment per channel. */
export function MessagesPanel(props: { data: Analytics; labels: Labels }) {
  const { data, labels } = props;
  const [direction, setDirection] = useState<Direction>('all');
  const config = useMemo<ChartConfiguration>(() => {
    const index = new Map(data.buckets.map((bucket, i) => [bucket, i]));
    const datasets = data.channels.map((channel) => {
      const values = data.buckets.map(() => 0);
      for (const row of data.messages) {
        if (row.channel !== channel) continue;
        const i = index.get(row.bucket);
        if (i === undefined) continue;
        values[i] =
          direction === 'inbound'
            ? row.inbound
            : direction === 'outbound'
              ? row.outbound
              : row.inbound + row.outbound;
      }
      return { label: channelLabel(channel), data: values, backgroundColor: channelColor(channel) };
    });
    const options = baseOptions('Messages');
    return {
      type: 'bar',
      data: { labels: labels.short, datasets },
      options: {
        ...options,
        scales: { x: { ...options.scales.x, stacked: true }, y: { ...options.scales.y, stacked: true } },
      },
    };
  }, [data, labels, direction]);

  return (
    <section class="panel panel-wide" aria-labelledby="an-messages">
      <div class="panel-head">
        <h2 id="an-messages">Messages per channel</h2>
        <label class="inline-field">
          <span>Show</span>
          <select value={direction} onChange={(e) => setDirection(e.currentTarget.value as Direction)}>
            <option value="all">All messages</option>
            <option value="inbound">Inbound</option>
            <option value="outbound">Outbound</option>
          </select>
        </label>
      </div>
      <ChartCanvas
        config={config}
        label={`Stacked bars: ${direction === 'all' ? '' : `${direction} `}messages per ${data.interval} and channel`}
      />
      <NumbersTable
        name="messages"
        caption="messages per bucket and channel"
        head={['Bucket', 'Channel', 'Inbound', 'Outbound']}
        textColumns={2}
        rows={data.messages.map((row) => [
          <time dateTime={row.bucket}>{labels.long(row.bucket)}</time>,
          channelLabel(row.channel),
          <Count n={row.inbound} />,
          <Count n={row.outbound} />,
        ])}
      />
    </section>
  );
}
