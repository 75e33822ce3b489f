import type { Sql } from '../db/connect.ts';
import type { Logger } from '../log.ts';
import { waitForCheckpoints } from '../projection/wait.ts';

/** The relational read models every write waits for before it answers (read-your-writes). */
export const VIEW_PROJECTORS = ['tenant-views@v1', 'project-views@v1', 'membership-views@v1', 'document-views@v1'] as const;

/**
 * Waits until every relational view projector has applied the tenant's log up to `position`,
 * so the answer to a write and the next read agree. Polls the checkpoints (projectors may run in
 * other processes). On timeout the write still stands; the caller just answered early.
 */
export function waitForViews(sql: Sql, log: Logger, tenantId: string, position: number, timeoutMs = 10_000): Promise<boolean> {
  return waitForCheckpoints(sql, log, { tenantId, position, projectors: VIEW_PROJECTORS, what: 'read views', timeoutMs });
}
