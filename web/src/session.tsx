import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { Schema } from '@mandant/client';
import { ApiError, api, setCsrfToken, unwrap } from './api.ts';

export type Session = Schema<'Session'>;
export type TenantRole = Session['principal']['tenant_role'];

interface SessionState {
  /** undefined while the first GET /session is under way; null when signed out */
  session: Session | null | undefined;
  /** why the caller was signed out, shown on the sign-in page ("Your session ended"); null after a sign-out by hand */
  ended: string | null;
  signIn: (credential: string) => Promise<void>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

/**
 * A 401 from any call means the cookie session ended (expired, or its key was revoked): the
 * query cache reports it here and the console goes back to sign-in, saying why.
 */
const endListeners = new Set<() => void>();
export function reportUnauthenticated(): void {
  for (const listener of endListeners) listener();
}

/** True for an answer that says the caller is no longer signed in. */
export const isUnauthenticated = (error: unknown): boolean => error instanceof ApiError && error.status === 401;

/** The signed-in caller: read from GET /session on load, set by sign-in, cleared by sign-out. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [ended, setEnded] = useState<string | null>(null);
  const current = useRef<Session | null | undefined>(undefined);
  const queryClient = useQueryClient();

  const adopt = useCallback(
    (next: Session | null) => {
      // another caller's answers must not show to the next one signing in on this tab
      if (current.current && current.current.principal.actor !== next?.principal.actor) queryClient.clear();
      current.current = next;
      setCsrfToken(next?.csrf_token ?? null);
      setSession(next);
    },
    [queryClient],
  );

  useEffect(() => {
    let live = true;
    void api
      .GET('/session')
      .then((answer) => (answer.response.ok && answer.data ? answer.data : null))
      .catch(() => null)
      .then((s) => live && adopt(s));
    return () => {
      live = false;
    };
  }, [adopt]);

  useEffect(() => {
    const onEnd = () => {
      // single-tenant mode has no sign-in to go back to: its session is the default principal
      if (!current.current || current.current.single_tenant) return;
      setEnded('Your session ended');
      adopt(null);
    };
    endListeners.add(onEnd);
    return () => {
      endListeners.delete(onEnd);
    };
  }, [adopt]);

  const signIn = useCallback(
    async (credential: string) => {
      const next = unwrap(await api.POST('/session', { body: { credential } }));
      setEnded(null);
      adopt(next);
    },
    [adopt],
  );

  const signOut = useCallback(async () => {
    await api.DELETE('/session').catch(() => undefined);
    setEnded(null);
    adopt(null);
  }, [adopt]);

  const value = useMemo(() => ({ session, ended, signIn, signOut }), [session, ended, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}
