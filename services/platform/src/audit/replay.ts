import type { EventEnvelope } from '@mandant/contracts';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { migrate, prepareAppRole } from '@mandant/shared/db';
import type { Env } from '@mandant/shared/env';
import { type EventStore, createEventStore } from '@mandant/shared/eventstore';
import type { Logger } from '@mandant/shared/log';
import { startProjector } from '@mandant/shared/projection';
import { systemClock } from '@mandant/shared/service';
import { masterKey } from '@mandant/shared/service';
import type { BlobStore } from '@mandant/shared/stores/blobs';
import type { Keyring } from '@mandant/shared/stores/crypto';
import { type ReadStores, createReadStores } from '@mandant/shared/stores';
import type { EmbeddingModel } from '@mandant/shared/stores/vectors';
import { allProjections, embedderRegistry } from '../platform.ts';
import { type StoreComparison, compared, hashBlobs, hashGraph, hashText, hashVectors, hashViewRows, viewTables } from './compare.ts';
import { platformViewsWait } from '../views.ts';

/** A replay that cannot start or cannot finish: the message says why (exit 1). */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

/** Projections whose effects are events (already in the log), not read state: a replay must not run them. */
const NOT_READ_MODELS = new Set(['project-unlinker']);
const PAGE = 1_000;

export interface ReplayDeps {
  /** the live database as the runtime role, and its read stores (blobs and keyring are read from them) */
  live: { sql: Sql; stores: ReadStores };
  env: Env;
  log: Logger;
  tenantId: string;
  /** the target database, as its owner */
  targetUrl: string;
  appPassword: string | undefined;
  onPhase?: (phase: 'copy' | 'project', done: number, total: number) => void;
}

export interface ReplayResult {
  events: number;
  comparisons: StoreComparison[];
  dead_letters: { projector: string; tenant_seq: number; error: string }[];
}

const identity = async (sql: Sql) =>
  (
    await sql<{ id: string }[]>`
  select system_identifier::text || '/' || current_database() as id from pg_control_system()`
  )[0]?.id ?? '';

/**
 * The live bucket, read-only: a replay reads the content-addressed artefacts the log names but
 * never changes the live bucket. Deletions the blobs projection would make are recorded instead,
 * so the comparison can say whether the live bucket already reflects every deletion in the log.
 */
function readOnlyBlobs(live: BlobStore, deleted: Set<string>): BlobStore {
  const refuse = (op: string) => async () => {
    throw new ReplayError(`the replay tried to ${op} in the live blob store`);
  };
  return {
    get: (t, k) => live.get(t, k),
    exists: (t, k) => live.exists(t, k),
    list: (t, p) => live.list(t, p),
    put: refuse('write'),
    dropTenant: refuse('drop a bucket'),
    delete: async (_t, key) => void deleted.add(key),
    deletePrefix: async (_t, prefix) => void deleted.add(prefix),
  };
}

/**
 * The live keyring for opening sealed fields and artefacts; a replay never seals anything new
 * and never shreds a live key (a deleted document's key is gone already, or the live platform
 * will destroy it: not the auditor's business).
 */
const readOnlyKeyring = (live: Keyring): Keyring => ({
  encrypt: () => Promise.reject(new ReplayError('the replay tried to seal with a live data key')),
  decrypt: (t, sealed, aad) => live.decrypt(t, sealed, aad),
  destroy: async () => {},
});

/** The target's event store for the projections: they may read, never append (the log is complete). */
const readOnlyEvents = (store: EventStore): EventStore => ({
  ...store,
  append: () => Promise.reject(new ReplayError('a projection tried to append during a replay')),
});

/**
 * Rebuilds one tenant's state and read models in a fresh database from its log alone, and
 * compares every store with the live one by content hash. Steps: migrate the target; refuse it
 * if it is the live database or already holds the tenant's events; copy the tenant's events and
 * head as they are (owner connection, ids, positions and hashes kept) and verify the copied
 * chain; run every read-model projection for the tenant there (relational views in the target,
 * vectors/text/graph in the target's embedded Postgres stores, blobs and data keys read from
 * the live side); then hash and compare.
 */
