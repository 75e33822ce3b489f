import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** owner (migration) and runtime-role URLs of this run's own database, or null when no Postgres answered */
    pg: { ownerUrl: string; appUrl: string; reason: null } | { ownerUrl: null; appUrl: null; reason: string };
  }
}


/**
 * A suite that needs a backend calls this at collection time; when the backend is missing it
 * skips and leaves a marker line that CI turns into a failure, so nothing goes silently untested.
 */
export function backendMissing(backend: 'postgres' | 'nats' | 'neo4j' | 's3', reason: string | null): boolean {
  if (reason) process.stderr.write(`SKIPPED-BACKEND: ${backend} (${reason})\n`);
  return reason !== null;
}

export function postgresUrls(): { ownerUrl: string; appUrl: string } | null {
  const pg = inject('pg');
  if (backendMissing('postgres', pg.reason)) return null;
  return pg.ownerUrl && pg.appUrl ? { ownerUrl: pg.ownerUrl, appUrl: pg.appUrl } : null;
}
