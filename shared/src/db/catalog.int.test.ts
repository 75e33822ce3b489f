import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrls } from '../testing/backends.ts';
import { type Sql, createSql, withTenant } from './connect.ts';
import { APP_ROLE, migrate, prepareAppRole } from './migrate.ts';
import { createLogger } from '../log.ts';
import { ownDatabase } from '../testing/own-database.ts';

const pg = postgresUrls();

/**
 * The isolation promises of the README read back from the migrated database's catalog, so a
 * new migration that forgets one fails here rather than in a review.
 */

/** Cross-tenant reads the platform needs; each returns ids, positions or aggregates only. */
const SECURITY_DEFINER = [
  'mandant_analyze_stale',
  'mandant_data_key_tenants',
  'mandant_data_key_tombstones',
  'mandant_dead_letter_retries',
  'mandant_dead_letters_by_tenant',
  'mandant_idempotent_request_applied',
  'mandant_list_tenants',
  'mandant_outbox_backlog',
  'mandant_outbox_tenants',
  'mandant_platform_counts',
  'mandant_projection_lag',
  'mandant_projection_lag_by_tenant',
  'mandant_tenant_by_slug',
  'mandant_tenant_positions',
  'mandant_text_match',
];
/** Unique keys without tenant_id: tenant slugs name tenants to the operator, platform-wide by nature. */
const PLATFORM_WIDE_UNIQUES = ['tenant_slugs(slug)'];
/** Tables without tenant_id at all: the migration runner's own bookkeeping, not readable by the runtime role. */
const NOT_TENANT_TABLES = ['mandant_migrations'];

