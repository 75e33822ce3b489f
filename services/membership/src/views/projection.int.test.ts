import { randomBytes, randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@mandant/contracts';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { createKeyring, createMemoryKeyStore } from '@mandant/shared/stores/crypto';
import { plannedScansOfPage, postgresUrls, scansOfAtLeast, seededRandom, testEnvelope } from '@mandant/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { membershipViews } from './projection.ts';

const pg = postgresUrls();
const SEED = Number(process.env.FC_SEED ?? 20261203);

/** An event at `tenant_seq`, `tenant_seq` seconds past noon on 1 Jan 2026. */
const membershipEvent = (
  tenantId: string,
  tenantSeq: number,
  type: string,
  project: string | null,
  stream: string,
  data: Record<string, unknown>,
): EventEnvelope =>
  testEnvelope({
    type,
    tenant_id: tenantId,
    tenant_seq: tenantSeq,
    project_id: project,
    stream,
    occurred_at: new Date(Date.UTC(2026, 0, 1, 12, 0, tenantSeq)).toISOString(),
    data,
  });

/**
 * The membership views on real Postgres: a page folded and written at once (`applyBatch`) ends in
 * the same rows as its events applied one by one (`apply`), whatever the mix, the page boundaries
 * and a second delivery.
 */
describe.skipIf(!pg)('membership views: a page at once equals event by event (real Postgres)', () => {
  let sql: Sql;
  const keyring = createKeyring({ masterKey: randomBytes(32).toString('base64'), store: createMemoryKeyStore() });
  const projection = membershipViews(keyring);
  const users = Array.from({ length: 3 }, () => randomUUID());
  const projects = Array.from({ length: 2 }, () => randomUUID());

  /** A random log over a few users and projects: registrations, memberships and their changes, a project deleted now and then. */
  function log(tenantId: string, seed: number, length: number): EventEnvelope[] {
    const rand = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    let seq = 0;
    const event = (type: string, project: string | null, stream: string, data: Record<string, unknown>): EventEnvelope =>
      membershipEvent(tenantId, ++seq, type, project, stream, data);
    return Array.from({ length }, () => {
      const [u, p] = [pick(users), pick(projects)];
      const member = `membership-${p}-${u}`;
      switch (Math.floor(rand() * 9)) {
        case 0:
          return event('user.registered.v1', null, `user-${u}`, { email: `${seq}@x.example`, name: `N${seq}` });
        case 1:
          return event('user.project_switched.v1', null, `user-${u}`, { from_project_id: null, to_project_id: p });
        case 2:
          return event('member.added.v1', p, member, { user_id: u, role: pick(['viewer', 'editor', 'admin']) });
        case 3:
          return event('member.role_changed.v1', p, member, { user_id: u, role: pick(['viewer', 'editor', 'admin']) });
        case 4:
          return event('member.removed.v1', p, member, { user_id: u });
        case 5:
          return event('member.profile_updated.v1', p, member, {
            user_id: u,
            display_name: pick([null, `D${seq}`]),
            preferences: { n: seq },
          });
        case 6:
        case 7:
          return event('member.state_saved.v1', p, member, { user_id: u, state: { n: seq } });
        default:
          return rand() < 0.3
            ? event('project.deleted.v1', p, `project-${p}`, {})
            : event('member.added.v1', p, member, { user_id: u, role: 'viewer' });
      }
    });
  }

  const rows = (tenantId: string) =>
    withTenant(sql, tenantId, async (tx) => ({
      users:
        await tx`select user_id, email, name, current_project_id, created_at from users_view where tenant_id = ${tenantId} order by user_id`,
      members: await tx`select project_id, user_id, role, display_name, preferences, state, added_at from members_view
                        where tenant_id = ${tenantId} order by project_id, user_id`,
    }));
  const applyEach = (tenantId: string, events: EventEnvelope[]) =>
    withTenant(sql, tenantId, async (tx) => {
      for (const e of events) await projection.apply(tx, e);
    });
  /** The events in pages of `size`, or of sizes a generator picks. */
  const applyPages = async (tenantId: string, events: EventEnvelope[], size: number | (() => number)) => {
    for (let i = 0, n = 0; i < events.length; i += n) {
      n = typeof size === 'number' ? size : size();
      await withTenant(sql, tenantId, async (tx) => {
        if (!projection.applyBatch) throw new Error('no applyBatch');
        await projection.applyBatch(tx, events.slice(i, i + n));
      });
    }
  };
  /** The same log, written for another tenant (rows are compared across tenants). */
  const copy = (events: EventEnvelope[], tenantId: string) => events.map((e) => ({ ...e, tenant_id: tenantId }));

  beforeAll(() => {
    if (pg) sql = createSql(pg.appUrl, { max: 2, appName: 'membership-views-test' });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
  });

  it('ends in the same users and members for random logs, in one page, in small pages, and delivered twice', async () => {
    for (let run = 0; run < 20; run++) {
      const seed = SEED + run;
      const [one, page, small, twice, eachTwice] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      const events = log(one, seed, 80);
      await applyEach(one, events);
      // a second delivery of old events is compared with the same delivery event by event (a
      // checkpoint, not the view, keeps an event from applying twice)
      await applyEach(eachTwice, copy(events, eachTwice));
      await applyEach(eachTwice, copy(events, eachTwice));
      await applyPages(page, copy(events, page), events.length);
      const sizes = seededRandom(seed + 1);
      await applyPages(small, copy(events, small), () => 2 + Math.floor(sizes() * 8));
      await applyPages(twice, copy(events, twice), events.length);
      await applyPages(twice, copy(events, twice), 13);
      const expected = await rows(one);
      expect(expected.members.length + expected.users.length, `seed ${seed}`).toBeGreaterThan(0);
      expect(await rows(page), `seed ${seed}`).toEqual(expected);
      expect(await rows(small), `seed ${seed}`).toEqual(expected);
      expect(await rows(twice), `seed ${seed}`).toEqual(await rows(eachTwice));
    }
  });
});

/**
 * A page changes the rows of its own users and members: its statements find them by their keys,
 * never by walking all of the tenant's rows of a table, whatever the tenant holds.
 */
describe.skipIf(!pg)("membership views: a page's writes find their rows by key (real Postgres)", () => {
  it("plans no scan of a view that reads more than a few of a large tenant's rows", async () => {
    if (!pg) return;
    const projection = membershipViews(createKeyring({ masterKey: randomBytes(32).toString('base64'), store: createMemoryKeyStore() }));
    const owner = createSql(pg.ownerUrl, { max: 1, appName: 'membership-views-plan-test' });
    const tenantId = randomUUID();
    const [p0, p1] = [randomUUID(), randomUUID()];
    const TENANT_USERS = 3_000;
    try {
      // a tenant with many users, each a member of two projects, its statistics taken
      const users = await owner<{ id: string }[]>`
        insert into users_view (tenant_id, user_id, email, name, created_at)
        select ${tenantId}, gen_random_uuid(), g || '@x.example', 'N' || g, now() from generate_series(1, ${TENANT_USERS}) g
        returning user_id as id`;
      await owner`insert into members_view (tenant_id, project_id, user_id, role, added_at)
                  select ${tenantId}, p, u, 'viewer', now() from unnest(${users.map((u) => u.id)}::uuid[]) u, unnest(${[p0, p1]}::uuid[]) p`;
      await owner`analyze users_view, members_view`;
      // a page: a few members save their state, a few leave a project, a few users switch projects
      const picked = users.slice(0, 9).map((u) => u.id);
      const page = picked.map((u, i) =>
        i < 3
          ? membershipEvent(tenantId, i + 1, 'member.state_saved.v1', p0, `membership-${p0}-${u}`, { user_id: u, state: { n: i } })
          : i < 6
            ? membershipEvent(tenantId, i + 1, 'member.removed.v1', p1, `membership-${p1}-${u}`, { user_id: u })
            : membershipEvent(tenantId, i + 1, 'user.project_switched.v1', null, `user-${u}`, { from_project_id: null, to_project_id: p0 }),
      );
      const tables = ['users_view', 'members_view'];
      const writes = await plannedScansOfPage(pg.appUrl, tenantId, tables, projection, page);
      // the users' update, the members' delete and update, at least
      expect(writes.length).toBeGreaterThanOrEqual(3);
      expect(scansOfAtLeast(writes, TENANT_USERS / 10)).toEqual([]);
      // and the page did what it says
      const [after] = await owner<{ saved: number; left: number; switched: number }[]>`
        select (select count(*)::int from members_view where tenant_id = ${tenantId} and state <> '{}') as saved,
               (select count(*)::int from members_view where tenant_id = ${tenantId} and project_id = ${p1}) as left,
               (select count(*)::int from users_view where tenant_id = ${tenantId} and current_project_id = ${p0}) as switched`;
      expect(after).toEqual({ saved: 3, left: TENANT_USERS - 3, switched: 3 });
    } finally {
      await owner`delete from members_view where tenant_id = ${tenantId}`;
      await owner`delete from users_view where tenant_id = ${tenantId}`;
      await owner.end();
    }
  });
});
