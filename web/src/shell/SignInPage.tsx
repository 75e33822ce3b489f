import { type FormEvent, useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { useSession } from '../session.tsx';
import { ProblemAlert } from './ProblemAlert.tsx';

/** Where to go after signing in: the page the caller was sent away from, if it was one of the console's. */
const returnPath = (state: unknown): string => {
  const from = state && typeof state === 'object' && 'from' in state ? state.from : null;
  return typeof from === 'string' && from.startsWith('/') && !from.startsWith('//') && !from.startsWith('/signin') ? from : '/';
};

/** Sign-in with an API key or a JWT, exchanged by the gateway for an HttpOnly session cookie. */
export function SignInPage() {
  const { session, ended, signIn } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [credential, setCredential] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // single-tenant mode signs nobody in: its session is always there
  if (session?.single_tenant) return <Navigate to="/" replace />;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    signIn(credential.trim())
      .then(() => navigate(returnPath(location.state)))
      .catch(setError)
      .finally(() => setBusy(false));
  };
  return (
    <main className="signin">
      <p className="brand signin-brand">Mandant</p>
      <h1>Sign in</h1>
      {ended && !error ? (
        <p role="status" className="notice">
          {ended}
        </p>
      ) : null}
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
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ProblemAlert error={error} />
    </main>
  );
}
