import { Count, Duration } from './cells.tsx';
import type { Analytics } from './types.ts';

/** The range's headline figures. */
export function Totals(props: { data: Analytics }) {
  const t = props.data.totals;
  const tiles = [
    { key: 'inbound', label: 'Messages in', value: <Count n={t.inbound} /> },
    { key: 'outbound', label: 'Messages out', value: <Count n={t.outbound} /> },
    { key: 'conversations', label: 'Conversations', value: <Count n={t.conversations} /> },
    { key: 'handed_off', label: 'Handed off', value: <Count n={t.handed_off} /> },
    { key: 'p50', label: 'Median reply', value: <Duration ms={t.reply_latency.p50_ms} /> },
    { key: 'p95', label: 'p95 reply', value: <Duration ms={t.reply_latency.p95_ms} /> },
    { key: 'failed', label: 'Failed sends', value: <Count n={t.delivery.failed} /> },
    {
      key: 'open_now',
      label: 'Open now',
      value: (
        <>
          <Count n={t.open_now} />
          <span class="tile-sub">
            <Count n={t.in_handoff_now} /> with a human
          </span>
        </>
      ),
    },
  ];
  return (
    <dl class="tiles" aria-label="Totals for the range">
      {tiles.map((tile) => (
        <div key={tile.key} class="tile" data-total={tile.key}>
          <dt>{tile.label}</dt>
          <dd>{tile.value}</dd>
        </div>
      ))}
    </dl>
  );
}
