import { randomUUID } from 'node:crypto';
import type { Principal, RpcReply } from '@mandant/contracts';
import { authRpc, rpc as patterns } from '@mandant/contracts';
import fc from 'fast-check';
import { type JWTPayload, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { RpcClient } from '@mandant/shared/rpc';
import { createAuthenticator } from './auth.ts';
import {
  CLOCK_SKEW_SECONDS,
  DEFAULT_JWT_MAX_LIFETIME_SECONDS,
  jwtVerifier,
  lifetimeProblem,
  principalFromClaims,
  registrationClaims,
} from './jwt.ts';
import { ProblemError } from './problem.ts';

// The JWT rules: exp required, a bounded lifetime, only the configured algorithms, claims
// parsed or refused with 401 (never a crash), and a live tenant and a registered subject.
const runs = { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 200 };
const asyncRuns = { ...runs, numRuns: 60 };
const SECRET = 'a-secret-long-enough-for-hs256-0123456789';
const key = new TextEncoder().encode(SECRET);
const meta = { correlation_id: 'c', traceparent: null };
const MAX = 3_600;
const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof ProblemError ? e.code : String(e)),
  );
const nowSec = () => Math.floor(Date.now() / 1000);

const sign = (claims: JWTPayload, alg = 'HS256', secret: Uint8Array = key) => new SignJWT(claims).setProtectedHeader({ alg }).sign(secret);

describe('lifetimeProblem', () => {
  const time = fc.integer({ min: 1_600_000_000, max: 2_000_000_000 });
  const max = fc.integer({ min: 60, max: 30 * 86_400 });
  const anyValue = fc.oneof(fc.constant(undefined), fc.string(), fc.double(), fc.constant(null), fc.boolean());

  it('refuses any token without a numeric exp, whatever else it claims', () => {
    fc.assert(
      fc.property(
        time,
        max,
        anyValue.filter((v) => typeof v !== 'number' || !Number.isFinite(v)),
        fc.option(time),
        (now, m, exp, iat) => {
          expect(lifetimeProblem({ exp: exp as number, iat: iat ?? undefined }, now, m)).toMatch(/exp/);
        },
      ),
      runs,
    );
  });

  it('refuses a token valid for longer than the maximum from now, with or without iat', () => {
    fc.assert(
      fc.property(
        time,
        max,
        fc.integer({ min: 1, max: 10 ** 8 }),
        fc.option(fc.integer({ min: -(10 ** 8), max: 0 })),
        (now, m, extra, iatOffset) => {
          const exp = now + m + CLOCK_SKEW_SECONDS + extra;
          expect(lifetimeProblem({ exp, iat: iatOffset === null ? undefined : now + iatOffset }, now, m)).not.toBeNull();
        },
      ),
      runs,
    );
  });

  it('refuses exp − iat above the maximum even when the rest of the lifetime is short (back-dated iat)', () => {
    fc.assert(
      fc.property(time, max, fc.integer({ min: 1, max: 10 ** 6 }), fc.integer({ min: 1, max: 60 }), (now, m, extra, left) => {
        expect(lifetimeProblem({ iat: now + left - m - extra, exp: now + left }, now, m)).toMatch(/lifetime/);
      }),
      runs,
    );
  });

  it('refuses iat beyond the clock skew in the future', () => {
    fc.assert(
      fc.property(time, max, fc.integer({ min: CLOCK_SKEW_SECONDS + 1, max: 10 ** 6 }), (now, m, ahead) => {
        expect(lifetimeProblem({ iat: now + ahead, exp: now + ahead + 1 }, now, m)).not.toBeNull();
      }),
      runs,
    );
  });

  it('accepts a token issued now (give or take the skew) for at most the maximum', () => {
    fc.assert(
      fc.property(
        time,
        max,
        fc.integer({ min: -CLOCK_SKEW_SECONDS, max: CLOCK_SKEW_SECONDS }),
        fc.integer({ min: 1, max: 30 * 86_400 }),
        fc.boolean(),
        (now, m, skew, lifetime, withIat) => {
          const l = Math.min(lifetime, m);
          expect(lifetimeProblem({ iat: withIat ? now + skew : undefined, exp: now + skew + l }, now, m)).toBeNull();
        },
      ),
      runs,
    );
  });

  it('defaults the maximum to 24 h', () => {
    expect(DEFAULT_JWT_MAX_LIFETIME_SECONDS).toBe(86_400);
  });
});

