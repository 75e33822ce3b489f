import { randomUUID } from 'node:crypto';
import { authRpc, rpc } from '@mandant/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql } from '@mandant/shared/db';
import type { RpcContext } from '@mandant/shared/rpc';
import { postgresUrls } from '@mandant/shared/testing';
import { newApiKeySecret } from './api-keys.ts';
import { authHandlers } from './auth.ts';

// The tenant service's answers to the gateway, against the views as they may stand: a tenant
// provisioned or not, offboarded (before or after its view rows are purged), a subject
// registered or not. Offboarding counts from the tombstone's transaction, not from the purge.
const pg = postgresUrls();
const ctx: RpcContext = { principal: null, operator: false, meta: { correlation_id: 'auth-test', traceparent: null } };
const runs = { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 40 };
const outcome = (p: Promise<unknown>) =>
  p.then(
    (v) => ({ ok: v }),
    (e: unknown) => ({ code: (e as { code?: string }).code ?? String(e) }),
  );

describe.skipIf(!pg)('auth.jwt and auth.api_key', () => {
  let app: Sql;
  let owner: Sql;
  let handlers: ReturnType<typeof authHandlers>;
  beforeAll(() => {
    if (!pg) return;
    app = createSql(pg.appUrl, { max: 4 });
    owner = createSql(pg.ownerUrl, { max: 2 });
    handlers = authHandlers({ sql: app });
  });
  afterAll(async () => {
    await app?.end();
    await owner?.end();
  });

  /** A tenant as the views hold it; `offboarded` marks it after its rows were written (the purge not yet run). */
  async function tenant(s: { provisioned: boolean; registered: boolean; offboarded: boolean }) {
    const id = randomUUID();
    const user = randomUUID();
    const key = newApiKeySecret(id);
    if (s.provisioned) {
      await owner`insert into tenants_view (tenant_id, name, slug, settings, created_at, updated_at) values (${id}, 'T', ${`t-${id}`}, '{}', now(), now())`;
      await owner`insert into api_keys_view (tenant_id, key_id, name, user_id, role, prefix, secret_hash, created_at)
                  values (${id}, ${randomUUID()}, 'k', null, 'tenant_admin', 'mnd_…', ${key.secret_hash}, now())`;
    }
    if (s.registered)
      await owner`insert into users_view (tenant_id, user_id, email, name, created_at) values (${id}, ${user}, 'u@example.org', 'U', now())`;
    if (s.offboarded) await owner`insert into offboarded_tenants (tenant_id) values (${id})`;
    return { id, user, secret: key.secret };
  }

  it('answers auth.jwt for a live tenant only, telling whether the subject is registered', async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ provisioned: fc.boolean(), registered: fc.boolean(), offboarded: fc.boolean() }), async (s) => {
        const t = await tenant(s);
        const got = await outcome(Promise.resolve(handlers[authRpc.authJwt]?.({ tenant_id: t.id, user_id: t.user }, ctx)));
        if (s.provisioned && !s.offboarded) expect(got).toEqual({ ok: { user_registered: s.registered } });
        else expect(got).toEqual({ code: 'unauthenticated' });
      }),
      runs,
    );
  });

  it("refuses an offboarded tenant's API key from the tombstone on, even while its key row is still in the view", async () => {
    const live = await tenant({ provisioned: true, registered: false, offboarded: false });
    expect(await outcome(Promise.resolve(handlers[rpc.authApiKey]?.({ secret: live.secret }, ctx)))).toMatchObject({
      ok: { tenant_id: live.id, tenant_role: 'tenant_admin' },
    });
    const gone = await tenant({ provisioned: true, registered: false, offboarded: true });
    expect((await owner`select count(*)::int as n from api_keys_view where tenant_id = ${gone.id}`)[0]?.n).toBe(1);
    expect(await outcome(Promise.resolve(handlers[rpc.authApiKey]?.({ secret: gone.secret }, ctx)))).toEqual({ code: 'unauthenticated' });
  });

  it('refuses auth.jwt input that is not a tenant and subject uuid as invalid, never reaching the database', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (input) => {
        fc.pre(!(typeof input === 'object' && input !== null && 'tenant_id' in input));
        const got = await outcome(Promise.resolve().then(() => handlers[authRpc.authJwt]?.(input, ctx)));
        expect(got).not.toHaveProperty('ok');
      }),
      runs,
    );
  });
});
