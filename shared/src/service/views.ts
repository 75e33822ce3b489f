import { type Sql, withTenant } from '../db/connect.ts';
import type { Logger } from '../log.ts';

/** The relational read models every write waits for before it answers (read-your-writes). */
export const VIEW_PROJECTORS = ['tenant-views@v1', 'project-views@v1', 'membership-views@v1', 'document-views@v1'] as const;

/**
 * Waits until every relational view projector has applied the tenant's log up to `position`,
 * so the answer to a write and the next read agree. Polls the checkpoints (projectors may run in
 * other processes). On timeout the write still stands; the caller just answered early.
 */
export async function waitForViews(sql: Sql, log: Logger, tenantId: string, position: number, timeoutMs = 10_000): Promise<boolean> {
  if (position <= 0) return true;
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    const rows = await withTenant(sql, tenantId, (tx) => tx<{ n: number }[]>`
      select count(*)::int as n from projection_checkpoints
      where tenant_id = ${tenantId} and projector = any(${[...VIEW_PROJECTORS]}) and position >= ${position}`);
    if ((rows[0]?.n ?? 0) >= VIEW_PROJECTORS.length) return true;
    if (Date.now() > deadline) {
      log.warn({ tenant_id: tenantId, position }, 'read views lag behind a write');
      return false;
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
}
