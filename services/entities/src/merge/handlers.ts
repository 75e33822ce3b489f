import { EntityEvent, MergeEntityInput, type NewEvent, rpc, streams } from '@mandant/contracts';
import type { Sql } from '@mandant/shared/db';
import { fold } from '@mandant/shared/decider';
import { DomainError, forbidden } from '@mandant/shared/errors';
import { uuidv7 } from '@mandant/shared/ids';
import type { Logger } from '@mandant/shared/log';
import { waitForCheckpoints } from '@mandant/shared/projection';
import type { RpcHandler } from '@mandant/shared/rpc';
import { requestEventMeta } from '@mandant/shared/service';
import type { EventStore } from '@mandant/shared/eventstore';
import type { EntityDeps } from '../service.ts';
import { type ReadScope, readScope, visibleEntity } from '../access.ts';
import { entityDecider } from './decide.ts';

/** The entity state its own stream holds (events of other types, should any appear, are skipped). */
async function loadEntity(store: EventStore, tenantId: string, entityId: string) {
  const { version, events } = await store.readStream(tenantId, streams.entity(entityId));
  const parsed = events.flatMap((e) => {
    const r = EntityEvent.safeParse({ type: e.type, data: e.data });
    return r.success ? [r.data] : [];
  });
  return { version, state: fold(entityDecider, parsed) };
}

/** Tenant admins, or a user who is editor (or admin) in every project either entity appears in. */
function requireMergeRight(scope: ReadScope, projects: readonly string[]): void {
  if (scope.admin) return;
  if (scope.principal.user_id === null) throw forbidden('merging entities needs a user or a tenant admin');
  const ok = projects.every((p) => {
    const r = scope.roles.get(p);
    return r === 'editor' || r === 'admin';
  });
  if (!ok) throw forbidden('merging needs the editor role in every project where either entity appears');
}

/**
 * Waits (bounded) until the graph projector has applied the merge, so the caller's next read of
 * the graph shows it. Search indexes follow on their own; on timeout the merge still stands.
 */
async function waitForGraph(sql: Sql, log: Logger, tenantId: string, position: number, timeoutMs = 10_000): Promise<void> {
  await waitForCheckpoints(sql, log, { tenantId, position, projectors: ['graph'], what: 'the graph after an entity merge', timeoutMs });
}

export function mergeHandlers(deps: EntityDeps): Record<string, RpcHandler> {
  const { sql, store, clock, log, stores } = deps;
  return {
    async [rpc.entityMerge](input, ctx) {
      const { entity_id, into } = MergeEntityInput.parse(input);
      const scope = await readScope(sql, ctx);
      const t = scope.principal.tenant_id;
      const [from, target] = [await visibleEntity(stores.graph, scope, entity_id), await visibleEntity(stores.graph, scope, into)];
      const involved = [...new Set([...from.projects, ...target.projects].map((p) => p.project_id))];
      requireMergeRight(scope, involved);
      // the graph resolves a merged-away id to its survivor: asking with one is a conflict, not a merge of the survivor
      const [fromId, intoId] = [entity_id.toLowerCase(), into.toLowerCase()];
      if (from.entity.id !== fromId || target.entity.id !== intoId) {
        throw new DomainError('conflict', 'an entity of the request was merged away already', { entity_id: fromId, into: intoId });
      }
      const [source, survivor] = [await loadEntity(store, t, fromId), await loadEntity(store, t, intoId)];
      const decided = entityDecider.decide(
        { type: 'MergeEntity', entity_id: fromId, into: intoId, into_merged_into: survivor.state.mergedInto },
        source.state,
      );
      const now = clock.now().toISOString();
      const events: NewEvent[] = decided.map((e) => ({ id: uuidv7(), type: e.type, project_id: null, occurred_at: now, data: e.data }));
      const res = await store.append(t, streams.entity(fromId), source.version, events, requestEventMeta(ctx, scope.principal.actor), {
        // a merge changes the entities an archived project shows: refused there, as any content write
        beforeCommit: (tx) => deps.writes.guardContentWrite(tx, t, 'entity.merge', involved),
        // appends of a tenant queue on its head: checked here, no concurrent merge of the target can slip in between
        afterAppend: async (tx) => {
          const taken =
            await tx`select 1 from events where tenant_id = ${t} and stream = ${streams.entity(intoId)} and type = 'entity.merged.v1' limit 1`;
          if (taken.length > 0) throw new DomainError('conflict', 'the target entity was merged away already', { into: intoId });
        },
      });
      await waitForGraph(sql, log, t, res.position);
      return { from_entity_id: fromId, into_entity_id: intoId, position: res.position };
    },
  };
}
