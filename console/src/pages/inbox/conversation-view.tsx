import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { Button } from '../../ui/button.tsx';
import { channelLabel, ChannelIcon } from '../../ui/channel-icon.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Spinner } from '../../ui/spinner.tsx';
import { Composer } from './composer.tsx';
import { contactName, handleOf } from './format.ts';
import { authorOf, MessageItem } from './message-item.tsx';
import type { ConversationDetail } from './types.ts';
import { useOperatorNames } from './use-operator-names.ts';

/** Newest messages shown at first; older ones load on request. */
const MESSAGES_PAGE = 100;

type Detail = { data: ConversationDetail; pagination: { total: number } };

/** The conversation's messages (newest `count`, shown oldest first) and its facts; reload() re-reads them. */
function useConversation(path: string, count: number, generation: number) {
  const [detail, setDetail] = useState<Detail | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => setDetail(undefined), [path]);
  useEffect(() => {
    let current = true;
    api<Detail>('GET', `${path}?order=desc&limit=${Math.min(count, 100)}`).then(
      (result) => {
        if (!current) return;
        setDetail({ ...result, data: { ...result.data, messages: [...result.data.messages].reverse() } });
        setError(undefined);
      },
      (err) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, [path, count, generation]);
  return { detail, error };
}

/** One conversation: header with actions, every message, and the reply box. */
export function ConversationView(props: {
  conversationId: string;
  generation: number;
  onChanged: () => void;
}) {
  const session = useSession();
  const path = `${session.agentPath ?? ''}/conversations/${encodeURIComponent(props.conversationId)}`;
  const [ownGeneration, setOwnGeneration] = useState(0);
  const { detail, error } = useConversation(path, MESSAGES_PAGE, props.generation + ownGeneration);
  const operator = useOperatorNames(session.org?._id, session.user);
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState<string | undefined>();
  const end = useRef<HTMLDivElement>(null);
  const refresh = () => {
    setOwnGeneration((n) => n + 1);
    props.onChanged();
  };
  const count = detail?.data.messages.length ?? 0;
  useEffect(() => end.current?.scrollIntoView({ block: 'nearest' }), [count]);

  if (error instanceof ApiError && error.status === 404) {
    return (
      <section class="inbox-view">
        <BackLink />
        <p>This conversation does not exist for the selected agent.</p>
      </section>
    );
  }
  if (!detail) {
    return (
      <section class="inbox-view">
        <BackLink />
        {error ? <ErrorText error={error} /> : <Spinner label="Loading the conversation…" />}
      </section>
    );
  }
  const conversation = detail.data;
  const name = contactName(conversation);
  const act = async (action: 'handoff' | 'resume' | 'close', label: string) => {
    setBusy(label);
    setActionError(undefined);
    try {
      await api('POST', `${path}/${action}`, action === 'handoff' ? {} : undefined);
      refresh();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(undefined);
    }
  };
  const canWrite = session.can('member');
  const active = conversation.status === 'active';
  const older = detail.pagination.total - conversation.messages.length;

  return (
    <section class="inbox-view" aria-labelledby="conversation-title">
      <BackLink />
      <header class="inbox-view-head">
        <div class="inbox-view-who">
          <ChannelIcon channel={conversation.channel} size={22} />
          <div>
            <h2 id="conversation-title">{name}</h2>
            <p class="muted inbox-view-handle">
              {channelLabel(conversation.channel)} · {handleOf(conversation.user_identifier)}
            </p>
          </div>
        </div>
        <div class="inbox-view-state">
          <span class={`badge ${active ? 'badge-active' : 'badge-closed'}`}>
            {active ? 'Active' : 'Closed'}
          </span>
          {conversation.handoff ? (
            <span class="badge badge-handoff">
              Human:{' '}
              {conversation.handoff.user_id
                ? operator(conversation.handoff.user_id)
                : conversation.handoff.by}
            </span>
          ) : (
            <span class="badge badge-agent">Agent answering</span>
          )}
        </div>
        {canWrite ? (
          <div class="inbox-actions">
            {active && !conversation.handoff ? (
              <Button variant="primary" disabled={Boolean(busy)} onClick={() => void act('handoff', 'take')}>
                Take over
              </Button>
            ) : null}
            {conversation.handoff ? (
              <Button disabled={Boolean(busy)} onClick={() => void act('resume', 'resume')}>
                Resume agent
              </Button>
            ) : null}
            {active ? (
              <Button variant="danger" disabled={Boolean(busy)} onClick={() => void act('close', 'close')}>
                Close
              </Button>
            ) : null}
          </div>
        ) : null}
      </header>
      <ErrorText error={actionError} />
      {conversation.handoff?.reason ? (
        <p class="muted">Handoff reason: {conversation.handoff.reason}</p>
      ) : null}
      {older > 0 ? (
        <p class="muted inbox-older">
          {older.toLocaleString()} older messages are not shown (the newest {conversation.messages.length}{' '}
          are).
        </p>
      ) : null}
      <ol class="messages" aria-label={`Messages with ${name}`}>
        {conversation.messages.map((message) => (
          <MessageItem
            key={message._id}
            message={message}
            author={authorOf(message, { contact: name, operator })}
            attachmentPath={(index) =>
              `${path}/messages/${encodeURIComponent(message._id)}/attachments/${index}`
            }
          />
        ))}
      </ol>
      <div ref={end} />
      {canWrite ? (
        <Composer
          conversation={conversation}
          conversationPath={path}
          channelsPath={
            session.agentPath
              ? session.agentPath.replace('/api/v1/', '/api/v1/channels/') + '/channels'
              : undefined
          }
          onSent={refresh}
        />
      ) : null}
    </section>
  );
}

function BackLink() {
  return (
    <a class="inbox-back" href="#/inbox">
      ← All conversations
    </a>
  );
}
