import { randomUUID } from 'node:crypto';
import { type EventMeta, rpc } from '@mandant/contracts';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { createEventStore } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import { createLogger } from '@mandant/shared/log';
import { type Projection, startProjector } from '@mandant/shared/projection';
import type { RpcContext } from '@mandant/shared/rpc';
import { postgresUrls } from '@mandant/shared/testing';
import { auditHandlers } from '@mandant/tenant';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultDatabase, createTenantTable, faultDatabase } from './helpers.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const meta: EventMeta = { actor: 'user:fault', correlation_id: 'fault-poison', causation_id: null, traceparent: null };
const ev = (type: string, i: number) => ({ id: uuidv7(), type, project_id: null, occurred_at: new Date().toISOString(), data: { i } });
const MAX_ATTEMPTS = 4;

const auditor = (tenantId: string): RpcContext => ({
  principal: { tenant_id: tenantId, user_id: null, tenant_role: 'auditor', actor: 'api_key:fault' },
  operator: false,
  meta: { correlation_id: 'fault-poison', traceparent: null },
});

interface Status {
  head: number;
  projectors: Array<{ name: string; position: number; lag: number; dead_letters: number }>;
}

describe.skipIf(!pg)('fault: a poison event', () => {
  let db: FaultDatabase;
  let sql: Sql;

  beforeAll(async () => {
    if (!pg) return;
    db = await faultDatabase(pg.ownerUrl, 'fault_poison', log);
    await createTenantTable(db.ownerUrl, 'fault_counter', 'tenant_id uuid primary key, total bigint not null, n int not null');
    sql = createSql(db.appUrl, { max: 8, appName: 'mandant-fault-poison' });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await db?.drop();
  });

  it('is dead-lettered after its bounded retries and shows in projection status, while another tenant keeps being applied', async () => {
    const store = createEventStore(sql);
    const poisoned = randomUUID();
    const healthy = randomUUID();
    let poisonAttempts = 0;
    let healthyApplied = 0;
    // the second attempt at the poison event holds its tenant's catch-up until the test lets go,
    // so "meanwhile" is a fact of the run, not a race with the backoff
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let signalHeld: () => void = () => {};
    const holding = new Promise<void>((r) => {
      signalHeld = r;
    });

    const projection: Projection = {
      name: `fault-poison-${randomUUID().slice(0, 8)}`,
      version: 1,
      handles: (t) => t.startsWith('fault.'),
      async apply(tx, e) {
        if (e.type === 'fault.poison.v1') {
          poisonAttempts++;
          if (poisonAttempts === 2) {
            signalHeld();
            await held;
          }
          throw new Error('this event cannot be projected');
        }
        if (e.tenant_id === healthy) healthyApplied++;
        await tx`insert into fault_counter (tenant_id, total, n) values (${e.tenant_id}, ${Number(e.data.i)}, 1)
                 on conflict (tenant_id) do update set total = fault_counter.total + excluded.total, n = fault_counter.n + 1`;
      },
      async reset(tx, tenantId) {
        await tx`delete from fault_counter where tenant_id = ${tenantId}`;
      },
    };
    const projector = startProjector({ sql, projection, log, sweepMs: 3_600_000, maxAttempts: MAX_ATTEMPTS });
    try {
      for (let i = 1; i <= 5; i++) await store.append(poisoned, `s${i}`, 0, [ev('fault.counted.v1', i)], meta);
      await store.append(poisoned, 'poison', 0, [ev('fault.poison.v1', 1000)], meta);
      for (let i = 7; i <= 10; i++) await store.append(poisoned, `s${i}`, 0, [ev('fault.counted.v1', i)], meta);

      const poisonedCatchUp = projector.catchUp(poisoned);
      await holding;

      // while the poisoned tenant is stuck in its retries, the healthy tenant is written and applied
      for (let i = 1; i <= 20; i++) await store.append(healthy, `s${i}`, 0, [ev('fault.counted.v1', i)], meta);
      expect(await projector.catchUp(healthy)).toBe(20);
      expect(healthyApplied).toBe(20);
      const deadMeanwhile = await withTenant(
        sql,
        poisoned,
        (tx) => tx`select 1 from projection_dead_letters where tenant_id = ${poisoned}`,
      );
      expect(deadMeanwhile).toHaveLength(0);

      release();
      expect(await poisonedCatchUp).toBe(10);
      expect(poisonAttempts).toBe(MAX_ATTEMPTS);

      const dead = await withTenant(
        sql,
        poisoned,
        (tx) => tx<{ projector: string; tenant_seq: number; attempts: number; error: string }[]>`
        select projector, tenant_seq, attempts, error from projection_dead_letters where tenant_id = ${poisoned}`,
      );
      expect(dead).toEqual([{ projector: projector.key, tenant_seq: 6, attempts: MAX_ATTEMPTS, error: 'this event cannot be projected' }]);
      // the events after the poison one were applied, each once
      const [counter] = await withTenant(
        sql,
        poisoned,
        (tx) => tx<{ total: number; n: number }[]>`select total, n from fault_counter where tenant_id = ${poisoned}`,
      );
      expect(counter).toEqual({ total: 1 + 2 + 3 + 4 + 5 + 7 + 8 + 9 + 10, n: 9 });

      const status = auditHandlers({ sql, store })[rpc.projectionsStatus];
      if (!status) throw new Error('no projections.status handler');
      const poisonedStatus = (await status(undefined, auditor(poisoned))) as Status;
      expect(poisonedStatus.head).toBe(10);
      expect(poisonedStatus.projectors).toContainEqual(
        expect.objectContaining({ name: projector.key, position: 10, lag: 0, dead_letters: 1 }),
      );
      const healthyStatus = (await status(undefined, auditor(healthy))) as Status;
      expect(healthyStatus.projectors).toContainEqual(
        expect.objectContaining({ name: projector.key, position: 20, lag: 0, dead_letters: 0 }),
      );
    } finally {
      release();
      await projector.stop();
    }
  });
});