describe.skipIf(!pg)('the database catalog keeps every tenant apart', () => {
  let owner: Sql;
  let app: Sql;
  let db: { url: string; drop(): Promise<void> } | undefined;
  // a database of its own, exactly as the migrations leave it: other suites add test tables to the run's
  beforeAll(async () => {
    if (!pg) return;
    db = await ownDatabase(pg.ownerUrl, 'catalog');
    await migrate(db.url, createLogger({ level: 'warn' }));
    owner = createSql(db.url, { max: 2 });
    app = createSql(await prepareAppRole(db.url, undefined), { max: 2 });
  });
  afterAll(async () => {
    await owner?.end();
    await app?.end();
    await db?.drop();
  });

  it('prepares the runtime role from many starting processes at once', async () => {
    // every service process does this at start; with a password each of them alters the role
    try {
      const urls = await Promise.all(Array.from({ length: 12 }, () => prepareAppRole(db?.url ?? '', 'started-together')));
      for (const url of urls) expect(new URL(url).username).toBe(APP_ROLE);
    } finally {
      await owner.unsafe(`ALTER ROLE ${APP_ROLE} PASSWORD NULL`);
    }
  });

  it('runs services as a role that is no superuser, has no BYPASSRLS and owns no table, view, sequence, function or schema', async () => {
    const [role] =
      await owner`select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolinherit from pg_roles where rolname = ${APP_ROLE}`;
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false, rolinherit: false });
    const owned = await owner<{ kind: string; name: string }[]>`
      select 'relation:' || relkind::text as kind, relname as name from pg_class where relowner = (select oid from pg_roles where rolname = ${APP_ROLE})
      union all select 'function', proname from pg_proc where proowner = (select oid from pg_roles where rolname = ${APP_ROLE})
      union all select 'schema', nspname from pg_namespace where nspowner = (select oid from pg_roles where rolname = ${APP_ROLE})
      union all select 'type', typname from pg_type where typowner = (select oid from pg_roles where rolname = ${APP_ROLE})`;
    expect(owned).toEqual([]);
    // it belongs to no role that could lend it more (NOINHERIT aside, membership could be SET ROLE'd)
    expect(
      await owner`select roleid::regrole::text from pg_auth_members where member = (select oid from pg_roles where rolname = ${APP_ROLE})`,
    ).toEqual([]);
    // and it cannot create objects a definer function could be tricked into resolving
    const [can] = await app<{ create: boolean }[]>`select has_schema_privilege('public', 'CREATE') as create`;
    expect(can?.create).toBe(false);
  });

  it('has RLS enabled and forced, with the tenant policy, on every table with a tenant_id; the only other table is the migrations log', async () => {
    const tables = await owner<{ name: string; kind: string; tenant: boolean; enabled: boolean; forced: boolean; policies: string[] }[]>`
      select c.relname as name, c.relkind::text as kind, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
             exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped) as tenant,
             array(select p.polname || ':' || p.polpermissive::text || ':' || p.polcmd::text || ':' || pg_get_expr(p.polqual, p.polrelid) || ':' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
                   from pg_policy p where p.polrelid = c.oid order by 1) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'm', 'f') order by 1`;
    const tenantTables = tables.filter((t) => t.tenant);
    expect(tenantTables.length).toBeGreaterThanOrEqual(33);
    const policy = 'tenant_isolation:true:*:(tenant_id = mandant_current_tenant()):(tenant_id = mandant_current_tenant())';
    const exceptions = tenantTables.filter((t) => t.kind !== 'r' || !t.enabled || !t.forced || t.policies.join('|') !== policy);
    expect(exceptions).toEqual([]);
    expect(tables.filter((t) => !t.tenant).map((t) => t.name)).toEqual(NOT_TENANT_TABLES);
    const [grants] = await owner<
      { n: number }[]
    >`select count(*)::int as n from information_schema.role_table_grants where grantee = ${APP_ROLE} and table_name = any(${NOT_TENANT_TABLES})`;
    expect(grants?.n).toBe(0);
  });

  it('has only security_invoker views (none today), so no view reads past the caller’s row policies', async () => {
    const views = await owner<{ name: string; options: string[] | null }[]>`
      select c.relname as name, c.reloptions as options from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'v'`;
    expect(views.filter((v) => !(v.options ?? []).some((o) => /^security_invoker=(true|on|1)$/i.test(o)))).toEqual([]);
  });

  it('includes tenant_id in every unique index of a tenant table, tenant slugs being the one platform-wide name', async () => {
    const uniques = await owner<{ table: string; index: string; cols: string[]; tenant: boolean }[]>`
      select c.relname as table, ic.relname as index,
             array(select coalesce(a.attname::text, 'expr') from unnest(i.indkey) with ordinality k(attnum, o)
                   left join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum order by k.o) as cols,
             exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped) as tenant
      from pg_index i join pg_class c on c.oid = i.indrelid join pg_class ic on ic.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and i.indisunique order by 1, 2`;
    const withoutTenant = uniques.filter((u) => u.tenant && !u.cols.includes('tenant_id')).map((u) => `${u.table}(${u.cols.join(',')})`);
    expect(withoutTenant).toEqual(PLATFORM_WIDE_UNIQUES);
    // a partial or expression unique index would be read by eye: there is none
    const [odd] = await owner<{ n: number }[]>`select count(*)::int as n from pg_index i join pg_class c on c.oid = i.indrelid
      join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and i.indisunique and (i.indpred is not null or i.indexprs is not null)`;
    expect(odd?.n).toBe(0);
  });

  it('has exactly the known SECURITY DEFINER functions, each with a fixed search_path and callable by the runtime role, not by PUBLIC; the append functions and the views’ offboarding trigger pin how they are planned', async () => {
    const fns = await owner<{ name: string; config: string[] | null; app: boolean; pub: boolean }[]>`
      select p.proname as name, p.proconfig as config, has_function_privilege(${APP_ROLE}, p.oid, 'EXECUTE') as app,
             coalesce(exists (select 1 from aclexplode(p.proacl) x where x.grantee = 0 and x.privilege_type = 'EXECUTE'), p.proacl is null) as pub
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and p.prosecdef order by 1`;
    expect(fns.map((f) => f.name)).toEqual(SECURITY_DEFINER);
    // beside its path, the statistics keeper fixes the sample its ANALYZE takes (migration 290)
    const settings: Record<string, string[]> = { mandant_analyze_stale: ['search_path=public', 'default_statistics_target=10'] };
    for (const f of fns)
      expect([f.name, f.config, f.app, f.pub]).toEqual([f.name, settings[f.name] ?? ['search_path=public'], true, false]);
    // the append function runs as the caller, under RLS, and pins its path too, and how its
    // statements are planned (once per connection, never as a scan of the whole log: migration 230)
    // (mandant_append_v4, migration 300, beside the versions a rolling update may still run)
    const appends = await owner<{ name: string; definer: boolean; config: string[] | null }[]>`
      select proname as name, prosecdef as definer, proconfig as config from pg_proc
      where proname in ('mandant_append', 'mandant_append_v2', 'mandant_append_v3', 'mandant_append_v4') order by proname`;
    const config = ['search_path=public', 'plan_cache_mode=force_generic_plan', 'enable_seqscan=off'];
    expect(appends).toEqual([
      { name: 'mandant_append', definer: false, config },
      { name: 'mandant_append_v2', definer: false, config },
      { name: 'mandant_append_v3', definer: false, config },
      { name: 'mandant_append_v4', definer: false, config },
    ]);
    // the views' offboarding trigger plans its lookup once per connection, even inside a
    // projector's page, which plans its own statements for their parameters (migration 310)
    const [dropping] = await owner<{ definer: boolean; config: string[] | null }[]>`
      select prosecdef as definer, proconfig as config from pg_proc where proname = 'mandant_drop_offboarded_rows'`;
    expect(dropping).toEqual({ definer: false, config: ['search_path=public', 'plan_cache_mode=force_generic_plan'] });
  });

  it('interleaves tenants A and B over two pooled runtime connections: every read sees only its own tenant, and none outside a tenant transaction', async () => {
    const pool = createSql(pg?.appUrl ?? '', { max: 2 });
    try {
      const tenants = [randomUUID(), randomUUID()];
      for (const t of tenants) {
        await withTenant(pool, t, async (tx) => {
          for (let i = 0; i < 3; i++) {
            await tx`insert into projects_view (tenant_id, project_id, name, slug, status, created_at, last_activity_at)
              values (${t}, ${randomUUID()}, ${`p-${t}`}, ${`p-${i}-${t.slice(0, 8)}`}, 'active', now(), now())`;
          }
        });
      }
      const pids = new Set<number>();
      const rounds = 200;
      const leaks: string[] = [];
      await Promise.all(
        Array.from({ length: rounds }, async (_, i) => {
          const t = tenants[i % 2] ?? '';
          if (i % 10 === 9) {
            // a bare statement on whichever pooled connection is free: no tenant, no rows
            const rows = await pool<{ tenant_id: string }[]>`select tenant_id from projects_view where tenant_id = any(${tenants})`;
            const [cur] = await pool<{ t: string | null }[]>`select mandant_current_tenant()::text as t`;
            if (rows.length > 0 || cur?.t) leaks.push(`bare statement saw ${rows.length} rows, tenant ${cur?.t}`);
            return;
          }
          await withTenant(pool, t, async (tx) => {
            const [pid] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
            if (pid) pids.add(pid.pid);
            // yield between statements so the other connection's transaction runs in between
            await new Promise((r) => setTimeout(r, i % 3));
            const rows = await tx<
              { tenant_id: string; name: string }[]
            >`select tenant_id, name from projects_view where tenant_id = any(${tenants})`;
            const others = rows.filter((r) => r.tenant_id !== t || r.name !== `p-${t}`);
            if (rows.length !== 3 || others.length > 0) leaks.push(`tenant ${t} saw ${JSON.stringify(rows)}`);
            const written = await tx`update projects_view set name = 'hijacked' where tenant_id = ${tenants[(i + 1) % 2] ?? ''}`;
            if (written.count !== 0) leaks.push(`tenant ${t} updated ${written.count} rows of the other tenant`);
          });
        }),
      );
      expect(leaks).toEqual([]);
      expect(pids.size).toBe(2);
      // nothing carried over onto either connection afterwards
      const after = await Promise.all(
        [0, 1].map(() =>
          pool.begin(
            async (tx) => (await tx<{ n: number }[]>`select count(*)::int as n from projects_view where tenant_id = any(${tenants})`)[0]?.n,
          ),
        ),
      );
      expect(after).toEqual([0, 0]);
      // a write outside any tenant is refused by the policy's check, not silently stored
      await expect(pool`insert into projects_view (tenant_id, project_id, name, slug, status, created_at, last_activity_at)
        values (${tenants[0] ?? ''}, ${randomUUID()}, 'x', 'x', 'active', now(), now())`).rejects.toThrow(/row-level security/);
    } finally {
      await pool.end();
    }
  });
});
