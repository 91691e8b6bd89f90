import { useState } from 'preact/hooks';
import { api, type Page } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { Badge, Notice } from '../../ui/badge.tsx';
import { Button } from '../../ui/button.tsx';
import { ConfirmDialog } from '../../ui/confirm-dialog.tsx';
import { formatDate } from '../../ui/dates.ts';
import { EmptyState } from '../../ui/empty-state.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Field } from '../../ui/field.tsx';
import { Spinner } from '../../ui/spinner.tsx';
import { useResource } from '../../ui/use-resource.ts';
import { type LlmKey, providerLabel } from './types.ts';

type KeyProvider = LlmKey['provider'];

/** The project's LLM provider keys: write-only secrets, listed as "configured"; admins add and delete them. */
export function LlmKeysTab() {
  const s = useSession();
  const path = s.projectPath && `${s.projectPath}/api-keys`;
  const { data, error, reload } = useResource<Page<LlmKey>>(path && `${path}?limit=100`);
  const [deleting, setDeleting] = useState<LlmKey | undefined>();
  const [notice, setNotice] = useState<string>();
  const admin = s.can('admin');
  if (!path)
    return <EmptyState title="No project">LLM keys belong to a project; there is none yet.</EmptyState>;

  return (
    <div class="settings-stack">
      <section aria-labelledby="llm-keys-title">
        <h2 id="llm-keys-title">Project LLM keys</h2>
        <p class="muted">
          Agents of this project use these keys to reach their language model. A key is only ever sent to the
          endpoint stored with it, and never shown again after you save it.
        </p>
        {notice ? <Notice>{notice}</Notice> : null}
        <ErrorText error={error} />
        {!data && !error ? <Spinner label="Loading keys…" /> : null}
        {data && data.data.length === 0 ? (
          <EmptyState title="No LLM key yet">
            Agents use the built-in dev model until you add a key for OpenAI, Anthropic or an
            OpenAI-compatible server{admin ? ' below' : ' (an admin can add one)'}.
          </EmptyState>
        ) : null}
        {data && data.data.length > 0 ? (
          <div class="table-wrap">
            <table class="settings-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Key</th>
                  <th scope="col">Added</th>
                  {admin ? (
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {data.data.map((key) => (
                  <tr key={key._id}>
                    <td>{key.name}</td>
                    <td>{providerLabel(key.provider)}</td>
                    <td class="wrap-anywhere">{key.base_url ?? 'Provider default'}</td>
                    <td>
                      <Badge tone="ok">Configured</Badge>
                    </td>
                    <td>{formatDate(key.created_at)}</td>
                    {admin ? (
                      <td>
                        <Button
                          variant="ghost"
                          aria-label={`Delete key ${key.name}`}
                          onClick={() => setDeleting(key)}
                        >
                          Delete
                        </Button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      {admin ? (
        <AddKeyForm
          path={path}
          onAdded={(key) => {
            setNotice(
              `Key “${key.name}” stored. It shows as configured; its value is never displayed again.`,
            );
            reload();
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete the key “${deleting.name}”?`}
          confirmLabel="Delete key"
          danger
          onConfirm={async () => {
            await api('DELETE', `${path}/${encodeURIComponent(deleting._id)}`);
            setNotice(`Key “${deleting.name}” deleted.`);
            reload();
          }}
          onClose={() => setDeleting(undefined)}
        >
          <p>A key still used by an agent cannot be deleted: switch those agents to another key first.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

function AddKeyForm(props: { path: string; onAdded: (key: LlmKey) => void }) {
  const [name, setName] = useState('');
  const [provider, setProvider] = useState<KeyProvider>('openai');
  const [baseUrl, setBaseUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const result = await api<{ data: LlmKey }>('POST', props.path, {
        name,
        provider,
        key: secret,
        ...(baseUrl.trim() ? { base_url: baseUrl.trim() } : {}),
      });
      setName('');
      setBaseUrl('');
      setSecret('');
      props.onAdded(result.data);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="settings-form" onSubmit={submit} aria-labelledby="add-key-title">
      <h2 id="add-key-title">Add a key</h2>
      <Field label="Key name" hint="To tell keys apart, e.g. “OpenAI production”.">
        {(id) => (
          <input
            id={id}
            required
            maxLength={100}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Provider">
        {(id) => (
          <select
            id={id}
            value={provider}
            onChange={(e) => setProvider(e.currentTarget.value as KeyProvider)}
          >
            <option value="openai">OpenAI</option>
            <option value="anthropic">Anthropic</option>
            <option value="openai-compatible">OpenAI-compatible server</option>
          </select>
        )}
      </Field>
      <Field
        label="Base URL"
        hint={
          provider === 'openai-compatible'
            ? 'Required: the server’s API root, e.g. https://llm.example.com/v1.'
            : 'Optional: leave empty for the provider’s own API.'
        }
      >
        {(id) => (
          <input
            id={id}
            type="url"
            required={provider === 'openai-compatible'}
            value={baseUrl}
            onInput={(e) => setBaseUrl(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Secret key" hint="Stored encrypted. It is never shown again, not even to you.">
        {(id) => (
          <input
            id={id}
            type="password"
            required
            autocomplete="off"
            maxLength={4096}
            value={secret}
            onInput={(e) => setSecret(e.currentTarget.value)}
          />
        )}
      </Field>
      <ErrorText error={error} />
      <div class="form-actions">
        <Button type="submit" variant="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Add key'}
        </Button>
      </div>
    </form>
  );
}
