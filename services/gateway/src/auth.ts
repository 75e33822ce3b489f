import { createHash, timingSafeEqual } from 'node:crypto';
import { Id, Principal, type RequestMeta, rpc as patterns } from '@mandant/contracts';
import { type JWTPayload, createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import type { RpcClient } from '@mandant/shared/rpc/rpc.ts';
import { ProblemError } from './problem.ts';
import { checkedReply } from './reply.ts';
import type { Access } from './routes.ts';

/** Who a request acts as, once authenticated: the platform operator, or a principal inside one tenant. */
export type Caller = { kind: 'operator' } | { kind: 'tenant'; principal: Principal };

export interface JwtConfig { hs256Secret?: string; jwksUrl?: string; issuer?: string; audience?: string }

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

const Claims = z.object({ tenant_id: Id, sub: Id, roles: z.array(z.string()).default([]) });

/** A verified JWT's claims as a principal; tenant admin outranks auditor, anything else is a member. */
export function principalFromClaims(payload: JWTPayload): Principal {
  const claims = Claims.safeParse(payload);
  if (!claims.success) throw unauthenticated('token claims tenant_id, sub (uuids) and roles (array) are required');
  const { tenant_id, sub, roles } = claims.data;
  const tenant_role = roles.includes('tenant_admin') ? 'tenant_admin' : roles.includes('auditor') ? 'auditor' : 'member';
  return { tenant_id, user_id: sub, tenant_role, actor: `user:${sub}` };
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

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

type JwtVerify = (token: string) => Promise<JWTPayload>;

/** Verifies HS256 with the shared secret, anything else against the JWKS; null when neither is configured. */
export function jwtVerifier(cfg: JwtConfig): JwtVerify | null {
  const secret = cfg.hs256Secret ? new TextEncoder().encode(cfg.hs256Secret) : null;
  const jwks = cfg.jwksUrl ? createRemoteJWKSet(new URL(cfg.jwksUrl)) : null;
  if (!secret && !jwks) return null;
  const opts = { issuer: cfg.issuer, audience: cfg.audience };
  return async (token) => {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw unauthenticated('malformed bearer token');
    }
    try {
      if (alg === 'HS256' && secret) return (await jwtVerify(token, secret, { ...opts, algorithms: ['HS256'] })).payload;
      if (alg !== 'HS256' && jwks) return (await jwtVerify(token, jwks, { ...opts, algorithms: ASYMMETRIC })).payload;
    } catch (err) {
      // The key set could not be fetched: our outage, not the caller's fault.
      if (err instanceof joseErrors.JWKSTimeout) throw new ProblemError('unavailable', 'key set unreachable');
      throw unauthenticated(err instanceof joseErrors.JWTExpired ? 'token expired' : 'invalid token');
    }
    throw unauthenticated(`tokens signed with ${alg ?? 'no algorithm'} are not accepted`);
  };
}

export interface Authenticator {
  /** Who the request acts as on a route of the given access; throws a 401/403 problem otherwise. */
  authenticate(access: Access, authorization: string | undefined, meta: RequestMeta): Promise<Caller>;
}

/**
 * Authentication, in one place. API keys are resolved by the tenant service on every request,
 * uncached, so a revoked key stops working at once on every gateway replica.
 */
export function createAuthenticator(cfg: AuthConfig, rpc: RpcClient): Authenticator {
  const verifyJwt = jwtVerifier(cfg.jwt);

  const tenantPrincipal = async (token: string, meta: RequestMeta): Promise<Principal> => {
    if (token.startsWith(API_KEY_PREFIX)) {
      const reply = checkedReply(patterns.authApiKey, await rpc.request<unknown>(patterns.authApiKey, { principal: null, operator: false, meta, input: { secret: token } }));
      if (!reply.ok) {
        if (reply.error.code === 'unauthenticated' || reply.error.code === 'validation.failed') throw unauthenticated('invalid or revoked API key');
        throw new ProblemError(reply.error.code, reply.error.message, reply.error.details);
      }
      const principal = Principal.safeParse(reply.value);
      if (!principal.success) throw new Error('auth.api_key replied with a malformed principal');
      return principal.data;
    }
    if (!verifyJwt) throw unauthenticated('invalid API key or token');
    return principalFromClaims(await verifyJwt(token));
  };

  return {
    async authenticate(access, authorization, meta) {
      if (access !== 'operator' && cfg.singleTenantPrincipal) return { kind: 'tenant', principal: cfg.singleTenantPrincipal };
      const token = parseBearer(authorization);
      if (!token) throw unauthenticated('send Authorization: Bearer <API key or token>');
      const isOperator = sameSecret(token, cfg.operatorToken);
      if (access === 'operator') {
        if (isOperator) return { kind: 'operator' };
        // A valid tenant credential is refused (403); anything else is no credential at all (401).
        await tenantPrincipal(token, meta);
        throw new ProblemError('forbidden', 'only the platform operator may manage tenants');
      }
      if (isOperator) throw new ProblemError('forbidden', 'operator token cannot act inside a tenant');
      const principal = await tenantPrincipal(token, meta);
      assertEdgeAccess(access, principal);
      return { kind: 'tenant', principal };
    },
  };
}
