import { Badge } from '../../ui/badge.tsx';
import { ChannelIcon, channelLabel } from '../../ui/channel-icon.tsx';
import { formatDate } from '../../ui/dates.ts';
import type { ContactDetail } from './types.ts';

/** The contact's conversations, newest activity first, each opening in the inbox. */
export function ContactConversations(props: { contact: ContactDetail }) {
  const { conversations, conversation_count: total } = props.contact;
  return (
    <>
      <h2>Conversations</h2>
      {conversations.length === 0 ? (
        <p class="muted">No conversations yet.</p>
      ) : (
        <>
          {total > conversations.length ? (
            <p class="muted">
              The {conversations.length} most recent of {total}.
            </p>
          ) : null}
          <ul class="conversation-links" aria-label="Conversations">
            {conversations.map((c) => (
              <li key={c._id}>
                <a href={`#/inbox/${encodeURIComponent(c._id)}`}>
                  <ChannelIcon channel={c.channel} size={18} />
                  <span class="conversation-link-main">
                    {channelLabel(c.channel)} conversation
                    <span class="muted"> · last activity {formatDate(c.metadata.last_activity)}</span>
                  </span>
                  <Badge tone={c.status === 'active' ? 'info' : 'muted'}>{c.status}</Badge>
                  {c.handoff ? <Badge tone="warn">Handed off</Badge> : null}
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
