import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, type Page, query } from '../../api.ts';
import { Button } from '../../ui/button.tsx';
import { Dialog } from '../../ui/confirm-dialog.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Spinner } from '../../ui/spinner.tsx';
import { IdentityChip } from './identity-line.tsx';
import { type Contact, contactName } from './types.ts';

type MergeResult = {
  data: { merge: { identities: string[]; conversations: string[]; closed_conversations: string[] } };
};

/**
 * Merging in two steps: find and pick the other contact, then read what will happen and confirm. The picked
 * contact is folded into `target` (the one whose page this is).
 */
export function MergeDialog(props: {
  agentPath: string;
  target: Contact;
  onClose: () => void;
  onMerged: (notice: ComponentChildren) => void;
}) {
  const [text, setText] = useState('');
  const [results, setResults] = useState<Contact[] | undefined>();
  const [source, setSource] = useState<Contact | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const targetName = contactName(props.target);

  const find = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const page = await api<Page<Contact>>(
        'GET',
        `${props.agentPath}/contacts${query({ q: text.trim(), limit: 10 })}`,
      );
      setResults(page.data.filter((c) => c._id !== props.target._id));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const merge = async () => {
    if (!source) return;
    setBusy(true);
    setError(undefined);
    try {
      const result = await api<MergeResult>(
        'POST',
        `${props.agentPath}/contacts/${encodeURIComponent(props.target._id)}/merge`,
        { contact_id: source._id },
      );
      const { identities, conversations, closed_conversations } = result.data.merge;
      props.onMerged(
        `Merged ${contactName(source)} into ${targetName}: ${identities.length} ${
          identities.length === 1 ? 'identity' : 'identities'
        } and ${conversations.length} ${conversations.length === 1 ? 'conversation' : 'conversations'} moved${
          closed_conversations.length ? `, ${closed_conversations.length} closed` : ''
        }.`,
      );
      props.onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  if (source) {
    const sourceName = contactName(source);
    return (
      <Dialog title={`Merge ${sourceName} into ${targetName}?`} onClose={props.onClose}>
        <div class="dialog-body">
          <p>
            Every identity and conversation of <strong>{sourceName}</strong> moves to{' '}
            <strong>{targetName}</strong>, and {sourceName} stops existing as a separate contact.
          </p>
          <ul>
            <li>
              No message is lost: messages stay in their conversations; channel analytics do not change.
            </li>
            <li>
              A contact has at most one active conversation: if both have one, the most recently active stays
              open and the other is closed.
            </li>
            <li>The merge is recorded. You can split an identity out again later.</li>
          </ul>
        </div>
        <ErrorText error={error} />
        <div class="dialog-actions">
          <Button onClick={() => setSource(undefined)}>Back</Button>
          <Button variant="primary" disabled={busy} onClick={() => void merge()}>
            {busy ? 'Merging…' : 'Merge contacts'}
          </Button>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog title={`Merge another contact into ${targetName}`} onClose={props.onClose}>
      <form role="search" class="merge-search" onSubmit={find} aria-label="Find the contact to merge">
        <label for="merge-search-text">Find the other contact</label>
        <div class="merge-search-row">
          <input
            id="merge-search-text"
            type="search"
            required
            maxLength={320}
            placeholder="Name, email, phone or platform id"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <Button type="submit">Find</Button>
        </div>
      </form>
      <ErrorText error={error} />
      {busy ? <Spinner label="Searching…" /> : null}
      {results && results.length === 0 ? <p class="muted">No other contact matches.</p> : null}
      {results && results.length > 0 ? (
        <ul class="merge-candidates" aria-label="Matching contacts">
          {results.map((candidate) => (
            <li key={candidate._id}>
              <span class="merge-candidate-name">{contactName(candidate)}</span>
              <span class="contact-row-ids">
                {candidate.identities.map((identity) => (
                  <IdentityChip key={identity._id} identity={identity} />
                ))}
              </span>
              <Button onClick={() => setSource(candidate)} aria-label={`Choose ${contactName(candidate)}`}>
                Choose
              </Button>
            </li>
          ))}
        </ul>
      ) : null}
      <div class="dialog-actions">
        <Button onClick={props.onClose}>Cancel</Button>
      </div>
    </Dialog>
  );
}
