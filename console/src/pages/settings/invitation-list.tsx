import { useEffect, useState } from 'preact/hooks';
import { api, type Page } from '../../api.ts';
import { Badge } from '../../ui/badge.tsx';
import { Button } from '../../ui/button.tsx';
import { formatDate } from '../../ui/dates.ts';
import { ErrorText } from '../../ui/error-text.tsx';
import { useResource } from '../../ui/use-resource.ts';
import type { Invitation } from './types.ts';

/** Open and expired invitations (admins only); cancel one. `generation` reloads after a new invitation. */
export function InvitationList(props: { orgPath: string; generation: number }) {
  const { data, error, reload } = useResource<Page<Invitation>>(`${props.orgPath}/invitations?limit=100`);
  const [cancelError, setCancelError] = useState<unknown>();
  useEffect(() => {
    if (props.generation > 0) reload();
  }, [props.generation, reload]);
  const cancel = async (invitation: Invitation) => {
    setCancelError(undefined);
    try {
      await api('DELETE', `${props.orgPath}/invitations/${encodeURIComponent(invitation._id)}`);
    } catch (err) {
      setCancelError(err);
    }
    reload();
  };
  return (
    <section aria-labelledby="invitations-title">
      <h2 id="invitations-title">Invitations</h2>
      <ErrorText error={error ?? cancelError} />
      {data && data.data.length === 0 ? <p class="muted">No open invitations.</p> : null}
      {data && data.data.length > 0 ? (
        <div class="table-wrap">
          <table class="settings-table" aria-labelledby="invitations-title">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.data.map((inv) => (
                <tr key={inv._id}>
                  <td class="wrap-anywhere">{inv.email}</td>
                  <td>{inv.role}</td>
                  <td>
                    <Badge tone={inv.status === 'pending' ? 'info' : 'muted'}>{inv.status}</Badge>
                  </td>
                  <td>{formatDate(inv.expires_at)}</td>
                  <td>
                    <Button
                      variant="ghost"
                      aria-label={`Cancel the invitation of ${inv.email}`}
                      onClick={() => void cancel(inv)}
                    >
                      Cancel invitation
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
