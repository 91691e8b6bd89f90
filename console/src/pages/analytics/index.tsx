import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, query } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Spinner } from '../../ui/spinner.tsx';
import { ConversationsPanel } from './conversations-panel.tsx';
import { Controls } from './controls.tsx';
import { DeliveryPanel } from './delivery-panel.tsx';
import { labelsOf } from './labels.ts';
import { LatencyPanel } from './latency-panel.tsx';
import { MessagesPanel } from './messages-panel.tsx';
import { fitInterval, type RangeChoice, rangeDays, resolve } from './range.ts';
import { Totals } from './totals.tsx';
import type { Analytics, Interval } from './types.ts';
import './analytics.css';

type Load = { data?: Analytics; error?: unknown; loading: boolean };

/** The chosen agent's messages, reply latency, delivery and conversations over a range. */
export default function AnalyticsPage() {
  const { agent, agentPath } = useSession();
  const [choice, setChoice] = useState<RangeChoice>({ kind: 'preset', days: 30 });
  const [chosenInterval, setChosenInterval] = useState<Interval>('day');
  const range = useMemo(() => resolve(choice), [choice]);
  const days = range ? rangeDays(range) : 0;
  const interval = fitInterval(chosenInterval, days);
  const [load, setLoad] = useState<Load>({ loading: true });

  useEffect(() => {
    if (!agentPath || !range) return;
    let current = true;
    setLoad((previous) => ({ ...previous, loading: true, error: undefined }));
    api<{ data: Analytics }>('GET', `${agentPath}/analytics${query({ ...range, interval })}`).then(
      (res) => current && setLoad({ data: res.data, loading: false }),
      (error: unknown) => current && setLoad({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [agentPath, range?.from, range?.to, interval]);

  if (!agent) {
    return (
      <EmptyState title="No agent selected">
        Analytics belong to an agent. Pick one in the header, or create one in{' '}
        <a href="#/settings">Settings</a>.
      </EmptyState>
    );
  }
  const data = load.data;
  const labels = data ? labelsOf(data) : undefined;
  const empty = data && data.totals.inbound + data.totals.outbound === 0;

  return (
    <div
      class="analytics"
      aria-busy={load.loading}
      data-shown={data ? `${data.from}/${data.to}/${data.interval}` : undefined}
    >
      <div class="an-header">
        <h1>Analytics</h1>
        <p class="muted">{agent.name}</p>
      </div>
      <Controls
        choice={choice}
        interval={interval}
        days={days}
        onChoice={setChoice}
        onInterval={setChosenInterval}
      />
      <ErrorText error={load.error} />
      {load.loading && !data ? <Spinner label="Loading analytics…" /> : null}
      {load.loading && data ? <Spinner label="Updating…" /> : null}
      {data && labels ? (
        empty ? (
          <EmptyState title="No messages in this range">
            Analytics count the messages this agent exchanges on its channels. Talk to it in the{' '}
            <a href="#/playground">Playground</a>, or connect a channel under{' '}
            <a href="#/channels">Channels</a>; then come back here. You can also pick a longer range above.
          </EmptyState>
        ) : (
          <>
            <Totals data={data} />
            <div class="an-grid">
              <MessagesPanel data={data} labels={labels} />
              <LatencyPanel data={data} labels={labels} />
              <ConversationsPanel data={data} labels={labels} />
              <DeliveryPanel data={data} />
            </div>
          </>
        )
      ) : null}
    </div>
  );
}
