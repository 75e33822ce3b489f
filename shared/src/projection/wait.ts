import { type Sql, withTenant } from '../db/connect.ts';
import type { Logger } from '../log.ts';

export interface CheckpointWait {
  tenantId: string;
  /** the log position (tenant_seq) every projector must have applied */
  position: number;
  /** `name@vN` for one version of a projector, or `name` for whichever of its versions runs */
  projectors: readonly string[];
  /** what lags, for the warning on timeout (e.g. 'read views') */
  what: string;
  timeoutMs?: number;
}

/**
 * Waits until every named projector has applied the tenant's log up to `position`, so the
 * answer to a write and the caller's next read agree (read-your-writes). Polls the checkpoints,
 * since projectors may run in other processes, backing off from 2 ms to 50 ms. On timeout it
 * logs and answers false: the write still stands, the caller just answers early.
 */
export async function waitForCheckpoints(sql: Sql, log: Logger, w: CheckpointWait): Promise<boolean> {
  if (w.position <= 0 || w.projectors.length === 0) return true;
  const deadline = Date.now() + (w.timeoutMs ?? 10_000);
  const reached = (keys: string[]) => w.projectors.every((p) => keys.some((k) => k === p || (!p.includes('@') && k.startsWith(`${p}@`))));
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    const rows = await withTenant(
      sql,
      w.tenantId,
      (tx) => tx<{ projector: string }[]>`
      select projector from projection_checkpoints where tenant_id = ${w.tenantId} and position >= ${w.position}`,
    );
    if (reached(rows.map((r) => r.projector))) return true;
    if (Date.now() > deadline) {
      log.warn({ tenant_id: w.tenantId, position: w.position, projectors: w.projectors }, `projections lag behind a write: ${w.what}`);
      return false;
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}
