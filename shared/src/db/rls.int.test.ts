import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrls } from '../testing/backends.ts';
import { type Sql, createSql, pipeline, withTenant } from './connect.ts';
import { APP_ROLE } from './migrate.ts';

const pg = postgresUrls();

describe.skipIf(!pg)('row-level security and the runtime role', () => {
  let owner: Sql;
  let app: Sql;
  beforeAll(() => {
    if (!pg) return;
    owner = createSql(pg.ownerUrl, { max: 2 });
    app = createSql(pg.appUrl, { max: 4 });
  });
  afterAll(async () => {
    await owner?.end();
    await app?.end();
  });

  it('connects services as a role that is no superuser, cannot bypass RLS and owns no table', async () => {
    const [me] = await app<{ user: string }[]>`select current_user as user`;
    expect(me?.user).toBe(APP_ROLE);
    const [role] = await owner`select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = ${APP_ROLE}`;
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false });
    const owned = await owner`select relname from pg_class where relowner = (select oid from pg_roles where rolname = ${APP_ROLE})`;
    expect(owned).toEqual([]);
  });

  it('has RLS enabled and forced on every table with a tenant_id, and every unique key includes tenant_id', async () => {
    const tables = await owner<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }[]>`
      select c.relname, c.relrowsecurity, c.relforcerowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r'
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)`;
    expect(tables.length).toBeGreaterThanOrEqual(13);
    for (const t of tables) expect([t.relname, t.relrowsecurity, t.relforcerowsecurity]).toEqual([t.relname, true, true]);
    // tenant slugs are the one platform-wide name; the table still carries and filters tenant_id
    const uniques = await owner<{ table: string; name: string; cols: string[] }[]>`
      select c.relname as table, con.conname as name,
             array(select a.attname::text from unnest(con.conkey) k join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k) as cols
      from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and con.contype in ('p', 'u') and c.relname <> 'mandant_migrations'`;
    for (const u of uniques) {
      if (u.table === 'tenant_slugs' && u.cols.includes('slug')) continue;
      expect([u.table, u.name, u.cols.includes('tenant_id')]).toEqual([u.table, u.name, true]);
    }
  });

  it('shows a transaction only its own tenant rows even when a query has no tenant filter', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    for (const t of [a, b]) {
      await withTenant(
        app,
        t,
        (tx) => tx`insert into projects_view (tenant_id, project_id, name, slug, status, created_at, last_activity_at)
        values (${t}, ${randomUUID()}, 'p', ${`p-${t.slice(0, 8)}`}, 'active', now(), now())`,
      );
    }
    const seen = await withTenant(app, a, (tx) => tx<{ tenant_id: string }[]>`select tenant_id from projects_view`);
    expect(seen.map((r) => r.tenant_id)).toEqual([a]);
    const updated = await withTenant(app, a, (tx) => tx`update projects_view set name = 'hijacked' where tenant_id = ${b}`);
    expect(updated.count).toBe(0);
    expect(await app`select * from projects_view`).toEqual([]);
  });

  it('never carries the tenant of one transaction into the next on the same pooled connection', async () => {
    const one = createSql(pg?.appUrl ?? '', { max: 1 });
    try {
      const [a, b] = [randomUUID(), randomUUID()];
      await withTenant(one, a, (tx) => tx`select 1`);
      const [after] = await one<{ t: string | null }[]>`select mandant_current_tenant()::text as t`;
      expect(after?.t).toBeNull();
      // interleave two tenants on one connection: each sees only itself
      const results = await Promise.all(
        [a, b, a, b].map((t) =>
          withTenant(one, t, async (tx) => (await tx<{ t: string }[]>`select mandant_current_tenant()::text as t`)[0]?.t),
        ),
      );
      expect(results).toEqual([a, b, a, b]);
    } finally {
      await one.end();
    }
  });

  it('sets the tenant before the first statement of the transaction, however it is issued, and a failure rolls the whole of it back', async () => {
    const t = randomUUID();
    const current = (tx: Parameters<Parameters<typeof withTenant>[2]>[0]) =>
      tx<{ t: string }[]>`select mandant_current_tenant()::text as t`;
    expect((await withTenant(app, t, (tx) => current(tx)))[0]?.t).toBe(t);
    expect(await withTenant(app, t, async (tx) => (await current(tx))[0]?.t)).toBe(t);
    expect(await withTenant(app, t, async (tx) => tx.savepoint(async (sp) => (await current(sp))[0]?.t))).toBe(t);
    const slug = `rolled-back-${t.slice(0, 8)}`;
    await expect(
      withTenant(app, t, async (tx) => {
        await tx`insert into projects_view (tenant_id, project_id, name, slug, status, created_at, last_activity_at)
        values (${t}, ${randomUUID()}, 'p', ${slug}, 'active', now(), now())`;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(withTenant(app, t, () => Promise.reject(new Error('before any statement')))).rejects.toThrow('before any statement');
    expect(await withTenant(app, t, (tx) => tx`select 1 from projects_view where slug = ${slug}`)).toHaveLength(0);
  });

  it('pipelines statements in the order written, answers each, and rejects with the first error', async () => {
    const t = randomUUID();
    const slug = `piped-${t.slice(0, 8)}`;
    const [, seen, nothing] = await withTenant(app, t, (tx) =>
      pipeline(
        tx`insert into projects_view (tenant_id, project_id, name, slug, status, created_at, last_activity_at)
        values (${t}, ${randomUUID()}, 'p', ${slug}, 'active', now(), now())`,
        tx<{ slug: string }[]>`select slug from projects_view where slug = ${slug}`,
        null,
      ),
    );
    expect(seen.map((r) => r.slug)).toEqual([slug]);
    expect(nothing).toBeNull();
    await expect(
      withTenant(app, t, (tx) =>
        pipeline(tx`update projects_view set name = 'changed' where slug = ${slug}`, tx`select 1 / 0`, tx`select 1`),
      ),
    ).rejects.toThrow(/division by zero/);
    expect(await withTenant(app, t, (tx) => tx<{ name: string }[]>`select name from projects_view where slug = ${slug}`)).toEqual([
      { name: 'p' },
    ]);
  });
});
