import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { API_BASE, ApiError, setCsrfToken } from './api.ts';

export type TenantRole = 'tenant_admin' | 'auditor' | 'member';

export interface Session {
  principal: { tenant_id: string; user_id: string | null; tenant_role: TenantRole; actor: string };
  csrf_token: string | null;
  single_tenant: boolean;
  expires_at: string | null;
}

interface SessionState {
  /** undefined while the first GET /session is under way; null when signed out */
  session: Session | null | undefined;
  signIn: (credential: string) => Promise<void>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

async function readProblem(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return new ApiError(response.status, body);
}

/** The signed-in caller: read from GET /session on load, set by sign-in, cleared by sign-out. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  const adopt = useCallback((next: Session | null) => {
    setCsrfToken(next?.csrf_token ?? null);
    setSession(next);
  }, []);

  useEffect(() => {
    let live = true;
    void fetch(`${API_BASE}/session`, { credentials: 'same-origin' })
      .then(async (r) => (r.ok ? ((await r.json()) as Session) : null))
      .catch(() => null)
      .then((s) => live && adopt(s));
    return () => {
      live = false;
    };
  }, [adopt]);

  const signIn = useCallback(
    async (credential: string) => {
      const response = await fetch(`${API_BASE}/session`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ credential }),
      });
      if (!response.ok) throw await readProblem(response);
      adopt((await response.json()) as Session);
    },
    [adopt],
  );

  const signOut = useCallback(async () => {
    await fetch(`${API_BASE}/session`, { method: 'DELETE', credentials: 'same-origin', headers: csrfHeader(session) });
    adopt(null);
  }, [adopt, session]);

  const value = useMemo(() => ({ session, signIn, signOut }), [session, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

const csrfHeader = (session: Session | null | undefined): Record<string, string> =>
  session?.csrf_token ? { 'x-csrf-token': session.csrf_token } : {};

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}
