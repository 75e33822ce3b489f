import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthJwtReply, Principal, type RequestMeta, authRpc, rpc as patterns } from '@mandant/contracts';
import type { RpcClient } from '@mandant/shared/rpc';
import { type JwtConfig, jwtVerifier, principalFromClaims, registrationClaims } from './jwt.ts';
import { ProblemError, problemStatus } from './problem.ts';
import { checkedReply } from './reply.ts';
import type { Access } from './routes.ts';

export { type JwtConfig, jwtVerifier, principalFromClaims } from './jwt.ts';

/** Who a request acts as, once authenticated: the platform operator, or a principal inside one tenant. */
export type Caller = { kind: 'operator' } | { kind: 'tenant'; principal: Principal };

export interface AuthConfig {
  operatorToken: string;
  jwt: JwtConfig;
  singleTenantPrincipal: Principal | null;
}

export const API_KEY_PREFIX = 'mnd_';

const unauthenticated = (why: string) => new ProblemError('unauthenticated', why);

/** The token of an `Authorization: Bearer …` header, or null when there is none. */
export function parseBearer(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Constant-time equality of two secrets; hashing first makes unequal lengths take the same path. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}

/** Whether an `Authorization` header carries one of the given secrets (unset ones never match). */
export function bearerMatches(authorization: string | undefined, secrets: readonly (string | undefined)[]): boolean {
  const token = parseBearer(authorization);
  if (!token) return false;
  // every secret is compared, so the time taken does not tell which one matched
  return secrets.map((s) => (s ? sameSecret(token, s) : false)).some(Boolean);
}

/**
 * The coarse rule kept at the edge: an auditor reads the audit routes and nothing else.
 * Everything finer is decided by the services.
 */
export function assertEdgeAccess(access: Access, principal: Principal): void {
  if (principal.tenant_role === 'auditor' && access !== 'audit') {
    throw new ProblemError('forbidden', 'auditors may only read the event log');
  }
}

export interface Authenticator {
  /** Who the request acts as on a route of the given access; throws a 401/403 problem otherwise. */
  authenticate(access: Access, authorization: string | undefined, meta: RequestMeta): Promise<Caller>;
  /**
   * The tenant principal of a credential given to sign in (session.ts): authenticated exactly as
   * in an `Authorization` header. Every refusal of the credential is the same 401, so a failed
   * sign-in does not tell which part failed; the operator token is refused 403 (the console is
   * for tenant users).
   */
  signIn(credential: string, meta: RequestMeta): Promise<Principal>;
}

/**
 * Authentication, in one place. API keys, and a JWT's tenant and subject, are resolved by the
 * services on every request, uncached: a revoked key or an offboarded tenant stops working at
 * once on every gateway replica. A JWT's signature is not enough: its tenant must be live (never
 * provisioned or offboarded: 401, nothing written) and its subject a registered user of it (else
 * 401, or registration from the token's claims when `registerOnFirstUse` is set).
 */
export function createAuthenticator(cfg: AuthConfig, rpc: RpcClient): Authenticator {
  const verifyJwt = jwtVerifier(cfg.jwt);

  const ask = async (pattern: string, principal: Principal | null, meta: RequestMeta, input: unknown): Promise<unknown> => {
    const reply = checkedReply(pattern, await rpc.request<unknown>(pattern, { principal, operator: false, meta, input }));
    if (reply.ok) return reply.value;
    throw reply.error.code === 'validation.failed'
      ? unauthenticated('invalid credentials')
      : new ProblemError(reply.error.code, reply.error.message, reply.error.details);
  };

  const apiKeyPrincipal = async (token: string, meta: RequestMeta): Promise<Principal> => {
    const value = await ask(patterns.authApiKey, null, meta, { secret: token }).catch((err: unknown) => {
      throw err instanceof ProblemError && err.code === 'unauthenticated' ? unauthenticated('invalid or revoked API key') : err;
    });
    const principal = Principal.safeParse(value);
    if (!principal.success) throw new Error('auth.api_key replied with a malformed principal');
    return principal.data;
  };

  const jwtPrincipal = async (token: string, meta: RequestMeta, mayRegister: boolean): Promise<Principal> => {
    if (!verifyJwt) throw unauthenticated('invalid API key or token');
    const payload = await verifyJwt(token);
    const principal = principalFromClaims(payload);
    const known = AuthJwtReply.safeParse(
      await ask(authRpc.authJwt, null, meta, { tenant_id: principal.tenant_id, user_id: principal.user_id }),
    );
    if (!known.success) throw new Error('auth.jwt replied with a malformed answer');
    if (known.data.user_registered) return principal;
    if (!cfg.jwt.registerOnFirstUse || !mayRegister) throw unauthenticated('the token subject is not a user of its tenant');
    await ask(authRpc.userRegisterFromToken, principal, meta, registrationClaims(payload));
    return principal;
  };

  const tenantPrincipal = (token: string, meta: RequestMeta, mayRegister: boolean): Promise<Principal> =>
    token.startsWith(API_KEY_PREFIX) ? apiKeyPrincipal(token, meta) : jwtPrincipal(token, meta, mayRegister);

  return {
    async authenticate(access, authorization, meta) {
      if (access !== 'operator' && cfg.singleTenantPrincipal) return { kind: 'tenant', principal: cfg.singleTenantPrincipal };
      const token = parseBearer(authorization);
      if (!token) throw unauthenticated('send Authorization: Bearer <API key or token>');
      const isOperator = sameSecret(token, cfg.operatorToken);
      if (access === 'operator') {
        if (isOperator) return { kind: 'operator' };
        // A valid tenant credential is refused (403); anything else is no credential at all (401).
        await tenantPrincipal(token, meta, false);
        throw new ProblemError('forbidden', 'only the platform operator may manage tenants');
      }
      if (isOperator) throw new ProblemError('forbidden', 'operator token cannot act inside a tenant');
      const principal = await tenantPrincipal(token, meta, true);
      assertEdgeAccess(access, principal);
      return { kind: 'tenant', principal };
    },
    async signIn(credential, meta) {
      if (sameSecret(credential, cfg.operatorToken))
        throw new ProblemError('forbidden', 'the operator token cannot sign in to the console');
      try {
        return await tenantPrincipal(credential, meta, true);
      } catch (err) {
        // an unknown key, a bad signature, an expired token, an unknown tenant or user: one answer
        if (err instanceof ProblemError && problemStatus(err.code) < 500) throw unauthenticated('invalid API key or token');
        throw err;
      }
    },
  };
}
