import type { ChartConfiguration } from 'chart.js';
import { useMemo } from 'preact/hooks';
import { channelLabel } from '../../ui/channel-icon.tsx';
import { baseOptions, ChartCanvas } from './chart.tsx';
import { Count, NumbersTable } from './cells.tsx';
import { type Analytics, DELIVERY_STATUSES, type DeliveryStatus } from './types.ts';

const STATUS: Record<DeliveryStatus, { label: string; color: string }> = {
  sent: { label: 'Sent', color: '#7c9cc9' },
  delivered: { label: 'Delivered', color: '#1f5fbf' },
  read: { label: 'Read', color: '#1e7a3c' },
  played: { label: 'Played', color: '#5b9a6e' },
  queued: { label: 'Queued', color: '#8a919c' },
  held: { label: 'Held', color: '#b38600' },
  failed: { label: 'Failed', color: '#b3261e' },
};

/** Outbound outcomes per channel (one stacked horizontal bar each) and the most frequent failure reasons. */
export function DeliveryPanel(props: { data: Analytics }) {
  const { data } = props;
  const config = useMemo<ChartConfiguration>(() => {
    const options = baseOptions('Messages');
    return {
      type: 'bar',
      data: {
        labels: data.delivery.map((row) => channelLabel(row.channel)),
        datasets: DELIVERY_STATUSES.filter((status) => data.totals.delivery[status] > 0).map((status) => ({
          label: STATUS[status].label,
          data: data.delivery.map((row) => row[status]),
          backgroundColor: STATUS[status].color,
        })),
      },
      options: {
        ...options,
        indexAxis: 'y',
        interaction: { mode: 'nearest', intersect: true },
        scales: {
          x: {
            stacked: true,
            beginAtZero: true,
            ticks: { precision: 0 },
            title: { display: true, text: 'Outbound messages' },
          },
          y: { stacked: true },
        },
      },
    };
  }, [data]);
  const failures = data.delivery.filter((row) => row.failure_reasons.length > 0);

  return (
    <section class="panel" aria-labelledby="an-delivery">
      <h2 id="an-delivery">Delivery outcomes</h2>
      <p class="panel-note muted">Outbound messages of this range, by their current status.</p>
      <ChartCanvas config={config} label="Stacked bars: outbound messages per channel by delivery status" />
      <NumbersTable
        name="delivery"
        caption="outbound messages per channel and status"
        head={['Channel', ...DELIVERY_STATUSES.map((status) => STATUS[status].label), 'Total']}
        rows={data.delivery.map((row) => [
          channelLabel(row.channel),
          ...DELIVERY_STATUSES.map((status) => <Count n={row[status]} />),
          <Count n={row.total} />,
        ])}
      />
      {failures.length > 0 ? (
        <div class="failures">
          <h3>Top failure reasons</h3>
          {failures.map((row) => (
            <div key={row.channel} class="failure-channel">
              <h4>{channelLabel(row.channel)}</h4>
              <ul data-failures={row.channel}>
                {row.failure_reasons.map((reason) => (
                  <li key={reason.code}>
                    <code>{reason.code}</code> × <Count n={reason.count} />
                    {reason.last_message ? <span class="muted"> — {reason.last_message}</span> : null}
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </div>
      ) : null}
    </section>
  );
}
