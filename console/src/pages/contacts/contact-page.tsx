import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../api.ts';
import { navigate } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { Badge, Notice } from '../../ui/badge.tsx';
import { Button } from '../../ui/button.tsx';
import { ChannelIcon, channelLabel } from '../../ui/channel-icon.tsx';
import { ConfirmDialog } from '../../ui/confirm-dialog.tsx';
import { formatDate } from '../../ui/dates.ts';
import { EmptyState } from '../../ui/empty-state.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Spinner } from '../../ui/spinner.tsx';
import { useResource } from '../../ui/use-resource.ts';
import { ContactConversations } from './contact-conversations.tsx';
import { VerifiedBadge } from './identity-line.tsx';
import { MergeDialog } from './merge-dialog.tsx';
import { type ContactDetail, contactName, type Identity } from './types.ts';

type Open = { kind: 'merge' } | { kind: 'split'; identity: Identity } | { kind: 'erase' } | undefined;
type WriteResult = {
  data: { merge: { identities: string[]; conversations: string[] }; contact: ContactDetail };
};

/** One contact: who they are on each channel, their conversations, and merge / split / erase. */
export function ContactPage(props: { agentPath: string; contactId: string }) {
  const { can } = useSession();
  const path = `${props.agentPath}/contacts/${encodeURIComponent(props.contactId)}`;
  const { data, error, reload } = useResource<{ data: ContactDetail }>(path);
  const [open, setOpen] = useState<Open>();
  const [notice, setNotice] = useState<ComponentChildren>();

  const mergedInto = error instanceof ApiError && error.status === 404 ? mergedTarget(error.body) : undefined;
  if (error) {
    return (
      <section class="contact-page">
        <BackLink />
        {mergedInto ? (
          <EmptyState title="This contact was merged">
            Its identities and conversations now belong to{' '}
            <a href={`#/contacts/${encodeURIComponent(mergedInto)}`}>the contact it was merged into</a>.
          </EmptyState>
        ) : (
          <ErrorText error={error} />
        )}
      </section>
    );
  }
  if (!data) return <Spinner label="Loading the contact…" />;
  const contact = data.data;
  const name = contactName(contact);

  const split = async (identity: Identity) => {
    const result = await api<WriteResult>('POST', `${path}/split`, { identity_id: identity._id });
    const moved = result.data.merge.conversations.length;
    setNotice(
      <>
        {identity.platform_user_id} is now a separate contact
        {moved ? ` and took ${moved} ${moved === 1 ? 'conversation' : 'conversations'} with it` : ''}:{' '}
        <a href={`#/contacts/${encodeURIComponent(result.data.contact._id)}`}>open the new contact</a>.
      </>,
    );
    reload();
  };
  const erase = async () => {
    await api('DELETE', path);
    navigate('#/contacts');
  };

  return (
    <section class="contact-page" aria-labelledby="contact-title">
      <BackLink />
      <header class="contact-header">
        <div>
          <h1 id="contact-title">{name}</h1>
          <p class="muted contact-facts">
            {contact.email ? <span>Email {contact.email} (verified)</span> : null}
            {contact.phone ? <span>Phone {contact.phone} (verified)</span> : null}
            <span>First seen {formatDate(contact.created_at)}</span>
          </p>
        </div>
        {can('member') ? (
          <div class="contact-actions">
            <Button onClick={() => setOpen({ kind: 'merge' })}>Merge another contact into this one…</Button>
            {can('admin') ? (
              <Button variant="danger" onClick={() => setOpen({ kind: 'erase' })}>
                Erase contact…
              </Button>
            ) : null}
          </div>
        ) : null}
      </header>
      {notice ? <Notice>{notice}</Notice> : null}

      <h2>Identities</h2>
      <p class="muted">
        The accounts this person wrote from. Verified email or phone numbers link identities automatically.
      </p>
      <ul class="identity-list" aria-label="Identities">
        {contact.identities.map((identity) => (
          <li key={identity._id} class="identity-item">
            <ChannelIcon channel={identity.channel} size={22} />
            <div class="identity-main">
              <strong>{channelLabel(identity.channel)}</strong>{' '}
              <span class="identity-id">{identity.platform_user_id}</span>
              {identity.username ? <span class="muted"> @{identity.username}</span> : null}
              <div class="identity-badges">
                <VerifiedBadge identity={identity} />
                {identity.blocked ? <Badge tone="danger">Blocked</Badge> : null}
                {identity.unlinked_at ? <Badge>Split out: never linked automatically</Badge> : null}
                {identity.last_inbound_at ? (
                  <span class="muted">Last message {formatDate(identity.last_inbound_at)}</span>
                ) : null}
              </div>
            </div>
            {can('member') && contact.identities.length > 1 ? (
              <Button
                onClick={() => setOpen({ kind: 'split', identity })}
                aria-label={`Split ${identity.platform_user_id} into a new contact`}
              >
                Split out…
              </Button>
            ) : null}
          </li>
        ))}
      </ul>

      <ContactConversations contact={contact} />

      {open?.kind === 'merge' ? (
        <MergeDialog
          agentPath={props.agentPath}
          target={contact}
          onClose={() => setOpen(undefined)}
          onMerged={(text) => {
            setNotice(text);
            reload();
          }}
        />
      ) : null}
      {open?.kind === 'split' ? (
        <ConfirmDialog
          title="Split this identity out?"
          confirmLabel="Split into a new contact"
          onConfirm={() => split(open.identity)}
          onClose={() => setOpen(undefined)}
        >
          <p>
            <strong>
              {channelLabel(open.identity.channel)} {open.identity.platform_user_id}
            </strong>{' '}
            becomes a new contact of its own.
          </p>
          <p>
            Conversations in which every message was with this identity move with it; the others stay with{' '}
            {name}. No message is deleted. Switchboard will never link this identity to another contact
            automatically again (you can still merge by hand).
          </p>
        </ConfirmDialog>
      ) : null}
      {open?.kind === 'erase' ? (
        <ConfirmDialog
          title="Erase this person everywhere?"
          confirmLabel="Erase for good"
          danger
          typeToConfirm={name}
          onConfirm={erase}
          onClose={() => setOpen(undefined)}
        >
          <p>
            For a privacy request: deletes <strong>{name}</strong>, every identity, conversation and message,
            the mail and webhook events they sent and their live events. This cannot be undone.
          </p>
          <p>Channel analytics keep their counts; the audit records only that an erasure happened.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function BackLink() {
  return (
    <p class="back-link">
      <a href="#/contacts">← All contacts</a>
    </p>
  );
}

function mergedTarget(body: unknown): string | undefined {
  const details = (body as { details?: { merged_into?: unknown } } | undefined)?.details;
  return typeof details?.merged_into === 'string' ? details.merged_into : undefined;
}
