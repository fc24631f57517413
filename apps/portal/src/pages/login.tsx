import { type FormEvent, useState } from 'react';
import { api, ApiFailure, type Session } from '../api.js';

export function LoginPage({ onLoggedIn }: { onLoggedIn: (s: Session) => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      onLoggedIn(
        await api<Session>('POST', '/session', { username: form.get('username'), password: form.get('password') }),
      );
    } catch (err) {
      setError(err instanceof ApiFailure ? err.message : 'The scheduler could not be reached; try again.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="container" style={{ maxWidth: '28rem', marginTop: '10vh' }}>
      <h1>Ferry portal</h1>
      <p className="muted">Log in with the operator account an administrator created for you.</p>
      <form onSubmit={submit} aria-describedby={error ? 'login-error' : undefined}>
        <label>
          Username
          <input name="username" autoComplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {error ? (
          <p id="login-error" role="alert" className="field-error">
            {error}
          </p>
        ) : null}
        <button type="submit" aria-busy={busy} disabled={busy}>
          Log in
        </button>
      </form>
    </main>
  );
}
