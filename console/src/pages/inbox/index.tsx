import { useCallback, useState } from 'preact/hooks';
import { useAgentEvents } from '../../events.ts';
import { useRoute } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { ConversationList, InboxFilters } from './conversation-list.tsx';
import { ConversationView } from './conversation-view.tsx';
import type { Filters } from './types.ts';
import { useConversations, useDebounced } from './use-conversations.ts';
import './inbox.css';

const NO_FILTERS: Filters = { channel: '', status: '', handoff: '' };

/**
 * The agent's conversations across channels, live: the list on the left, the open conversation on the right
 * (`#/inbox/<id>`); on a phone they are separate screens.
 */
export default function InboxPage() {
  const session = useSession();
  const route = useRoute();
  const selectedId = route.params[0];
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [page, setPage] = useState(1);
  const [viewGeneration, setViewGeneration] = useState(0);
  const list = useConversations(session.agentPath, filters, page);
  const reloadList = useDebounced(list.reload, 250);
  const reloadView = useDebounced(() => setViewGeneration((n) => n + 1), 250);

  useAgentEvents(session.agentPath, (event) => {
    // New messages, statuses, handoffs and closes move rows; a resync means events were missed.
    if (event.type === 'resync' || event.conversation_id) reloadList();
    if (event.type === 'resync' || (selectedId && event.conversation_id === selectedId)) reloadView();
  });

  const changeFilters = useCallback((next: Filters) => {
    setFilters(next);
    setPage(1);
  }, []);

  if (!session.agentPath) {
    return (
      <EmptyState title="No agent yet">
        Create an agent on the <a href="#/settings">Settings</a> page; its conversations show up here.
      </EmptyState>
    );
  }
  const filtered = filters.channel !== '' || filters.status !== '' || filters.handoff !== '';
  if (list.items && list.total === 0 && !filtered && page === 1 && !selectedId) return <NoConversations />;

  return (
    <div class={`inbox${selectedId ? ' inbox-has-selection' : ''}`}>
      <section class="inbox-list" aria-labelledby="inbox-title">
        <h1 id="inbox-title">Inbox</h1>
        <InboxFilters filters={filters} onChange={changeFilters} />
        <ConversationList list={list} page={page} selectedId={selectedId} onPage={setPage} />
      </section>
      {selectedId ? (
        <ConversationView
          key={selectedId}
          conversationId={selectedId}
          generation={viewGeneration}
          onChanged={list.reload}
        />
      ) : (
        <section class="inbox-view inbox-view-empty" aria-label="Conversation">
          <p class="muted">Choose a conversation to read it and reply.</p>
        </section>
      )}
    </div>
  );
}

/** What a new user does to get a first conversation. */
function NoConversations() {
  return (
    <EmptyState
      title="No conversations yet"
      action={
        <>
          <a class="btn btn-primary" href="#/playground">
            Try the Playground
          </a>
          <a class="btn btn-secondary" href="#/channels">
            Configure a channel
          </a>
        </>
      }
    >
      <p>
        Conversations from WhatsApp, Telegram, email and the website widget appear here as they arrive. To see
        one now, talk to your agent in the Playground, or connect a channel.
      </p>
      <p>Telegram quick start (two minutes):</p>
      <ol>
        <li>
          In Telegram, message <strong>@BotFather</strong>, send <code>/newbot</code> and copy the bot token.
        </li>
        <li>
          On <a href="#/channels">Channels</a>, open Telegram, paste the token and save.
        </li>
        <li>Press Test, then Set up webhook.</li>
        <li>Write to your bot: the conversation appears here, live.</li>
      </ol>
    </EmptyState>
  );
}
