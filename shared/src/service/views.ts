import type { Sql } from '../db/connect.ts';
import type { Logger } from '../log.ts';
import { waitForCheckpoints } from '../projection/wait.ts';

/**
 * Read-your-writes: resolves once the relational view projectors have applied the tenant's log
 * up to `position`, so the answer to a write and the next read agree; false on timeout (the write
 * still stands, the caller just answered early). Every write use case awaits it before answering.
 */
export type ViewsWait = (tenantId: string, position: number) => Promise<boolean>;

/**
 * The wait over the given view projectors (`name@vN`), which the composition names: which read
 * models a write waits for is the platform's knowledge, not this library's. Polls the checkpoints
 * (projectors may run in other processes).
 */
export function waitingForViews(sql: Sql, log: Logger, projectors: readonly string[], timeoutMs = 10_000): ViewsWait {
  return (tenantId, position) => waitForCheckpoints(sql, log, { tenantId, position, projectors, what: 'read views', timeoutMs });
}
