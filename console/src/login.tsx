import { useState } from 'preact/hooks';
import { api } from './api.ts';
import { Button } from './ui/button.tsx';
import { ErrorText } from './ui/error-text.tsx';
import { Field } from './ui/field.tsx';

/** Email + password → the console's cookie session. */
export function LoginPage(props: { onLogin: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', '/api/v1/auth/console/login', { email, password });
      props.onLogin();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Switchboard</h1>
        <p class="muted">
          Log in with your account. On a first start the server printed the login email and password.
        </p>
        <Field label="Email">
          {(id) => (
            <input
              id={id}
              type="email"
              name="email"
              autocomplete="username"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="Password">
          {(id) => (
            <input
              id={id}
              type="password"
              name="password"
              autocomplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        <ErrorText error={error} />
        <Button type="submit" variant="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </Button>
      </form>
    </main>
  );
}
