import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { PlaygroundMessage } from './types.ts';

const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** Where an agent reply is on its way (the sandbox confirms delivery like a provider would). */
export function deliveryText(message: PlaygroundMessage): string {
  if (message.status === 'failed') return `failed: ${message.error?.message ?? message.error?.code ?? ''}`;
  return message.status;
}

/** One chat bubble: the customer's on the right, the agent's on the left, with time and delivery status. */
export function Bubble(props: {
  message: PlaygroundMessage;
  class: string;
  children: ComponentChildren;
  after?: ComponentChildren;
}) {
  const { message } = props;
  const mine = message.direction === 'inbound';
  return (
    <li class={`bubble-row ${mine ? 'from-customer' : 'from-agent'}`}>
      <div class={`bubble ${props.class}`}>
        <span class="visually-hidden">{mine ? 'You (customer):' : 'Agent:'}</span>
        <div class="bubble-text">{props.children}</div>
        <div class="bubble-meta">
          {time(message.created_at)}
          {mine ? null : (
            <span class={`delivery delivery-${message.status}`}> · {deliveryText(message)}</span>
          )}
        </div>
      </div>
      {props.after}
    </li>
  );
}

/** Quick replies under a reply: pressing one sends its value as the customer's next message. */
export function QuickReplies(props: {
  options: { label: string; value: string }[];
  onPick?: ((value: string) => void) | undefined;
  kind: string;
}) {
  if (!props.options.length) return null;
  return (
    <div class={`quick-replies ${props.kind}`} role="group" aria-label="Quick replies">
      {props.options.map((option) => (
        <button
          type="button"
          class="quick-reply"
          disabled={!props.onPick}
          onClick={() => props.onPick?.(option.value)}
        >
          {option.label}
        </button>
      ))}
    </div>
  );
}

/** A part that is a file (photo, document) rather than text. */
export function FileLine(props: { kind: string; url: string; name?: string | undefined }) {
  return (
    <span class="file-line">
      {props.kind}: {props.name ? `${props.name} — ` : ''}
      <a href={props.url} target="_blank" rel="noopener noreferrer nofollow">
        {props.url}
      </a>
    </span>
  );
}

/** Keeps a chat scrolled to its newest message as messages arrive (the list scrolls inside the page). */
export function useScrolledToEnd(count: number) {
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    if (list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [count]);
  return list;
}
