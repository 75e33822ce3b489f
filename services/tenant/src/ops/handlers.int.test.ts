import { randomUUID } from 'node:crypto';
import { rpc } from '@mandant/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql, migrate, prepareAppRole } from '@mandant/shared/db';
import { createLogger } from '@mandant/shared/log';
import type { RpcContext } from '@mandant/shared/rpc';
import { ownDatabase, postgresUrls } from '@mandant/shared/testing';
import { LAG_BY_TENANT_LIMIT, type OpsMetrics, opsHandlers } from './handlers.ts';

const pg = postgresUrls();
const asOperator: RpcContext = { principal: null, operator: true, meta: { correlation_id: 'ops-test', traceparent: null } };

/**
 * The figures behind the per-tenant lag and outbox series, read through the definer functions as
 * the runtime role: the tenants lagging most per projector (bounded), and the relay's backlog.
 * A database of its own: the figures are platform-wide.
 */
describe.skipIf(!pg)('ops.metrics: lag per tenant and the outbox backlog', () => {
  let db: { url: string; drop(): Promise<void> } | undefined;
  let owner: Sql;
  let app: Sql;
  const tenants = Array.from({ length: LAG_BY_TENANT_LIMIT + 30 }, () => randomUUID());

  beforeAll(async () => {
    if (!pg) return;
    db = await ownDatabase(pg.ownerUrl, 'ops_metrics');
    await migrate(db.url, createLogger({ level: 'warn' }));
    owner = createSql(db.url, { max: 2 });
    app = createSql(await prepareAppRole(db.url, undefined), { max: 2 });
    // tenant i has appended 10 + i events; the text projector is at 10 for each, the graph one caught up
    for (const [i, t] of tenants.entries()) {
      await owner`insert into tenant_heads (tenant_id, last_seq, last_hash) values (${t}, ${10 + i}, ${'h'})`;
      await owner`insert into projection_checkpoints (tenant_id, projector, position) values (${t}, ${'text@v1'}, 10), (${t}, ${'graph@v1'}, ${10 + i})`;
    }
  }, 300_000);
  afterAll(async () => {
    await owner?.end();
    await app?.end();
    await db?.drop();
  });

  const metrics = () => opsHandlers({ sql: app })[rpc.opsMetrics]?.({}, asOperator) as Promise<OpsMetrics>;

  it('lists at most LAG_BY_TENANT_LIMIT tenants per projector, those lagging most, and none that caught up', async () => {
    const ops = await metrics();
    const text = ops.lag_by_tenant.filter((l) => l.projector === 'text@v1');
    expect(text).toHaveLength(LAG_BY_TENANT_LIMIT);
    expect(text[0]).toEqual({ projector: 'text@v1', tenant_id: tenants.at(-1), lag: tenants.length - 1 });
    expect(text.map((l) => l.lag)).toEqual([...text.map((l) => l.lag)].sort((a, b) => b - a));
    expect(Math.min(...text.map((l) => l.lag))).toBe(tenants.length - LAG_BY_TENANT_LIMIT);
    expect(ops.lag_by_tenant.filter((l) => l.projector === 'graph@v1')).toEqual([]);
    // the rest of the lag is in the projector's total, which the gateway shows as tenant="other"
    const total = ops.projectors.find((p) => p.name === 'text@v1')?.total_lag ?? 0;
    expect(total).toBe((tenants.length * (tenants.length - 1)) / 2);
    expect(ops.outbox).toEqual({ unrelayed: 0, oldest_seconds: 0 });
  });

  it('counts unpublished outbox positions, single and in runs, and the age of the oldest event among them', async () => {
    const t = tenants[0] ?? '';
    for (const seq of [1, 2, 3, 4]) {
      const occurred = new Date(Date.now() - (4 - seq) * 60_000);
      await owner`insert into events (tenant_id, tenant_seq, id, type, stream, version, occurred_at, actor, correlation_id, data, prev_hash, hash)
        values (${t}, ${seq}, ${randomUUID()}, ${'test.v1'}, ${'s'}, ${seq}, ${occurred}, ${'test'}, ${'c'}, ${'{}'}::jsonb, ${'p'}, ${'h'})`;
    }
    // position 1 as an append before migration 260 leaves it, 2 to 4 as one call's run
    await owner`insert into outbox (tenant_id, tenant_seq, event_id, subject) values (${t}, ${1}, ${randomUUID()}, ${'x'})`;
    await owner`insert into outbox_ranges (tenant_id, first_seq, last_seq) values (${t}, ${2}, ${4})`;
    const { outbox } = await metrics();
    expect(outbox.unrelayed).toBe(4);
    // the oldest occurred three minutes ago
    expect(outbox.oldest_seconds).toBeGreaterThanOrEqual(180);
    expect(outbox.oldest_seconds).toBeLessThan(180 + 120);
  });

  it('answers only the operator', async () => {
    await expect(opsHandlers({ sql: app })[rpc.opsMetrics]?.({}, { ...asOperator, operator: false })).rejects.toThrow();
  });
});
