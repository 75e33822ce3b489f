import { withTenant, type Sql } from '@mandant/shared/db';
import type { Logger } from '@mandant/shared/log';
import { type Projection, type Projector, startProjector } from '@mandant/shared/projection';
import type { BlobEntry } from '@mandant/shared/stores/blobs';
import type { GraphSnapshot } from '@mandant/shared/stores/graph';
import type { TextDocument } from '@mandant/shared/stores/text';
import type { EmbeddingModel, VectorPoint } from '@mandant/shared/stores/vectors';
import type { DocumentStores } from '../content.ts';
import type { DocumentProjectionName } from '../index.ts';

export interface StoresSnapshot {
  vectors: Record<string, VectorPoint[]>;
  text: TextDocument[];
  graph: GraphSnapshot;
  blobs: BlobEntry[];
}

/** Everything the tenant's document stores hold, in canonical order, for deep equality. */
export async function storesSnapshot(stores: DocumentStores, tenantId: string, models: EmbeddingModel[]): Promise<StoresSnapshot> {
  const vectors: Record<string, VectorPoint[]> = {};
  for (const m of models) vectors[m.id] = await stores.vectors.snapshot(tenantId, m);
  return {
    vectors,
    text: await stores.text.snapshot(tenantId),
    graph: await stores.graph.snapshot(tenantId),
    blobs: await stores.blobs.list(tenantId, ''),
  };
}

/** One projector per projection, without a transport; the long sweep leaves the driving to the test. */
export function startAll(
  sql: Sql,
  projections: Record<DocumentProjectionName, Projection>,
  log: Logger,
): Record<DocumentProjectionName, Projector> {
  const start = (projection: Projection) => startProjector({ sql, projection, log, sweepMs: 3_600_000, maxAttempts: 2 });
  return {
    vectors: start(projections.vectors),
    text: start(projections.text),
    graph: start(projections.graph),
    blobs: start(projections.blobs),
  };
}

export async function stopAll(projectors: Record<string, Projector>): Promise<void> {
  await Promise.all(Object.values(projectors).map((p) => p.stop()));
}

/** Catches every projector up to the tenant's head; dead letters fail the test (none expected). */
export async function catchUpAll(sql: Sql, projectors: Record<string, Projector>, tenantId: string): Promise<number[]> {
  const positions = await Promise.all(Object.values(projectors).map((p) => p.catchUp(tenantId)));
  const dead = await withTenant(
    sql,
    tenantId,
    (tx) => tx`select projector, tenant_seq, error from projection_dead_letters where tenant_id = ${tenantId}`,
  );
  if (dead.length > 0) throw new Error(`dead letters: ${JSON.stringify(dead)}`);
  return positions;
}
