import { useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { Notice } from '../../ui/badge.tsx';
import { Button } from '../../ui/button.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Field } from '../../ui/field.tsx';
import { TokenManager } from './token-manager.tsx';

/** Your own account, whatever your role: display name, password, personal API tokens. */
export function AccountTab() {
  return (
    <div class="settings-stack">
      <NameForm />
      <PasswordForm />
      <TokenManager
        path="/api/v1/auth/api-tokens"
        title="Personal API tokens"
        intro="A personal token acts as you, with your role, in every organization you belong to. Prefer an organization token for shared automation."
      />
    </div>
  );
}

function NameForm() {
  const s = useSession();
  const [name, setName] = useState(s.user.name);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setDone(false);
    try {
      await api('PUT', '/api/v1/auth/profile', { name });
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="settings-form" onSubmit={submit} aria-labelledby="account-title">
      <h2 id="account-title">Your account</h2>
      <p class="muted">Logged in as {s.user.email}.</p>
      <Field label="Display name">
        {(id) => (
          <input
            id={id}
            required
            maxLength={200}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <ErrorText error={error} />
      {done ? <Notice>Name saved.</Notice> : null}
      <div class="form-actions">
        <Button type="submit" variant="primary" disabled={busy}>
          Save name
        </Button>
      </div>
    </form>
  );
}

function PasswordForm() {
  const s = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const mismatch = repeat !== '' && repeat !== next;
  const submit = async (event: Event) => {
    event.preventDefault();
    if (next !== repeat) return;
    setBusy(true);
    setError(undefined);
    setDone(false);
    try {
      await api('PUT', '/api/v1/auth/password', { current_password: current, new_password: next });
      // The change ends every earlier session, this one included: log in again with the new password.
      await api('POST', '/api/v1/auth/console/login', { email: s.user.email, password: next });
      setCurrent('');
      setNext('');
      setRepeat('');
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="settings-form" onSubmit={submit} aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <p class="muted">Every other session and device is logged out when you change it.</p>
      <Field label="Current password">
        {(id) => (
          <input
            id={id}
            type="password"
            required
            autocomplete="current-password"
            value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="New password" hint="At least 8 characters.">
        {(id) => (
          <input
            id={id}
            type="password"
            required
            minLength={8}
            maxLength={256}
            autocomplete="new-password"
            value={next}
            onInput={(e) => setNext(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Repeat the new password" error={mismatch ? 'The two new passwords differ.' : undefined}>
        {(id) => (
          <input
            id={id}
            type="password"
            required
            autocomplete="new-password"
            value={repeat}
            onInput={(e) => setRepeat(e.currentTarget.value)}
          />
        )}
      </Field>
      <ErrorText error={error} />
      {done ? <Notice>Password changed. Other sessions are logged out.</Notice> : null}
      <div class="form-actions">
        <Button type="submit" variant="primary" disabled={busy || mismatch}>
          {busy ? 'Changing…' : 'Change password'}
        </Button>
      </div>
    </form>
  );
}
