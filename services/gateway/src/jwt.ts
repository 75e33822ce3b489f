import { Id, type Principal, RegisterFromTokenInput } from '@mandant/contracts';
import { type JWTPayload, createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { ProblemError } from './problem.ts';

export interface JwtConfig {
  hs256Secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** longest accepted lifetime in seconds (exp − iat, and exp − now); default DEFAULT_JWT_MAX_LIFETIME_SECONDS */
  maxLifetimeSeconds?: number;
  /** a subject that is not yet a user of its tenant registers itself from the token's claims instead of 401 */
  registerOnFirstUse?: boolean;
}

/** 24 h: a day's session; identity providers refresh access tokens far more often. */
export const DEFAULT_JWT_MAX_LIFETIME_SECONDS = 24 * 60 * 60;
/** Clocks of the identity provider and the gateway may disagree by this much. */
export const CLOCK_SKEW_SECONDS = 60;

const unauthenticated = (why: string) => new ProblemError('unauthenticated', why);

/**
 * Why a token's lifetime is refused, or null when it is accepted: `exp` is required (a token
 * without one would be valid forever), and neither exp − iat nor exp − now may exceed the
 * maximum, so an issuer cannot mint long-lived tokens by leaving `iat` out or back-dating it.
 * Expiry itself is jose's check. Pure: `now` in seconds is given.
 */
export function lifetimeProblem(payload: JWTPayload, now: number, maxLifetime: number): string | null {
  const { exp, iat } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'tokens must carry an exp claim';
  if (iat !== undefined) {
    if (typeof iat !== 'number' || !Number.isFinite(iat)) return 'invalid iat claim';
    if (iat > now + CLOCK_SKEW_SECONDS) return 'token issued in the future';
    if (exp - iat > maxLifetime) return `token lifetime exceeds ${maxLifetime} s`;
  }
  if (exp - now > maxLifetime + CLOCK_SKEW_SECONDS) return `token lifetime exceeds ${maxLifetime} s`;
  return null;
}

const Claims = z.object({ tenant_id: Id, sub: Id, roles: z.array(z.string()).default([]) });

/**
 * A verified JWT's claims as a principal; tenant admin outranks auditor, anything else is a member.
 * `roles` is the identity provider's statement and is trusted as such, tenant_admin included: the
 * same signature already decides which tenant the token acts in, so a provider able to mint a
 * token can name any tenant and any role alike; refusing the role would add no protection.
 */
export function principalFromClaims(payload: JWTPayload): Principal {
  const claims = Claims.safeParse(payload);
  if (!claims.success) throw unauthenticated('token claims tenant_id, sub (uuids) and roles (array) are required');
  const { tenant_id, sub, roles } = claims.data;
  const tenant_role = roles.includes('tenant_admin') ? 'tenant_admin' : roles.includes('auditor') ? 'auditor' : 'member';
  return { tenant_id, user_id: sub, tenant_role, actor: `user:${sub}` };
}

const NAME_MAX = 200;
/** A display name longer than users may have is cut (whole code points), not a reason to refuse the subject. */
const cut = (s: string, max: number): string => {
  let out = '';
  for (const ch of s) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out;
};

/**
 * What a subject registering on first use is recorded with: the standard `email` claim
 * (required: it is the user's unique handle in the tenant) and `name`, else the e-mail.
 */
export function registrationClaims(payload: JWTPayload): { email: string; name: string } {
  const email = typeof payload.email === 'string' ? payload.email : undefined;
  const name = typeof payload.name === 'string' && payload.name.trim() ? cut(payload.name.trim(), NAME_MAX) : email;
  const parsed = RegisterFromTokenInput.safeParse({ email, name });
  if (!parsed.success)
    throw unauthenticated('the token subject is not a user of its tenant, and it has no valid email claim to register with');
  return parsed.data;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export type JwtVerify = (token: string) => Promise<JWTPayload>;

/**
 * Verifies HS256 with the shared secret, anything else against the JWKS, then the lifetime
 * rules above; null when neither a secret nor a JWKS is configured.
 */
export function jwtVerifier(cfg: JwtConfig, clock: () => number = Date.now): JwtVerify | null {
  const secret = cfg.hs256Secret ? new TextEncoder().encode(cfg.hs256Secret) : null;
  const jwks = cfg.jwksUrl ? createRemoteJWKSet(new URL(cfg.jwksUrl)) : null;
  if (!secret && !jwks) return null;
  const maxLifetime = cfg.maxLifetimeSeconds ?? DEFAULT_JWT_MAX_LIFETIME_SECONDS;
  const opts = { issuer: cfg.issuer, audience: cfg.audience, requiredClaims: ['exp'] };
  const verified = async (token: string, alg: string | undefined): Promise<JWTPayload | null> => {
    const o = { ...opts, currentDate: new Date(clock()) };
    if (alg === 'HS256' && secret) return (await jwtVerify(token, secret, { ...o, algorithms: ['HS256'] })).payload;
    if (alg !== 'HS256' && jwks) return (await jwtVerify(token, jwks, { ...o, algorithms: ASYMMETRIC })).payload;
    return null;
  };
  return async (token) => {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw unauthenticated('malformed bearer token');
    }
    let payload: JWTPayload | null;
    try {
      payload = await verified(token, alg);
    } catch (err) {
      // The key set could not be fetched: our outage, not the caller's fault.
      if (err instanceof joseErrors.JWKSTimeout) throw new ProblemError('unavailable', 'key set unreachable');
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'exp')
        throw unauthenticated('tokens must carry an exp claim');
      throw unauthenticated(err instanceof joseErrors.JWTExpired ? 'token expired' : 'invalid token');
    }
    if (!payload) throw unauthenticated(`tokens signed with ${alg ?? 'no algorithm'} are not accepted`);
    const problem = lifetimeProblem(payload, Math.floor(clock() / 1000), maxLifetime);
    if (problem) throw unauthenticated(problem);
    return payload;
  };
}
