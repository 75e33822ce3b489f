import { randomUUID } from 'node:crypto';
import type { EventMeta } from '@mandant/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql, withTenant } from '../db/connect.ts';
import { type EventStore, createEventStore } from '../eventstore/event-store.ts';
import { uuidv7 } from '../ids.ts';
import { createLogger } from '../log.ts';
import { createPostgresTextIndex } from '../stores/text/postgres.ts';
import type { TextIndex } from '../stores/text/port.ts';
import { postgresUrls } from '../testing/backends.ts';
import { startProjectors } from './group.ts';
import { type Projection, startProjector } from './projector.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const meta: EventMeta = { actor: 'user:test', correlation_id: 'c', causation_id: null, traceparent: null };
const ev = (i: number) => ({ id: uuidv7(), type: 'test.indexed.v1', project_id: null, occurred_at: new Date().toISOString(), data: { i } });

/**
 * A projection writing one text document per event into the embedded text index, which has a
 * pool of its own, as the platform's stores do. It refuses the events whose `i` is in `poison`
 * after it wrote them: what a refused page wrote must not stay.
 */
const indexing = (name: string, text: TextIndex, poison: ReadonlySet<number> = new Set()): Projection => ({
  name,
  version: 1,
  handles: (t) => t === 'test.indexed.v1',
  async apply(_tx, e) {
    await text.upsert(e.tenant_id, [
      {
        id: e.id,
        document_id: e.id,
        title: `event ${String(e.data.i)}`,
        content: 'indexed',
        project_ids: [],
        document_type: 'text',
        entity_names: [],
        created_at: e.occurred_at,
      },
    ]);
    if (poison.has(Number(e.data.i))) throw new Error(`${name} cannot index ${String(e.data.i)}`);
  },
  async reset(_tx, tenantId) {
    await text.dropTenant(tenantId);
  },
});

describe.skipIf(!pg)('the embedded stores write on a projector page’s transaction', () => {
  let sql: Sql;
  let storeSql: Sql;
  let owner: Sql;
  let store: EventStore;
  let text: TextIndex;
  beforeAll(() => {
    if (!pg) return;
    sql = createSql(pg.appUrl, { max: 4 });
    storeSql = createSql(pg.appUrl, { max: 2 });
    owner = createSql(pg.ownerUrl, { max: 1 });
    store = createEventStore(sql);
    text = createPostgresTextIndex({ sql: storeSql });
  });
  afterAll(async () => {
    await sql?.end();
    await storeSql?.end();
    await owner?.end();
  });

  /** the transaction ids that wrote the tenant's text documents, and the one that moved the checkpoint */
  const writers = async (tenant: string, projector: string) => {
    const docs = await owner<{ title: string; xmin: string }[]>`
      select title, xmin::text from text_documents where tenant_id = ${tenant} order by title`;
    const [checkpoint] = await owner<{ xmin: string; position: number }[]>`
      select xmin::text, position from projection_checkpoints where tenant_id = ${tenant} and projector = ${projector}`;
    return { docs, checkpoint };
  };

  it('commits a page’s store writes with its checkpoint, alone and in a group', async () => {
    for (const grouped of [false, true]) {
      const name = `t${randomUUID().slice(0, 8)}`;
      const tenant = randomUUID();
      await store.append(tenant, 'a', 0, [ev(1), ev(2), ev(3)], meta);
      const projection = indexing(name, text);
      const [p] = grouped
        ? startProjectors({ sql, log, sweepMs: 60_000, projections: [projection, indexing(`${name}-other`, text)] })
        : [startProjector({ sql, log, sweepMs: 60_000, projection })];
      await p?.catchUp(tenant);
      const { docs, checkpoint } = await writers(tenant, `${name}@v1`);
      expect(docs.map((d) => d.title)).toEqual(['event 1', 'event 2', 'event 3']);
      expect(checkpoint?.position).toBe(3);
      // one transaction wrote them all: the page's
      expect(new Set(docs.map((d) => d.xmin))).toEqual(new Set([checkpoint?.xmin]));
      await p?.stop();
    }
  });

  it('takes back what a refused event wrote: the dead letter leaves nothing of it in the store', async () => {
    const name = `t${randomUUID().slice(0, 8)}`;
    const tenant = randomUUID();
    await store.append(tenant, 'a', 0, [ev(1), ev(2), ev(3)], meta);
    const p = startProjector({ sql, log, sweepMs: 60_000, maxAttempts: 2, projection: indexing(name, text, new Set([2])) });
    await p.catchUp(tenant);
    const { docs, checkpoint } = await writers(tenant, `${name}@v1`);
    expect(checkpoint?.position).toBe(3);
    expect(docs.map((d) => d.title)).toEqual(['event 1', 'event 3']);
    const dead = await withTenant(
      sql,
      tenant,
      (tx) =>
        tx<
          { tenant_seq: number }[]
        >`select tenant_seq from projection_dead_letters where tenant_id = ${tenant} and projector = ${`${name}@v1`}`,
    );
    expect(dead.map((d) => Number(d.tenant_seq))).toEqual([2]);
    await p.stop();
  });

  it('keeps a write outside any page in a transaction of its own', async () => {
    const tenant = randomUUID();
    const doc = {
      id: uuidv7(),
      document_id: uuidv7(),
      title: 'outside',
      content: 'c',
      project_ids: [],
      document_type: 'text',
      entity_names: [],
      created_at: new Date().toISOString(),
    };
    await text.upsert(tenant, [doc]);
    const rows = await owner`select 1 from text_documents where tenant_id = ${tenant}`;
    expect(rows).toHaveLength(1);
  });
});
