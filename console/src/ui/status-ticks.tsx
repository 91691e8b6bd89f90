/** Delivery states of an outbound message, as the API reports them. */
export type TickStatus = 'received' | 'queued' | 'held' | 'sent' | 'delivered' | 'read' | 'played' | 'failed';

const WORDS: Record<TickStatus, string> = {
  received: 'Received',
  queued: 'Queued',
  held: 'Held until the person writes again',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  played: 'Played',
  failed: 'Failed',
};

const CHECK = 'M2 8.5 5.5 12 12 4.5';
const SECOND_CHECK = 'M7.5 12 14 4.5';

function Glyph(props: { status: TickStatus }) {
  switch (props.status) {
    case 'queued':
    case 'held':
      return (
        <>
          <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="1.6" />
          <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" stroke-width="1.6" />
        </>
      );
    case 'failed':
      return (
        <>
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M8 4v5M8 11v1.2" stroke="#fff" stroke-width="1.8" />
        </>
      );
    case 'sent':
      return <path d={CHECK} fill="none" stroke="currentColor" stroke-width="1.8" />;
    default:
      return (
        <>
          <path d={CHECK} fill="none" stroke="currentColor" stroke-width="1.8" />
          <path d={SECOND_CHECK} fill="none" stroke="currentColor" stroke-width="1.8" />
        </>
      );
  }
}

/**
 * Ticks for a message's delivery state (queued clock, ✓ sent, ✓✓ delivered, blue ✓✓ read, ! failed). The state
 * is also written out for screen readers; a failure's reason shows on hover and on keyboard focus.
 */
export function StatusTicks(props: { status: TickStatus; reason?: string | undefined }) {
  const word = WORDS[props.status] ?? props.status;
  const failed = props.status === 'failed';
  const label = failed && props.reason ? `${word}: ${props.reason}` : word;
  return (
    <span
      class={`status-ticks status-${props.status}`}
      title={label}
      tabIndex={failed ? 0 : undefined}
      data-status={props.status}
    >
      <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
        <Glyph status={props.status} />
      </svg>
      <span class="visually-hidden">{label}</span>
      {failed && props.reason ? (
        <span class="status-reason" aria-hidden="true">
          {props.reason}
        </span>
      ) : null}
    </span>
  );
}
