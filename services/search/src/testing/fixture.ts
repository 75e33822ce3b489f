import { randomUUID } from 'node:crypto';
import type { Principal, ProjectRole } from '@mandant/contracts';
import { type Sql, withTenant } from '@mandant/shared/db';
import type { RpcContext } from '@mandant/shared/rpc';
import { DOCUMENT_STORES_LANE, type ReadStores } from '@mandant/shared/stores';
import type { TextIndex } from '@mandant/shared/stores/text';
import type { VectorIndex } from '@mandant/shared/stores/vectors';
import { documentViews } from '@mandant/documents';
import { documentProjections } from '@mandant/projectors';
import type { createTestStores } from '@mandant/projectors/testing';
import { applyEachEvent, readLog } from '@mandant/projectors/testing';

/** One store call as it left the search service. */
export interface StoreCall {
  store: 'vectors' | 'text';
  method: string;
  args: unknown[];
}

/** Wraps a store so every call is written down before it goes through. */
export function recording<T extends object>(target: T, store: StoreCall['store'], calls: StoreCall[]): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const value: unknown = Reflect.get(t, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push({ store, method: String(prop), args });
        return (value as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}

type TestStores = Awaited<ReturnType<typeof createTestStores>>;

/** The embedded test stores as the search service takes them, vectors and text recorded. */
export function recordedStores(stores: TestStores, calls: StoreCall[]): ReadStores {
  return {
    vectors: recording<VectorIndex>(stores.vectors, 'vectors', calls),
    text: recording<TextIndex>(stores.text, 'text', calls),
    graph: stores.graph,
    blobs: stores.blobs,
    keyring: stores.keyring,
    describe: { vectors: 'postgres', text: 'postgres full-text search', graph: 'postgres', blobs: 'local directory' },
    lanes: { vectors: DOCUMENT_STORES_LANE, text: DOCUMENT_STORES_LANE, graph: DOCUMENT_STORES_LANE, blobs: DOCUMENT_STORES_LANE },
    close: async () => {},
  };
}

/** The relational views access checks read: a project row and member rows (what the project and membership projectors keep). */
export async function seedProject(
  sql: Sql,
  tenantId: string,
  members: Record<string, ProjectRole>,
  settings: Record<string, unknown> = {},
): Promise<string> {
  const projectId = randomUUID();
  const now = new Date();
  await withTenant(sql, tenantId, async (tx) => {
    await tx`insert into projects_view (tenant_id, project_id, name, slug, settings, status, created_at, last_activity_at)
             values (${tenantId}, ${projectId}, ${`Project ${projectId.slice(0, 6)}`}, ${`p-${projectId.slice(0, 8)}`}, ${tx.json(settings as never)}, 'active', ${now}, ${now})`;
    for (const [userId, role] of Object.entries(members)) {
      await tx`insert into members_view (tenant_id, project_id, user_id, role, added_at) values (${tenantId}, ${projectId}, ${userId}, ${role}, ${now})`;
    }
  });
  return projectId;
}

/**
 * Brings the relational document views and the vector and text stores up to the tenant's head,
 * applying each new event once; `only: 'views'` leaves the search stores behind (as a lagging
 * projector would).
 */
export function projectTenant(sql: Sql, stores: TestStores, tenantId: string) {
  const views = documentViews(stores.keyring);
  const { vectors, text } = documentProjections(stores);
  let applied = 0;
  let storesApplied = 0;
  return async (only: 'all' | 'views' = 'all') => {
    const log = await readLog(sql, tenantId);
    await applyEachEvent(
      sql,
      views,
      log.filter((e) => e.tenant_seq > applied),
      1,
    );
    applied = log.at(-1)?.tenant_seq ?? applied;
    if (only === 'views') return;
    const fresh = log.filter((e) => e.tenant_seq > storesApplied);
    await applyEachEvent(sql, vectors, fresh, 1);
    await applyEachEvent(sql, text, fresh, 1);
    storesApplied = applied;
  };
}

export const principal = (tenantId: string, role: Principal['tenant_role'], userId: string | null = randomUUID()): Principal => ({
  tenant_id: tenantId,
  user_id: userId,
  tenant_role: role,
  actor: userId ? `user:${userId}` : `api_key:${randomUUID()}`,
});

export const context = (p: Principal): RpcContext => ({
  principal: p,
  operator: false,
  meta: { correlation_id: `search-test-${randomUUID()}`, traceparent: null },
});
