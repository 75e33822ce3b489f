import { type EventMeta, SearchPerformed, streams } from '@mandant/contracts';
import type { EventStore } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import type { Clock } from '@mandant/shared/service';
import type { Keyring } from '@mandant/shared/stores/crypto';
import { sealJson } from '@mandant/shared/stores/crypto';
import type { SearchScope } from './scope.ts';

/**
 * Records a search as `search.performed.v1` on its own new stream `search-{id}`: scope, mode,
 * the project filter every store call used, the grant it relied on, the log position it saw and
 * the chunks it answered with; the query and filters only sealed (opened with the search id), so
 * shredding the tenant's key erases them. Nothing waits for views: no read model depends on it.
 */
export async function recordSearch(
  deps: { store: EventStore; clock: Clock; keyring: Keyring },
  r: {
    tenantId: string;
    searchId: string;
    scope: SearchScope;
    mode: 'hybrid' | 'keyword' | 'vector';
    position: number;
    chunkIds: string[];
    secret: { query: string; filters: unknown };
    meta: EventMeta;
  },
): Promise<void> {
  const sealed = await sealJson(deps.keyring, r.tenantId, r.searchId, r.secret);
  const event = SearchPerformed.parse({
    type: 'search.performed.v1',
    data: {
      scope: r.scope.scope,
      mode: r.mode,
      project_ids: r.scope.projectIds ?? null,
      grant: r.scope.grant,
      position: r.position,
      chunk_ids: r.chunkIds,
      sealed,
    },
  });
  await deps.store.append(
    r.tenantId,
    streams.search(r.searchId),
    0,
    [
      {
        id: uuidv7(),
        type: event.type,
        project_id: r.scope.projectId,
        occurred_at: deps.clock.now().toISOString(),
        data: event.data,
      },
    ],
    r.meta,
  );
}
