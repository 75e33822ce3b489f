import { meilisearchServer } from './backends.ts';
import { meilisearchPlatformEnv } from './meilisearch-index.ts';
import { qdrantPlatformEnv } from './qdrant-index.ts';
import { qdrantTestUrl } from './qdrant.ts';

/** A platform under test: its read stores, named, and the environment that selects them. */
export interface StorePlatform {
  stores: string;
  env: Record<string, string>;
}

/**
 * The platforms an e2e suite runs on: the embedded stores, its text index on the run's
 * Meilisearch, and its vectors on the run's Qdrant (MEILI_URL / QDRANT_URL when set, else the
 * servers the test global setup started; a missing one has already printed SKIPPED-BACKEND).
 */
export function storePlatforms(): StorePlatform[] {
  const meili = meilisearchServer();
  const qdrant = qdrantTestUrl();
  return [
    { stores: 'embedded stores', env: {} },
    ...(meili ? [{ stores: 'Meilisearch text', env: meilisearchPlatformEnv(meili) }] : []),
    ...(qdrant ? [{ stores: 'Qdrant vectors', env: qdrantPlatformEnv(qdrant) }] : []),
  ];
}
