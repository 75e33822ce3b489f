import { randomUUID } from 'node:crypto';
import type { EventMeta, NewEvent } from '@mandant/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql } from '../db/connect.ts';
import { DomainError } from '../errors.ts';
import { type EventStore, createEventStore } from '../eventstore/event-store.ts';
import { uuidv7 } from '../ids.ts';
import { postgresUrls } from '../testing/backends.ts';
import { TENANT_PROVISIONED, refuseUnprovisionedTenants } from './provisioned-tenants.ts';

const pg = postgresUrls();
const meta: EventMeta = { actor: 'user:test', correlation_id: 'corr-1', causation_id: null, traceparent: null };
const ev = (type: string): NewEvent => ({ id: uuidv7(), type, project_id: null, occurred_at: new Date().toISOString(), data: {} });
const runs = { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 25 };

describe.skipIf(!pg)('appends only into provisioned tenants', () => {
  let app: Sql;
  let owner: Sql;
  let raw: EventStore;
  let reads = 0;
  let store: EventStore;
  const eventsOf = async (tenant: string) => Number((await owner`select count(*)::int as n from events where tenant_id = ${tenant}`)[0]?.n);
  const headOf = async (tenant: string) => (await owner`select 1 from tenant_heads where tenant_id = ${tenant}`).length;

  beforeAll(() => {
    if (!pg) return;
    app = createSql(pg.appUrl, { max: 5 });
    owner = createSql(pg.ownerUrl, { max: 2 });
    raw = createEventStore(app);
    // counts the guard's lookups, to show a provisioned tenant costs no further round trip
    store = refuseUnprovisionedTenants({
      ...raw,
      readTenant: (...a) => {
        reads++;
        return raw.readTenant(...a);
      },
    });
  });
  afterAll(async () => {
    await app?.end();
    await owner?.end();
  });

  it('refuses any first append that is not the provisioning, writing nothing (not even a head row)', async () => {
    const type = fc.oneof(
      fc.constantFrom('project.created.v1', 'user.registered.v2', 'tenant.offboarded.v1', 'tenant.provisioned.v2', 'Tenant.provisioned.v1'),
      fc.string({ maxLength: 40 }),
    );
    await fc.assert(
      fc.asyncProperty(type, fc.integer({ min: 1, max: 3 }), async (first, n) => {
        fc.pre(first !== TENANT_PROVISIONED);
        const tenant = randomUUID();
        const events = [ev(first), ...Array.from({ length: n - 1 }, () => ev(TENANT_PROVISIONED))];
        const err = await store.append(tenant, `s-${tenant}`, 'any', events, meta).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DomainError);
        expect((err as DomainError).code).toBe('unauthenticated');
        expect(await eventsOf(tenant)).toBe(0);
        expect(await headOf(tenant)).toBe(0);
      }),
      runs,
    );
  });

  it('accepts the provisioning, then every later append with no further lookup', async () => {
    const tenant = randomUUID();
    await store.append(tenant, `tenant-${tenant}`, 0, [ev(TENANT_PROVISIONED)], meta);
    await store.append(tenant, 'project-1', 0, [ev('project.created.v1')], meta);
    const before = reads;
    for (let i = 0; i < 5; i++) await store.append(tenant, `s-${i}`, 0, [ev('project.created.v1')], meta);
    expect(reads).toBe(before);
    expect(await eventsOf(tenant)).toBe(7);
  });

  it('accepts a tenant provisioned through another process (found in the log, then remembered)', async () => {
    const tenant = randomUUID();
    await raw.append(tenant, `tenant-${tenant}`, 0, [ev(TENANT_PROVISIONED)], meta);
    const before = reads;
    await store.append(tenant, 'p', 0, [ev('project.created.v1')], meta);
    await store.append(tenant, 'q', 0, [ev('project.created.v1')], meta);
    expect(reads).toBe(before + 1);
  });

  it('refuses a tenant whose log was started by something else than its provisioning', async () => {
    const tenant = randomUUID();
    await raw.append(tenant, 'stray', 0, [ev('project.created.v1')], meta);
    const err = await store.append(tenant, 'p', 0, [ev('project.created.v1')], meta).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as DomainError).code).toBe('unauthenticated');
    expect(await eventsOf(tenant)).toBe(1);
  });
});