describe('jwtVerifier lifetimes and algorithms (signed tokens)', () => {
  // the verifier's clock stands still: a token is judged at the second it was made for, however
  // long signing and verifying take on a busy machine (a second boundary between them would
  // otherwise expire a token of one second, or bring one just over the maximum under it)
  const clockMs = Date.now();
  const nowSec = () => Math.floor(clockMs / 1000);
  const verify = jwtVerifier({ hs256Secret: SECRET, maxLifetimeSeconds: MAX }, () => clockMs);
  if (!verify) throw new Error('expected a verifier');
  const base = () => ({ tenant_id: randomUUID(), sub: randomUUID() });

  it('accepts HS256 tokens whose lifetime is within the maximum and refuses longer ones with 401', async () => {
    // any lifetime, and often one at the edges (the maximum, and the maximum with the skew)
    const lifetimes = fc.oneof(fc.integer({ min: 1, max: 10 * MAX }), fc.integer({ min: MAX - 2, max: MAX + CLOCK_SKEW_SECONDS + 2 }));
    await fc.assert(
      fc.asyncProperty(lifetimes, fc.boolean(), async (lifetime, withIat) => {
        const now = nowSec();
        const claims = { ...base(), exp: now + lifetime, ...(withIat ? { iat: now } : {}) };
        const code = await codeOf(verify(await sign(claims)));
        // without iat, the lifetime is exp − now, allowed the clock skew on top
        expect(code).toBe(lifetime <= MAX + (withIat ? 0 : CLOCK_SKEW_SECONDS) ? 'ok' : 'unauthenticated');
      }),
      asyncRuns,
    );
  });

  it('refuses a correctly signed token without exp', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(fc.integer({ min: -MAX, max: 0 })), async (iatOffset) => {
        const claims = { ...base(), ...(iatOffset === null ? {} : { iat: nowSec() + iatOffset }) };
        const err = await verify(await sign(claims)).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ProblemError);
        expect((err as ProblemError).code).toBe('unauthenticated');
        expect((err as ProblemError).message).toMatch(/exp/);
      }),
      { ...asyncRuns, numRuns: 20 },
    );
  });

  it('refuses expired tokens', async () => {
    const now = nowSec();
    expect(await codeOf(verify(await sign({ ...base(), iat: now - 120, exp: now - 60 })))).toBe('unauthenticated');
  });

  it('accepts HS256 only: other HMAC algorithms with the same secret, and unsigned tokens, answer 401', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('HS256', 'HS384', 'HS512', 'none'), async (alg) => {
        const now = nowSec();
        const claims = { ...base(), iat: now, exp: now + 60 };
        const token = alg === 'none' ? new UnsecuredJWT(claims).encode() : await sign(claims, alg);
        expect(await codeOf(verify(token))).toBe(alg === 'HS256' ? 'ok' : 'unauthenticated');
      }),
      { ...asyncRuns, numRuns: 20 },
    );
  });

  it('answers 401, never another error, to arbitrary strings as tokens', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `${Buffer.from(s).toString('base64url')}.e30.x`),
        ),
        async (token) => {
          expect(await codeOf(verify(token))).toBe('unauthenticated');
        },
      ),
      asyncRuns,
    );
  });
});