export async function replayTenant(deps: ReplayDeps): Promise<ReplayResult> {
  const { live, env, log, tenantId } = deps;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const owner = createSql(deps.targetUrl, { max: 2, appName: 'mandant-replay' });
    closers.push(() => owner.end({ timeout: 5 }));
    const targetId = await identity(owner).catch((err: unknown) => {
      throw new ReplayError(`cannot reach the target database: ${(err as Error).message}`);
    });
    if (targetId === (await identity(live.sql))) throw new ReplayError('the target is the live database: replay into a fresh database');
    await migrate(deps.targetUrl, log);
    const [held] = await withTenant(
      owner,
      tenantId,
      (tx) => tx<{ n: number }[]>`
      select (select count(*)::int from events where tenant_id = ${tenantId}) + (select count(*)::int from tenant_heads where tenant_id = ${tenantId}) as n`,
    );
    if ((held?.n ?? 0) > 0) throw new ReplayError('the target already holds events of this tenant: replay into a fresh database');

    // 1. the log, copied as it is
    const liveEvents = createEventStore(live.sql);
    const head = await liveEvents.head(tenantId);
    const models = new Map<string, EmbeddingModel>();
    let last: EventEnvelope | undefined;
    for (let after = 0; after < head;) {
      const page = await liveEvents.readTenant(tenantId, after, Math.min(PAGE, head - after));
      if (page.length === 0) break;
      for (const e of page) {
        if (e.type !== 'document.embedded.v1') continue;
        const model = String(e.data.model);
        const dimension = Number(e.data.dimension);
        models.set(`${model}\u0000${dimension}`, { id: model, dimension });
      }
      await withTenant(
        owner,
        tenantId,
        (tx) => tx`
        insert into events select * from jsonb_populate_recordset(null::events, ${tx.json(page as never)})`,
      );
      last = page.at(-1);
      after = last?.tenant_seq ?? head;
      deps.onPhase?.('copy', after, head);
    }
    const copied = last;
    if (copied) {
      await withTenant(
        owner,
        tenantId,
        (tx) => tx`
        insert into tenant_heads (tenant_id, last_seq, last_hash) values (${tenantId}, ${copied.tenant_seq}, ${copied.hash})`,
      );
    }

    // 2. the target as the runtime role, its embedded stores, the live blobs and keys
    const appUrl = await prepareAppRole(deps.targetUrl, deps.appPassword);
    const sql = createSql(appUrl, { max: 10, appName: 'mandant-replay' });
    closers.push(() => sql.end({ timeout: 5 }));
    const store = createEventStore(sql);
    const chain = await store.verify(tenantId);
    if (!chain.ok)
      throw new ReplayError(`the copied log does not verify: tenant_seq ${chain.first_broken?.tenant_seq}: ${chain.first_broken?.reason}`);
    const embedded = { ...env, QDRANT_URL: undefined, MEILI_URL: undefined, NEO4J_URL: undefined };
    const target = await createReadStores(embedded, { appUrl, sql, masterKey: masterKey(env, true) });
    closers.push(() => target.close());
    const deleted = new Set<string>();
    const stores: ReadStores = {
      ...target,
      blobs: readOnlyBlobs(live.stores.blobs, deleted),
      keyring: readOnlyKeyring(live.stores.keyring),
    };
    const projections = allProjections({
      sql,
      store: readOnlyEvents(store),
      clock: systemClock,
      log,
      waitForViews: platformViewsWait(sql, log),
      stores,
      embedders: embedderRegistry(env),
      env,
      rpc: null,
    }).filter((p) => !NOT_READ_MODELS.has(p.name));

    // 3. every read model, from the log alone
    const projectors = projections.map((projection) => startProjector({ sql, projection, log, sweepMs: 2 ** 30, maxAttempts: 3 }));
    const total = head * projectors.length;
    const poll = setInterval(() => {
      void withTenant(
        sql,
        tenantId,
        (tx) => tx<{ n: number }[]>`
        select coalesce(sum(position), 0)::int as n from projection_checkpoints where tenant_id = ${tenantId}`,
      ).then(
        ([row]) => deps.onPhase?.('project', row?.n ?? 0, total),
        () => {},
      );
    }, 250);
    try {
      await Promise.all(projectors.map((p) => p.catchUp(tenantId)));
    } finally {
      clearInterval(poll);
      for (const p of projectors) await p.stop();
    }
    deps.onPhase?.('project', total, total);
    const dead_letters = await withTenant(
      sql,
      tenantId,
      (tx) => tx<{ projector: string; tenant_seq: number; error: string }[]>`
      select projector, tenant_seq, error from projection_dead_letters where tenant_id = ${tenantId} order by projector, tenant_seq`,
    );

    // 4. live vs replay, store by store
    const comparisons: StoreComparison[] = [];
    const liveHead = { hash: copied?.hash ?? '', items: head };
    const [targetHead] = await withTenant(
      sql,
      tenantId,
      (tx) => tx<{ last_seq: number; last_hash: string }[]>`
      select last_seq, last_hash from tenant_heads where tenant_id = ${tenantId}`,
    );
    comparisons.push(compared('log (head hash)', liveHead, { hash: targetHead?.last_hash ?? '', items: targetHead?.last_seq ?? 0 }));
    for (const view of await viewTables(sql)) {
      comparisons.push(compared(view.table, await hashViewRows(live.sql, tenantId, view), await hashViewRows(sql, tenantId, view)));
    }
    for (const model of [...models.values()].sort((a, b) => a.id.localeCompare(b.id) || a.dimension - b.dimension)) {
      comparisons.push(
        compared(
          `vectors ${model.id}/${model.dimension}`,
          await hashVectors(live.stores, tenantId, model),
          await hashVectors(target, tenantId, model),
        ),
      );
    }
    comparisons.push(compared('text', await hashText(live.stores, tenantId), await hashText(target, tenantId)));
    comparisons.push(compared('graph', await hashGraph(live.stores, tenantId), await hashGraph(target, tenantId)));
    // blobs: the live bucket vs the live bucket after the deletions the replay would have made
    const bucket = await live.stores.blobs.list(tenantId, '');
    const kept = bucket.filter((b) => ![...deleted].some((d) => (d.endsWith('/') ? b.key.startsWith(d) : b.key === d)));
    comparisons.push(compared('blobs (live bucket vs log deletions)', hashBlobs(bucket), hashBlobs(kept)));
    return { events: head, comparisons, dead_letters };
  } finally {
    for (const c of closers.reverse()) await c().catch(() => {});
  }
}
