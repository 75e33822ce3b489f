import { randomUUID } from 'node:crypto';
import type { Principal, RpcReply } from '@mandant/contracts';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { RpcClient } from '@mandant/shared/rpc';
import { assertEdgeAccess, createAuthenticator, jwtVerifier, parseBearer, principalFromClaims, sameSecret } from './auth.ts';
import { ProblemError } from './problem.ts';

const meta = { correlation_id: 'c', traceparent: null };
const tenant = randomUUID();
const member: Principal = { tenant_id: tenant, user_id: randomUUID(), tenant_role: 'member', actor: 'user:x' };
const auditor: Principal = { ...member, user_id: null, tenant_role: 'auditor' };

/** An in-memory stand-in for the tenant service's auth.api_key use case. */
const keyService = (keys: Record<string, Principal>): RpcClient => ({
  async request<T>(_pattern: string, req: { input: unknown }) {
    const principal = keys[(req.input as { secret: string }).secret];
    return (
      principal ? { ok: true, value: principal } : { ok: false, error: { code: 'unauthenticated', message: 'no', details: {} } }
    ) as RpcReply<T>;
  },
  async close() {},
});

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof ProblemError ? e.code : String(e)),
  );

describe('parseBearer', () => {
  it('extracts the token of a Bearer header, case-insensitively', () => {
    expect(parseBearer('Bearer abc.def')).toBe('abc.def');
    expect(parseBearer('bearer  mnd_x ')).toBe('mnd_x');
  });
  it('returns null for a missing, empty or other scheme', () => {
    for (const h of [undefined, '', 'Bearer', 'Basic dXNlcg==', 'Bearer a b']) expect(parseBearer(h)).toBeNull();
  });
});

describe('sameSecret', () => {
  it('is true only for the identical, non-empty secret', () => {
    expect(sameSecret('s3cret-token', 's3cret-token')).toBe(true);
    expect(sameSecret('s3cret-toke', 's3cret-token')).toBe(false);
    expect(sameSecret('', '')).toBe(false);
  });
});

describe('principalFromClaims', () => {
  const sub = randomUUID();
  it('maps roles: tenant_admin outranks auditor, anything else is a member', () => {
    expect(principalFromClaims({ tenant_id: tenant, sub, roles: ['auditor', 'tenant_admin'] }).tenant_role).toBe('tenant_admin');
    expect(principalFromClaims({ tenant_id: tenant, sub, roles: ['auditor'] }).tenant_role).toBe('auditor');
    expect(principalFromClaims({ tenant_id: tenant, sub })).toEqual({
      tenant_id: tenant,
      user_id: sub,
      tenant_role: 'member',
      actor: `user:${sub}`,
    });
  });
  it('refuses claims without uuid tenant_id and sub', () => {
    expect(() => principalFromClaims({ tenant_id: 'acme', sub })).toThrow(ProblemError);
    expect(() => principalFromClaims({ tenant_id: tenant })).toThrow(ProblemError);
  });
});

describe('assertEdgeAccess', () => {
  it('lets auditors reach audit routes only', () => {
    expect(() => assertEdgeAccess('audit', auditor)).not.toThrow();
    expect(() => assertEdgeAccess('tenant', auditor)).toThrow(/auditors/);
    expect(() => assertEdgeAccess('tenant', member)).not.toThrow();
  });
});

describe('jwtVerifier', () => {
  const secret = 'a-secret-long-enough-for-hs256-0123456789';
  const sign = (key: string, issuer = 'idp') =>
    new SignJWT({ tenant_id: tenant })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(randomUUID())
      .setIssuer(issuer)
      .setAudience('mandant')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(key));

  it('is absent when neither a secret nor a JWKS is configured', () => {
    expect(jwtVerifier({})).toBeNull();
  });
  it('accepts a token signed with the secret for the configured issuer and audience, and nothing else', async () => {
    const verify = jwtVerifier({ hs256Secret: secret, issuer: 'idp', audience: 'mandant' });
    if (!verify) throw new Error('expected a verifier');
    expect((await verify(await sign(secret))).tenant_id).toBe(tenant);
    expect(await codeOf(verify(await sign('another-secret-long-enough-0123456789ab')))).toBe('unauthenticated');
    expect(await codeOf(verify(await sign(secret, 'other-idp')))).toBe('unauthenticated');
    expect(await codeOf(verify('not.a.jwt'))).toBe('unauthenticated');
  });
});

describe('createAuthenticator', () => {
  const operatorToken = 'operator-token-0123456789abcdef';
  const auth = createAuthenticator(
    { operatorToken, jwt: {}, singleTenantPrincipal: null },
    keyService({ mnd_member: member, mnd_audit: auditor }),
  );

  it('accepts the operator token on operator routes only', async () => {
    expect(await auth.authenticate('operator', `Bearer ${operatorToken}`, meta)).toEqual({ kind: 'operator' });
    expect(await codeOf(auth.authenticate('tenant', `Bearer ${operatorToken}`, meta))).toBe('forbidden');
  });
  it('refuses tenant credentials on operator routes with 403, and unknown ones with 401', async () => {
    expect(await codeOf(auth.authenticate('operator', 'Bearer mnd_member', meta))).toBe('forbidden');
    expect(await codeOf(auth.authenticate('operator', 'Bearer mnd_unknown', meta))).toBe('unauthenticated');
    expect(await codeOf(auth.authenticate('operator', undefined, meta))).toBe('unauthenticated');
  });
  it('resolves API keys through the tenant service and applies the auditor rule', async () => {
    expect(await auth.authenticate('tenant', 'Bearer mnd_member', meta)).toEqual({ kind: 'tenant', principal: member });
    expect(await codeOf(auth.authenticate('tenant', 'Bearer mnd_audit', meta))).toBe('forbidden');
    expect(await auth.authenticate('audit', 'Bearer mnd_audit', meta)).toEqual({ kind: 'tenant', principal: auditor });
    expect(await codeOf(auth.authenticate('tenant', 'Bearer eyJ.x.y', meta))).toBe('unauthenticated');
  });
  it('uses the single-tenant principal for tenant routes without credentials, never for operator routes', async () => {
    const single = createAuthenticator({ operatorToken, jwt: {}, singleTenantPrincipal: member }, keyService({}));
    expect(await single.authenticate('tenant', undefined, meta)).toEqual({ kind: 'tenant', principal: member });
    expect(await codeOf(single.authenticate('operator', undefined, meta))).toBe('unauthenticated');
  });
});