describe('claims', () => {
  const claimValue = fc.oneof(
    fc.uuid(),
    fc.string(),
    fc.integer(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.object({ maxDepth: 1 }),
  );

  it('maps random claim sets to a principal of exactly those claims, or refuses them with 401', () => {
    const roles = fc.oneof(
      fc.constant(undefined),
      fc.array(fc.constantFrom('tenant_admin', 'auditor', 'member', 'owner', ''), { maxLength: 4 }),
      claimValue,
    );
    fc.assert(
      fc.property(fc.option(claimValue), fc.option(claimValue), roles, (tenant_id, sub, r) => {
        const payload = { tenant_id, sub, roles: r } as JWTPayload;
        let principal: Principal;
        try {
          principal = principalFromClaims(payload);
        } catch (err) {
          expect(err).toBeInstanceOf(ProblemError);
          expect((err as ProblemError).code).toBe('unauthenticated');
          return;
        }
        expect(principal.tenant_id).toBe(tenant_id);
        expect(principal.user_id).toBe(sub);
        expect(principal.actor).toBe(`user:${sub as string}`);
        const list = Array.isArray(r) ? r : [];
        expect(principal.tenant_role).toBe(
          list.includes('tenant_admin') ? 'tenant_admin' : list.includes('auditor') ? 'auditor' : 'member',
        );
      }),
      runs,
    );
  });

  it('registers from the email claim (name defaulting to it), and refuses a token without a valid one', () => {
    expect(registrationClaims({ email: 'ana@example.org', name: 'Ana' })).toEqual({ email: 'ana@example.org', name: 'Ana' });
    expect(registrationClaims({ email: 'ana@example.org' })).toEqual({ email: 'ana@example.org', name: 'ana@example.org' });
    expect(registrationClaims({ email: 'ana@example.org', name: ` ${'n'.repeat(500)} ` }).name).toBe('n'.repeat(200));
    expect(registrationClaims({ email: 'ana@example.org', name: `n${'\u{1f600}'.repeat(150)}` }).name).toBe(`n${'\u{1f600}'.repeat(99)}`);
    fc.assert(
      fc.property(fc.option(claimValue), fc.option(claimValue), (email, name) => {
        fc.pre(typeof email !== 'string' || !email.includes('@'));
        expect(() => registrationClaims({ email, name })).toThrow(ProblemError);
      }),
      runs,
    );
  });
});

/** The tenant and membership services as the authenticator sees them: tenants, their users, registrations. */
function services(live: Set<string>, users: Set<string>) {
  const registered: { principal: Principal | null; input: unknown }[] = [];
  const client: RpcClient = {
    async request<T>(pattern: string, req: { principal: Principal | null; input: unknown }) {
      const refuse = (code: string) => ({ ok: false, error: { code, message: code, details: {} } }) as RpcReply<T>;
      if (pattern === authRpc.authJwt) {
        const { tenant_id, user_id } = req.input as { tenant_id: string; user_id: string };
        if (!live.has(tenant_id)) return refuse('unauthenticated');
        return { ok: true, value: { user_registered: users.has(`${tenant_id}/${user_id}`) } } as RpcReply<T>;
      }
      if (pattern === authRpc.userRegisterFromToken) {
        registered.push({ principal: req.principal, input: req.input });
        if (req.principal?.user_id) users.add(`${req.principal.tenant_id}/${req.principal.user_id}`);
        return { ok: true, value: null } as RpcReply<T>;
      }
      if (pattern === patterns.authApiKey) return refuse('unauthenticated');
      throw new Error(`unexpected ${pattern}`);
    },
    async close() {},
  };
  return { client, registered };
}

describe('createAuthenticator with JWTs', () => {
  const operatorToken = 'operator-token-0123456789abcdef';
  const tenant = randomUUID();
  const user = randomUUID();
  const token = async (claims: JWTPayload) => sign({ iat: nowSec(), exp: nowSec() + 600, ...claims });

  it('refuses a correctly signed token of a tenant that is not live (never provisioned, offboarded) with 401', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uuid(),
        fc.constantFrom<'tenant' | 'audit' | 'operator'>('tenant', 'audit', 'operator'),
        async (phantom, access) => {
          fc.pre(phantom !== tenant);
          const s = services(new Set([tenant]), new Set([`${phantom}/${user}`]));
          const auth = createAuthenticator(
            { operatorToken, jwt: { hs256Secret: SECRET, registerOnFirstUse: true }, singleTenantPrincipal: null },
            s.client,
          );
          const bearer = `Bearer ${await token({ tenant_id: phantom, sub: user, roles: ['tenant_admin'], email: 'x@example.org' })}`;
          expect(await codeOf(auth.authenticate(access, bearer, meta))).toBe('unauthenticated');
          expect(s.registered).toEqual([]);
        },
      ),
      { ...asyncRuns, numRuns: 20 },
    );
  });

  it('refuses a subject that is not a user of the tenant with 401 by default, and registers nothing', async () => {
    const s = services(new Set([tenant]), new Set());
    const auth = createAuthenticator({ operatorToken, jwt: { hs256Secret: SECRET }, singleTenantPrincipal: null }, s.client);
    expect(
      await codeOf(auth.authenticate('tenant', `Bearer ${await token({ tenant_id: tenant, sub: user, email: 'u@example.org' })}`, meta)),
    ).toBe('unauthenticated');
    expect(s.registered).toEqual([]);
  });

  it('accepts a registered subject with the roles of its token', async () => {
    const s = services(new Set([tenant]), new Set([`${tenant}/${user}`]));
    const auth = createAuthenticator({ operatorToken, jwt: { hs256Secret: SECRET }, singleTenantPrincipal: null }, s.client);
    const caller = await auth.authenticate(
      'tenant',
      `Bearer ${await token({ tenant_id: tenant, sub: user, roles: ['tenant_admin'] })}`,
      meta,
    );
    expect(caller).toEqual({
      kind: 'tenant',
      principal: { tenant_id: tenant, user_id: user, tenant_role: 'tenant_admin', actor: `user:${user}` },
    });
  });

  it('with register-on-first-use, registers the subject once from its email and name claims', async () => {
    const s = services(new Set([tenant]), new Set());
    const auth = createAuthenticator(
      { operatorToken, jwt: { hs256Secret: SECRET, registerOnFirstUse: true }, singleTenantPrincipal: null },
      s.client,
    );
    const bearer = `Bearer ${await token({ tenant_id: tenant, sub: user, email: 'Ana@Example.org', name: 'Ana' })}`;
    expect((await auth.authenticate('tenant', bearer, meta)).kind).toBe('tenant');
    expect((await auth.authenticate('tenant', bearer, meta)).kind).toBe('tenant');
    expect(s.registered).toEqual([
      { principal: expect.objectContaining({ tenant_id: tenant, user_id: user }), input: { email: 'Ana@Example.org', name: 'Ana' } },
    ]);
  });

  it('with register-on-first-use, still refuses a subject without an email claim, and never registers on operator routes', async () => {
    const s = services(new Set([tenant]), new Set());
    const auth = createAuthenticator(
      { operatorToken, jwt: { hs256Secret: SECRET, registerOnFirstUse: true }, singleTenantPrincipal: null },
      s.client,
    );
    expect(await codeOf(auth.authenticate('tenant', `Bearer ${await token({ tenant_id: tenant, sub: user })}`, meta))).toBe(
      'unauthenticated',
    );
    expect(
      await codeOf(auth.authenticate('operator', `Bearer ${await token({ tenant_id: tenant, sub: user, email: 'u@example.org' })}`, meta)),
    ).toBe('unauthenticated');
    expect(s.registered).toEqual([]);
  });
});
