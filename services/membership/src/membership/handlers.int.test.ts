import { randomBytes, randomUUID } from 'node:crypto';
import { type EventEnvelope, type Principal, type ProfileView, type UserView, rpc, streams } from '@mandant/contracts';
import { DOCUMENT_VIEWS, documentCounts, documentViews } from '@mandant/documents';
import { projectDirectory, projectViews } from '@mandant/project';
import { applyEachEvent, readLog } from '@mandant/projectors/testing';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { DomainError } from '@mandant/shared/errors';
import { type EventStore, createEventStore } from '@mandant/shared/eventstore';
import { createLogger } from '@mandant/shared/log';
import { type Projector, startProjector } from '@mandant/shared/projection';
import type { RpcContext } from '@mandant/shared/rpc';
import { systemClock, waitingForViews } from '@mandant/shared/service';
import { type Keyring, createKeyring } from '@mandant/shared/stores/crypto';
import { createPostgresKeyStore } from '@mandant/shared/stores/crypto';
import { postgresUrls } from '@mandant/shared/testing';
import { tenantViews } from '@mandant/tenant';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { membershipService } from '../service.ts';
import { emailHash } from '../user/email.ts';
import { MEMBERSHIP_VIEWS, membershipViews } from '../views/projection.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });

describe.skipIf(!pg)('membership: personal data sealed with the tenant key (real Postgres)', () => {
  let sql: Sql;
  let store: EventStore;
  let keyring: Keyring;
  let call: (name: string, input: unknown, p: Principal) => Promise<unknown>;
  let projectors: Projector[] = [];
  let unsubscribe = () => {};

  const admin = (tenantId: string): Principal => ({
    tenant_id: tenantId,
    user_id: null,
    tenant_role: 'tenant_admin',
    actor: `api_key:${randomUUID()}`,
  });
  const context = (p: Principal): RpcContext => ({
    principal: p,
    operator: false,
    meta: { correlation_id: `membership-test-${randomUUID()}`, traceparent: null },
  });
  const eventsOf = async (tenantId: string, type: string): Promise<EventEnvelope[]> =>
    (await readLog(sql, tenantId)).filter((e) => e.type === type);
  const userRow = async (tenantId: string, userId: string) =>
    (
      await withTenant(sql, tenantId, (t) => t`select email, name from users_view where tenant_id = ${tenantId} and user_id = ${userId}`)
    )[0];
  const memberRow = async (tenantId: string, projectId: string, userId: string) =>
    (
      await withTenant(
        sql,
        tenantId,
        (t) => t`select display_name, preferences from members_view
      where tenant_id = ${tenantId} and project_id = ${projectId} and user_id = ${userId}`,
      )
    )[0];
  /** the project row access checks read (the project service's view) */
  async function seedProject(tenantId: string): Promise<string> {
    const projectId = randomUUID();
    const now = new Date();
    await withTenant(
      sql,
      tenantId,
      (t) => t`insert into projects_view (tenant_id, project_id, name, slug, status, created_at, last_activity_at)
      values (${tenantId}, ${projectId}, 'Leaks', ${`p-${projectId.slice(0, 8)}`}, 'active', ${now}, ${now})`,
    );
    return projectId;
  }

  beforeAll(async () => {
    if (!pg) return;
    sql = createSql(pg.appUrl, { max: 6, appName: 'mandant-membership-test' });
    store = createEventStore(sql);
    keyring = createKeyring({ masterKey: randomBytes(32).toString('base64'), store: createPostgresKeyStore(sql) });
    const service = membershipService({
      sql,
      store,
      clock: systemClock,
      log,
      waitForViews: waitingForViews(
        sql,
        log,
        [tenantViews, projectViews, MEMBERSHIP_VIEWS, DOCUMENT_VIEWS].map((v) => `${v.name}@v${v.version}`),
      ),
      keyring,
      projects: projectDirectory(documentCounts),
    });
    // every view the handlers wait for, projected right after each append (as `mandant tenants provision` does)
    const views = [tenantViews, projectViews, ...service.projections, documentViews(keyring)];
    projectors = views.map((projection) => startProjector({ sql, projection, log, sweepMs: 2 ** 30 }));
    unsubscribe = store.onAppended((tenantId, position) => {
      for (const p of projectors) void p.catchUp(tenantId, position).catch(() => {});
    });
    call = async (name, input, p) => {
      const handler = service.handlers[name];
      if (!handler) throw new Error(`${name} not served`);
      return handler(input, context(p));
    };
  });
  afterAll(async () => {
    unsubscribe();
    for (const p of projectors) await p.stop();
    await sql?.end();
  });

  it('registers a user with e-mail and name sealed: user.registered.v2 holds neither in clear, the view opens them', async () => {
    const tenant = randomUUID();
    const user = (await call(rpc.userCreate, { email: 'Ana.Lima@Example.org', name: 'Ana Lima' }, admin(tenant))) as UserView;
    expect(user).toMatchObject({ email: 'ana.lima@example.org', name: 'Ana Lima' });

    const [event, ...more] = await eventsOf(tenant, 'user.registered.v2');
    expect(more).toEqual([]);
    const payload = JSON.stringify(event?.data);
    expect(payload.toLowerCase()).not.toContain('ana.lima@example.org');
    expect(payload).not.toContain('Ana Lima');
    expect(event?.data.email_hash).toBe(emailHash(tenant, 'ana.lima@example.org'));
    expect(await eventsOf(tenant, 'user.registered.v1')).toEqual([]);

    const list = (await call(rpc.userList, {}, admin(tenant))) as { users: UserView[] };
    expect(list.users.map((u) => [u.email, u.name])).toEqual([['ana.lima@example.org', 'Ana Lima']]);
  });

  it('claims the e-mail as its hash, not the address', async () => {
    const tenant = randomUUID();
    const user = (await call(rpc.userCreate, { email: 'bo@example.org', name: 'Bo' }, admin(tenant))) as UserView;
    const claims = await withTenant(sql, tenant, (t) => t`select * from user_emails where tenant_id = ${tenant}`);
    expect(claims.map((c) => ({ ...c }))).toEqual([
      { tenant_id: tenant, email_hash: emailHash(tenant, 'bo@example.org'), user_id: user.id },
    ]);
  });

  it('refuses a second user with the same e-mail, whatever its case, with email.taken', async () => {
    const tenant = randomUUID();
    await call(rpc.userCreate, { email: 'cy@example.org', name: 'Cy' }, admin(tenant));
    const err = await call(rpc.userCreate, { email: 'CY@Example.ORG', name: 'Cy again' }, admin(tenant)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('email.taken');
    expect(await eventsOf(tenant, 'user.registered.v2')).toHaveLength(1);
    // another tenant may use it: the hash is per tenant
    await expect(call(rpc.userCreate, { email: 'cy@example.org', name: 'Cy' }, admin(randomUUID()))).resolves.toMatchObject({
      email: 'cy@example.org',
    });
  });

  it('records a profile sealed: member.profile_updated.v2 holds no display name, the view and the profile read open it', async () => {
    const tenant = randomUUID();
    const project = await seedProject(tenant);
    const user = (await call(rpc.userCreate, { email: 'di@example.org', name: 'Di' }, admin(tenant))) as UserView;
    await call(rpc.memberPut, { project_id: project, user_id: user.id, role: 'editor' }, admin(tenant));

    const put = (await call(
      rpc.profilePut,
      { project_id: project, user_id: user.id, display_name: 'Diana Prince', preferences: { theme: 'dark' } },
      admin(tenant),
    )) as ProfileView;
    expect(put).toEqual({ project_id: project, user_id: user.id, display_name: 'Diana Prince', preferences: { theme: 'dark' } });

    const [event] = await eventsOf(tenant, 'member.profile_updated.v2');
    expect(JSON.stringify(event?.data)).not.toContain('Diana Prince');
    expect(JSON.stringify(event?.data)).not.toContain('dark');
    expect(await eventsOf(tenant, 'member.profile_updated.v1')).toEqual([]);
    expect(await memberRow(tenant, project, user.id)).toEqual({ display_name: 'Diana Prince', preferences: { theme: 'dark' } });
    expect(await call(rpc.profileGet, { project_id: project, user_id: user.id }, admin(tenant))).toEqual(put);

    // a partial update keeps the other field, opened from the sealed profile
    const renamed = (await call(
      rpc.profilePut,
      { project_id: project, user_id: user.id, display_name: 'Di P.' },
      admin(tenant),
    )) as ProfileView;
    expect(renamed).toMatchObject({ display_name: 'Di P.', preferences: { theme: 'dark' } });
  });

  it('records nothing when the profile is unchanged', async () => {
    const tenant = randomUUID();
    const project = await seedProject(tenant);
    const user = (await call(rpc.userCreate, { email: 'ed@example.org', name: 'Ed' }, admin(tenant))) as UserView;
    await call(rpc.memberPut, { project_id: project, user_id: user.id, role: 'viewer' }, admin(tenant));
    await call(rpc.profilePut, { project_id: project, user_id: user.id, display_name: 'Ed', preferences: { a: 1, b: [2] } }, admin(tenant));
    const head = await store.head(tenant);
    await call(rpc.profilePut, { project_id: project, user_id: user.id, display_name: 'Ed', preferences: { b: [2], a: 1 } }, admin(tenant));
    await call(rpc.profilePut, { project_id: project, user_id: user.id }, admin(tenant));
    expect(await store.head(tenant)).toBe(head);
  });

  it('still reads users and profiles recorded in clear by v1 events (logs written before sealing)', async () => {
    const tenant = randomUUID();
    const project = await seedProject(tenant);
    const userId = randomUUID();
    const meta = { actor: 'api_key:legacy', correlation_id: `legacy-${randomUUID()}`, causation_id: null, traceparent: null };
    const at = new Date().toISOString();
    await store.append(
      tenant,
      streams.user(userId),
      0,
      [
        {
          id: randomUUID(),
          type: 'user.registered.v1',
          project_id: null,
          occurred_at: at,
          data: { email: 'old@example.org', name: 'Old Timer' },
        },
      ],
      meta,
    );
    const res = await store.append(
      tenant,
      streams.membership(project, userId),
      0,
      [
        { id: randomUUID(), type: 'member.added.v1', project_id: project, occurred_at: at, data: { user_id: userId, role: 'viewer' } },
        {
          id: randomUUID(),
          type: 'member.profile_updated.v1',
          project_id: project,
          occurred_at: at,
          data: { user_id: userId, display_name: 'Old', preferences: { x: 1 } },
        },
      ],
      meta,
    );
    for (const p of projectors) await p.catchUp(tenant, res.position);

    expect(await userRow(tenant, userId)).toEqual({ email: 'old@example.org', name: 'Old Timer' });
    expect(await memberRow(tenant, project, userId)).toEqual({ display_name: 'Old', preferences: { x: 1 } });
    expect(await call(rpc.profileGet, { project_id: project, user_id: userId }, admin(tenant))).toMatchObject({
      display_name: 'Old',
      preferences: { x: 1 },
    });
    // changing it writes v2, opened as well
    await call(rpc.profilePut, { project_id: project, user_id: userId, display_name: 'New' }, admin(tenant));
    expect(await memberRow(tenant, project, userId)).toEqual({ display_name: 'New', preferences: { x: 1 } });
  });

  it('shows users and profiles as erased, without failing, when the views are rebuilt after the tenant key was destroyed', async () => {
    const tenant = randomUUID();
    const project = await seedProject(tenant);
    const user = (await call(rpc.userCreate, { email: 'fay@example.org', name: 'Fay' }, admin(tenant))) as UserView;
    await call(rpc.memberPut, { project_id: project, user_id: user.id, role: 'admin' }, admin(tenant));
    await call(
      rpc.profilePut,
      { project_id: project, user_id: user.id, display_name: 'Fay W.', preferences: { theme: 'light' } },
      admin(tenant),
    );

    await keyring.destroy(tenant);
    const views = membershipViews(keyring);
    await withTenant(sql, tenant, (t) => views.reset(t, tenant));
    const logged = await readLog(sql, tenant);
    // twice, as every projector test does: the erased rows are idempotent too
    await applyEachEvent(sql, views, logged, 2);

    expect(await userRow(tenant, user.id)).toEqual({ email: null, name: null });
    expect(await memberRow(tenant, project, user.id)).toEqual({ display_name: null, preferences: {} });
    expect(await call(rpc.profileGet, { project_id: project, user_id: user.id }, admin(tenant))).toEqual({
      project_id: project,
      user_id: user.id,
      display_name: null,
      preferences: {},
    });
  });
});
