import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { EventStore } from '@mandant/shared/eventstore';

const PAGE = 2_000;

/**
 * Writes the tenant's whole log to `out` as NDJSON: one envelope per line, in tenant_seq order,
 * exactly as the event store returns it. Pages through the log and honours back-pressure, so
 * memory stays flat whatever the log's length. Returns the number of events written.
 * Reads up to the head as it was when the export started: events appended meanwhile are left
 * for the next export, so the file is always a prefix of the log.
 */
export async function exportTenantLog(
  store: EventStore,
  tenantId: string,
  out: Writable,
  onProgress?: (written: number, head: number) => void,
): Promise<{ written: number; head: number }> {
  const head = await store.head(tenantId);
  let after = 0;
  let written = 0;
  while (after < head) {
    const page = await store.readTenant(tenantId, after, Math.min(PAGE, head - after));
    if (page.length === 0) break;
    let chunk = '';
    for (const e of page) chunk += `${JSON.stringify(e)}\n`;
    // a destination that failed (disk full, a closed pipe) ends the export; waiting for its
    // 'drain' would wait for ever
    if (out.errored || out.destroyed) throw new Error('the export destination failed', { cause: out.errored ?? undefined });
    if (!out.write(chunk)) await once(out, 'drain');
    written += page.length;
    after = page.at(-1)?.tenant_seq ?? head;
    onProgress?.(written, head);
  }
  return { written, head };
}
