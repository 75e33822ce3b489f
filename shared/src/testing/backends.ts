import { inject } from 'vitest';
import type { ProvidedContext } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** owner (migration) and runtime-role URLs of this run's own database, or null when no Postgres answered */
    pg: { ownerUrl: string; appUrl: string; reason: null } | { ownerUrl: null; appUrl: null; reason: string };
    /** the Meilisearch server of this run (MEILI_URL, or one the global setup started), or why there is none */
    meili: { url: string; masterKey: string | undefined; reason: null } | { url: null; masterKey: undefined; reason: string };
  }
}

/**
 * A suite that needs a backend calls this at collection time; when the backend is missing it
 * skips and leaves a marker line that CI turns into a failure, so nothing goes silently untested.
 */
export function backendMissing(backend: 'postgres' | 'nats' | 'neo4j' | 's3' | 'meilisearch' | 'qdrant', reason: string | null): boolean {
  if (reason) process.stderr.write(`SKIPPED-BACKEND: ${backend} (${reason})\n`);
  return reason !== null;
}

export function postgresUrls(): { ownerUrl: string; appUrl: string } | null {
  const pg = inject('pg');
  if (backendMissing('postgres', pg.reason)) return null;
  return pg.ownerUrl && pg.appUrl ? { ownerUrl: pg.ownerUrl, appUrl: pg.appUrl } : null;
}

/** This run's Meilisearch, or null (and the SKIPPED-BACKEND marker) when there is none. */
export function meilisearchServer(): { url: string; masterKey: string | undefined } | null {
  // absent when a global setup without the Meilisearch hunk ran: a missing backend, not a crash
  const meili = inject('meili') as ProvidedContext['meili'] | undefined;
  if (backendMissing('meilisearch', meili === undefined ? 'the global setup provided no Meilisearch' : meili.reason)) return null;
  if (meili === undefined) return null;
  return meili.url === null ? null : { url: meili.url, masterKey: meili.masterKey };
}
