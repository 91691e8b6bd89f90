import { useState } from 'preact/hooks';
import { api } from '../../api.ts';
import type { Role } from '../../session.tsx';
import { Button } from '../../ui/button.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Field } from '../../ui/field.tsx';
import { RoleOptions } from './role-options.tsx';
import type { ROLES } from './roles.ts';

/** Invite someone by email with a role (the API answers the same whether or not they have an account). */
export function InviteForm(props: {
  orgPath: string;
  roles: typeof ROLES;
  onInvited: (email: string) => void;
}) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', `${props.orgPath}/members`, { email: email.trim(), role });
      setEmail('');
      props.onInvited(email.trim());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="settings-form" onSubmit={submit} aria-labelledby="invite-title">
      <h2 id="invite-title">Invite someone</h2>
      <p class="muted">
        They see the invitation when they log in with this email, and join when they accept it.
      </p>
      <div class="inline-fields">
        <Field label="Email">
          {(id) => (
            <input
              id={id}
              type="email"
              required
              maxLength={320}
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="Role">
          {(id) => (
            <select id={id} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              <RoleOptions roles={props.roles} />
            </select>
          )}
        </Field>
      </div>
      <ErrorText error={error} />
      <div class="form-actions">
        <Button type="submit" variant="primary" disabled={busy}>
          {busy ? 'Sending…' : 'Send invitation'}
        </Button>
      </div>
    </form>
  );
}
