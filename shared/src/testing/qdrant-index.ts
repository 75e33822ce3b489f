import { randomUUID } from 'node:crypto';
import type { QdrantClient } from '@qdrant/js-client-rest';
import { createQdrantClient, createQdrantVectorIndex } from '../stores/vectors/qdrant.ts';
import type { VectorIndex } from '../stores/vectors/port.ts';

/**
 * Qdrant for suites (and their child processes; nothing here needs the test runner): a run
 * names its collections with a prefix of its own, so runs sharing a server never meet.
 */
export interface QdrantTestTarget {
  url: string;
  prefix: string;
}

export const newQdrantTestTarget = (url: string): QdrantTestTarget => ({
  url,
  prefix: `mandanttest${randomUUID().replaceAll('-', '').slice(0, 8)}`,
});

// the platform's own client settings (uncompressed answers, no minor-version check against 1.16)
const client = (url: string): QdrantClient => createQdrantClient({ url, apiKey: process.env.QDRANT_API_KEY });

export const qdrantTestIndex = (t: QdrantTestTarget): VectorIndex => createQdrantVectorIndex({ client: client(t.url), prefix: t.prefix });

/** Deletes the run's collections: model collections outlive the tenants in them by design. */
export async function dropQdrantTestCollections(t: QdrantTestTarget): Promise<void> {
  const qdrant = client(t.url);
  for (const { name } of (await qdrant.getCollections()).collections) {
    if (name.startsWith(`${t.prefix}_`)) await qdrant.deleteCollection(name);
  }
}

/** The environment that puts a platform under test on this Qdrant for its vectors. */
export const qdrantPlatformEnv = (url: string): Record<string, string> => ({
  QDRANT_URL: url,
  ...(process.env.QDRANT_API_KEY ? { QDRANT_API_KEY: process.env.QDRANT_API_KEY } : {}),
});
