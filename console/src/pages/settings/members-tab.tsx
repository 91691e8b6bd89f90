import { useState } from 'preact/hooks';
import { api, type Page } from '../../api.ts';
import { type Role, useSession } from '../../session.tsx';
import { Badge, Notice } from '../../ui/badge.tsx';
import { Button } from '../../ui/button.tsx';
import { ConfirmDialog } from '../../ui/confirm-dialog.tsx';
import { formatDate } from '../../ui/dates.ts';
import { ErrorText } from '../../ui/error-text.tsx';
import { Pager } from '../../ui/pager.tsx';
import { Spinner } from '../../ui/spinner.tsx';
import { useResource } from '../../ui/use-resource.ts';
import { InviteForm } from './invite-form.tsx';
import { InvitationList } from './invitation-list.tsx';
import { RoleOptions } from './role-options.tsx';
import { grantable, ROLES } from './roles.ts';
import type { Member } from './types.ts';

const PAGE_SIZE = 50;
const roleLabel = (role: Role) => ROLES.find((r) => r.role === role)?.label ?? role;

/** The organization's members; admins invite, change roles (never above their own) and remove. */
export function MembersTab() {
  const s = useSession();
  const [page, setPage] = useState(1);
  const orgPath = s.org && `/api/v1/organizations/${s.org._id}`;
  const members = useResource<Page<Member>>(orgPath && `${orgPath}/members?page=${page}&limit=${PAGE_SIZE}`);
  const [invitesGeneration, setInvitesGeneration] = useState(0);
  const [removing, setRemoving] = useState<Member | undefined>();
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<unknown>();
  const admin = s.can('admin');
  if (!orgPath) return null;
  const roles = grantable(s.can);
  const manageable = (m: Member) => admin && m.user_id !== s.user._id && s.can(m.role);

  const changeRole = async (member: Member, role: Role) => {
    setError(undefined);
    try {
      await api('PUT', `${orgPath}/members/${encodeURIComponent(member.user_id)}`, { role });
      setNotice(`${member.email} is now ${roleLabel(role).toLowerCase()}.`);
    } catch (err) {
      setError(err);
    }
    members.reload();
  };

  return (
    <div class="settings-stack">
      <section aria-labelledby="members-title">
        <h2 id="members-title">Members of {s.org?.name}</h2>
        <ul class="role-legend">
          {ROLES.map((r) => (
            <li key={r.role}>
              <strong>{r.label}</strong>: {r.means}
            </li>
          ))}
        </ul>
        {notice ? <Notice>{notice}</Notice> : null}
        <ErrorText error={error ?? members.error} />
        {!members.data && !members.error ? <Spinner label="Loading members…" /> : null}
        {members.data ? (
          <div class="table-wrap">
            <table class="settings-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Joined</th>
                  {admin ? (
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {members.data.data.map((m) => (
                  <tr key={m.user_id}>
                    <td>
                      {m.name}
                      {m.user_id === s.user._id ? <Badge tone="info">you</Badge> : null}
                    </td>
                    <td class="wrap-anywhere">{m.email}</td>
                    <td>
                      {manageable(m) ? (
                        <select
                          aria-label={`Role of ${m.email}`}
                          value={m.role}
                          onChange={(e) => void changeRole(m, e.currentTarget.value as Role)}
                        >
                          <RoleOptions roles={roles} />
                        </select>
                      ) : (
                        roleLabel(m.role)
                      )}
                    </td>
                    <td>{formatDate(m.joined_at)}</td>
                    {admin ? (
                      <td>
                        {manageable(m) ? (
                          <Button
                            variant="ghost"
                            aria-label={`Remove ${m.email}`}
                            onClick={() => setRemoving(m)}
                          >
                            Remove
                          </Button>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {members.data ? (
          <Pager
            label="Member pages"
            page={members.data.pagination.page}
            limit={members.data.pagination.limit}
            total={members.data.pagination.total}
            onPage={setPage}
          />
        ) : null}
      </section>
      {admin ? (
        <>
          <InviteForm
            orgPath={orgPath}
            roles={roles}
            onInvited={(email) => {
              setNotice(`Invitation sent to ${email}. They join when they accept it.`);
              setInvitesGeneration((n) => n + 1);
            }}
          />
          <InvitationList orgPath={orgPath} generation={invitesGeneration} />
        </>
      ) : null}
      {removing ? (
        <ConfirmDialog
          title={`Remove ${removing.email}?`}
          confirmLabel="Remove member"
          danger
          onConfirm={async () => {
            await api('DELETE', `${orgPath}/members/${encodeURIComponent(removing.user_id)}`);
            setNotice(`${removing.email} was removed from the organization.`);
            members.reload();
          }}
          onClose={() => setRemoving(undefined)}
        >
          <p>
            They lose access to every project and agent of {s.org?.name} at once. Their account stays; you can
            invite them again.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
