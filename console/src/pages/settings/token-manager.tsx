import { useState } from 'preact/hooks';
import { api, type Page } from '../../api.ts';
import type { Role } from '../../session.tsx';
import { Badge, Notice } from '../../ui/badge.tsx';
import { Button } from '../../ui/button.tsx';
import { ConfirmDialog } from '../../ui/confirm-dialog.tsx';
import { formatDate } from '../../ui/dates.ts';
import { ErrorText } from '../../ui/error-text.tsx';
import { Field } from '../../ui/field.tsx';
import { Pager } from '../../ui/pager.tsx';
import { ShownOnce } from '../../ui/shown-once.tsx';
import { useResource } from '../../ui/use-resource.ts';
import { RoleOptions } from './role-options.tsx';
import type { ROLES } from './roles.ts';
import type { ApiToken } from './types.ts';

const PAGE_SIZE = 20;

/**
 * Create, list and revoke API tokens at `path` (an organization's tokens, or your personal ones). A new token is
 * shown once; the list only ever shows its prefix. `roles` (organization tokens) offers a role cap.
 */
export function TokenManager(props: { path: string; title: string; intro: string; roles?: typeof ROLES }) {
  const [page, setPage] = useState(1);
  const list = useResource<Page<ApiToken>>(`${props.path}?page=${page}&limit=${PAGE_SIZE}`);
  const [created, setCreated] = useState<{ name: string; token: string } | undefined>();
  const [revoking, setRevoking] = useState<ApiToken | undefined>();
  const [notice, setNotice] = useState<string>();

  return (
    <section class="settings-stack" aria-label={props.title}>
      <div>
        <h2>{props.title}</h2>
        <p class="muted">{props.intro}</p>
      </div>
      <CreateTokenForm
        path={props.path}
        roles={props.roles}
        onCreated={(token) => {
          setNotice(undefined);
          setCreated(token);
          list.reload();
        }}
      />
      {created ? (
        <ShownOnce
          label={`Your new token “${created.name}”`}
          value={created.token}
          onDone={() => setCreated(undefined)}
        />
      ) : null}
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorText error={list.error} />
      {list.data && list.data.data.length === 0 ? <p class="muted">No tokens yet.</p> : null}
      {list.data && list.data.data.length > 0 ? (
        <div class="table-wrap">
          <table class="settings-table" aria-label={`${props.title}: list`}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                {props.roles ? <th scope="col">Role</th> : null}
                <th scope="col">Token</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((t) => (
                <tr key={t._id}>
                  <td>{t.name}</td>
                  {props.roles ? <td>{t.role}</td> : null}
                  <td>
                    <code>{t.token_prefix}…</code>
                  </td>
                  <td>{formatDate(t.last_used_at)}</td>
                  <td>{t.expires_at ? formatDate(t.expires_at) : 'Never'}</td>
                  <td>{t.revoked_at ? <Badge>Revoked</Badge> : <Badge tone="ok">Active</Badge>}</td>
                  <td>
                    {t.revoked_at ? null : (
                      <Button variant="ghost" aria-label={`Revoke ${t.name}`} onClick={() => setRevoking(t)}>
                        Revoke
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {list.data ? (
        <Pager
          label="Token pages"
          page={list.data.pagination.page}
          limit={list.data.pagination.limit}
          total={list.data.pagination.total}
          onPage={setPage}
        />
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke token"
          danger
          onConfirm={async () => {
            await api('DELETE', `${props.path}/${encodeURIComponent(revoking._id)}`);
            setNotice(`“${revoking.name}” is revoked: requests with it are refused from now on.`);
            list.reload();
          }}
          onClose={() => setRevoking(undefined)}
        >
          <p>Every program using this token stops working at once. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function CreateTokenForm(props: {
  path: string;
  roles: typeof ROLES | undefined;
  onCreated: (token: { name: string; token: string }) => void;
}) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [expires, setExpires] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const result = await api<{ data: { name: string; token: string } }>('POST', props.path, {
        name,
        ...(props.roles ? { role } : {}),
        // A date means "valid through that day" in the operator's time zone.
        expires_at: expires ? new Date(`${expires}T23:59:59`).toISOString() : null,
      });
      setName('');
      setExpires('');
      props.onCreated({ name: result.data.name, token: result.data.token });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="settings-form" onSubmit={submit} aria-label="Create a token">
      <div class="inline-fields">
        <Field label="Token name" hint="What uses it, e.g. “CRM sync”.">
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
        {props.roles ? (
          <Field label="Token role" hint="The most it may do; never above your own role.">
            {(id) => (
              <select id={id} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
                <RoleOptions roles={props.roles ?? []} />
              </select>
            )}
          </Field>
        ) : null}
        <Field label="Expires" hint="Optional; empty = never.">
          {(id) => (
            <input id={id} type="date" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
          )}
        </Field>
      </div>
      <ErrorText error={error} />
      <div class="form-actions">
        <Button type="submit" variant="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create token'}
        </Button>
      </div>
    </form>
  );
}
