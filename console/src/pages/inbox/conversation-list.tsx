import { channelLabel, ChannelIcon } from '../../ui/channel-icon.tsx';
import { Button } from '../../ui/button.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Spinner } from '../../ui/spinner.tsx';
import { contactName, handleOf, shortTime } from './format.ts';
import type { ConversationItem, Filters } from './types.ts';
import { PAGE_SIZE, type ConversationList as ListState } from './use-conversations.ts';

const CHANNELS = ['whatsapp', 'telegram', 'email', 'website'];

/** Channel, status and handoff filters. */
export function InboxFilters(props: { filters: Filters; onChange: (filters: Filters) => void }) {
  const { filters, onChange } = props;
  return (
    <div class="inbox-filters" role="group" aria-label="Filter conversations">
      <label>
        <span>Channel</span>
        <select
          value={filters.channel}
          onChange={(e) => onChange({ ...filters, channel: e.currentTarget.value })}
        >
          <option value="">All channels</option>
          {CHANNELS.map((c) => (
            <option key={c} value={c}>
              {channelLabel(c)}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Status</span>
        <select
          value={filters.status}
          onChange={(e) => onChange({ ...filters, status: e.currentTarget.value })}
        >
          <option value="">Any status</option>
          <option value="active">Active</option>
          <option value="closed">Closed</option>
        </select>
      </label>
      <label>
        <span>Handled by</span>
        <select
          value={filters.handoff}
          onChange={(e) => onChange({ ...filters, handoff: e.currentTarget.value })}
        >
          <option value="">Agent or human</option>
          <option value="true">Human (handoff)</option>
          <option value="false">Agent</option>
        </select>
      </label>
    </div>
  );
}

const ROLE_PREFIX: Record<string, string> = { assistant: 'Agent: ', human: 'Operator: ', system: '' };

function Row(props: { item: ConversationItem; selected: boolean }) {
  const { item } = props;
  const name = contactName(item);
  const last = item.last_message;
  const preview = last
    ? `${ROLE_PREFIX[last.role] ?? ''}${last.preview || '(attachment)'}`
    : 'No messages yet';
  const at = last?.created_at ?? item.metadata.last_activity;
  return (
    <li>
      <a
        class={`inbox-row${props.selected ? ' selected' : ''}`}
        href={`#/inbox/${encodeURIComponent(item._id)}`}
        aria-current={props.selected ? 'true' : undefined}
        data-conversation={item._id}
      >
        <ChannelIcon channel={item.channel} size={20} />
        <span class="inbox-row-main">
          <span class="inbox-row-top">
            <span class="inbox-row-name">{name}</span>
            <time class="inbox-row-time" dateTime={at}>
              {shortTime(at)}
            </time>
          </span>
          {item.contact?.display_name ? (
            <span class="inbox-row-handle">{handleOf(item.user_identifier)}</span>
          ) : null}
          <span class="inbox-row-preview">{preview}</span>
          <span class="inbox-row-badges">
            {item.handoff ? <span class="badge badge-handoff">Human</span> : null}
            {item.status === 'closed' ? <span class="badge badge-closed">Closed</span> : null}
          </span>
        </span>
      </a>
    </li>
  );
}

/** A page of conversations with previous/next; `total` tells how many match. */
export function ConversationList(props: {
  list: ListState;
  page: number;
  selectedId: string | undefined;
  onPage: (page: number) => void;
}) {
  const { list, page } = props;
  if (list.error && !list.items) return <ErrorText error={list.error} />;
  if (!list.items) return <Spinner label="Loading conversations…" />;
  const pages = Math.max(1, Math.ceil(list.total / PAGE_SIZE));
  const first = list.total === 0 ? 0 : (page - 1) * PAGE_SIZE + 1;
  const last = Math.min(page * PAGE_SIZE, list.total);
  return (
    <>
      <ErrorText error={list.error} />
      {list.items.length === 0 ? (
        <p class="inbox-none muted">No conversations match these filters.</p>
      ) : (
        <ul class="inbox-rows" aria-label="Conversations">
          {list.items.map((item) => (
            <Row key={item._id} item={item} selected={item._id === props.selectedId} />
          ))}
        </ul>
      )}
      <nav class="inbox-pager" aria-label="Conversation pages">
        <Button variant="ghost" disabled={page <= 1} onClick={() => props.onPage(page - 1)}>
          Newer
        </Button>
        <span class="muted" aria-live="polite">
          {first}–{last} of {list.total.toLocaleString()}
        </span>
        <Button variant="ghost" disabled={page >= pages} onClick={() => props.onPage(page + 1)}>
          Older
        </Button>
      </nav>
    </>
  );
}
