import { randomUUID } from 'node:crypto';
import { EventEnvelope } from '@mandant/contracts';
import { type Sql, withTenant } from '@mandant/shared/db';
import { rowToEnvelope } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import type { Projection } from '@mandant/shared/projection';
import type { fakeDocuments } from './fake-documents.ts';

export const MODEL_A = { id: 'local-hash-v1', dimension: 8 };
export const MODEL_B = { id: 'text-embedding-3-small', dimension: 4 };

/**
 * A tenant's log that exercises every handled event: documents in several projects and models,
 * a document unlinked, one deleted, a project deleted (with the unlink it causes), one document
 * never processed, and one re-processed with fewer chunks.
 */
export async function writeScenario(fake: ReturnType<typeof fakeDocuments>, tenantId: string) {
  const p1 = randomUUID();
  const p2 = randomUUID();
  const p3 = randomUUID();
  const a = await fake.add(tenantId, {
    title: 'Offshore ledger',
    chunks: ['Alice Meyer paid Acme Ltd', 'Acme Ltd moved funds', 'nothing here'],
    entities: [
      { name: 'Alice Meyer', type: 'person', chunks: [0] },
      { name: 'Acme Ltd', type: 'organisation', chunks: [0, 1] },
    ],
    models: [MODEL_A, MODEL_B],
    projectIds: [p1, p2],
  });
  const b = await fake.add(tenantId, {
    title: 'Berlin memo',
    chunks: ['Acme Ltd opened in Berlin', 'Berlin office'],
    entities: [
      { name: 'Acme Ltd', type: 'organisation', chunks: [0] },
      { name: 'Berlin', type: 'place', chunks: [0, 1] },
    ],
    models: [MODEL_A],
    projectIds: [p1],
  });
  const c = await fake.add(tenantId, {
    title: 'Deleted later',
    chunks: ['Alice Meyer again'],
    entities: [{ name: 'Alice Meyer', type: 'person', chunks: [0] }],
    models: [MODEL_A],
    projectIds: [p2],
  });
  const d = await fake.add(tenantId, {
    title: 'Unlinked later',
    chunks: ['Carol Diaz met Alice Meyer'],
    entities: [
      { name: 'Carol Diaz', type: 'person', chunks: [0] },
      { name: 'Alice Meyer', type: 'person', chunks: [0] },
    ],
    models: [MODEL_B],
    projectIds: [p1, p2],
  });
  const e = await fake.add(tenantId, {
    title: 'In a deleted project',
    chunks: ['Zurich trust'],
    entities: [{ name: 'Zurich', type: 'place', chunks: [0] }],
    models: [MODEL_A],
    projectIds: [p3],
  });
  const f = uuidv7();
  await fake.upload(tenantId, f, 'Never processed');
  await fake.link(tenantId, f, p1);
  // re-processed with fewer chunks, then re-embedded
  const g = await fake.add(tenantId, { title: 'Draft', chunks: ['one', 'two', 'three'], models: [MODEL_A], projectIds: [p2] });
  await fake.process(tenantId, g.documentId, { title: 'Draft v2', chunks: ['one and two'] });
  await fake.embed(tenantId, g.documentId, ['one and two'], MODEL_A);

  await fake.remove(tenantId, c.documentId);
  await fake.unlink(tenantId, d.documentId, p1);
  await fake.deleteProject(tenantId, p3);
  await fake.unlink(tenantId, e.documentId, p3, 'project_deleted');
  return {
    projects: { p1, p2, p3 },
    documents: { a: a.documentId, b: b.documentId, c: c.documentId, d: d.documentId, e: e.documentId, f, g: g.documentId },
  };
}

/** The tenant's whole log, in order. */
export async function readLog(sql: Sql, tenantId: string): Promise<EventEnvelope[]> {
  const rows = await withTenant(sql, tenantId, (tx) => tx`select * from events where tenant_id = ${tenantId} order by tenant_seq`);
  return rows.map((r) => EventEnvelope.parse(rowToEnvelope(r as never)));
}

/** Applies every handled event of the log straight through `apply`, each `times` times in a row. */
export async function applyEachEvent(sql: Sql, projection: Projection, log: EventEnvelope[], times: number): Promise<void> {
  for (const e of log) {
    if (!projection.handles(e.type)) continue;
    for (let i = 0; i < times; i++) await withTenant(sql, e.tenant_id, (tx) => projection.apply(tx, e));
  }
}

/** Applies the log through `applyBatch` as the runner does: pages of `pageSize` log events, each page's handled events at once. */
export async function applyInPages(sql: Sql, projection: Projection, log: EventEnvelope[], pageSize: number): Promise<void> {
  for (let i = 0; i < log.length; i += pageSize) {
    const handled = log.slice(i, i + pageSize).filter((e) => projection.handles(e.type));
    const [first] = handled;
    if (!first) continue;
    await withTenant(sql, first.tenant_id, (tx) =>
      projection.applyBatch ? projection.applyBatch(tx, handled) : Promise.reject(new Error(`${projection.name} has no applyBatch`)),
    );
  }
}
