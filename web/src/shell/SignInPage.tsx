import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { useSession } from '../session.tsx';
import { ProblemAlert } from './ProblemAlert.tsx';

/** Sign-in with an API key or a JWT, exchanged by the gateway for an HttpOnly session cookie. */
export function SignInPage() {
  const { signIn } = useSession();
  const navigate = useNavigate();
  const [credential, setCredential] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    signIn(credential.trim())
      .then(() => navigate('/'))
      .catch(setError)
      .finally(() => setBusy(false));
  };
  return (
    <main className="signin">
      <h1>Sign in</h1>
      <form onSubmit={submit}>
        <label htmlFor="credential">API key or token</label>
        <input
          id="credential"
          type="password"
          autoComplete="off"
          value={credential}
          onChange={(e) => setCredential(e.target.value)}
          required
        />
        <button type="submit" disabled={busy || !credential.trim()}>
          Sign in
        </button>
      </form>
      <ProblemAlert error={error} />
    </main>
  );
}
