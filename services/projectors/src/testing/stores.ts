import { randomBytes } from 'node:crypto';
import { type Sql, createSql } from '@mandant/shared/db';
import { createEncryptingBlobStore } from '@mandant/shared/stores/blobs';
import { createLocalBlobStore } from '@mandant/shared/stores/blobs';
import { createKeyring } from '@mandant/shared/stores/crypto';
import { createPostgresKeyStore } from '@mandant/shared/stores/crypto';
import type { GraphStore } from '@mandant/shared/stores/graph';
import { createPostgresGraphStore } from '@mandant/shared/stores/graph';
import { createPostgresTextIndex } from '@mandant/shared/stores/text';
import { createPostgresVectorIndex } from '@mandant/shared/stores/vectors';
import { type QdrantTestTarget, qdrantTestIndex } from '@mandant/shared/testing';
import { type MeilisearchTestTarget, meilisearchTestIndex } from '@mandant/shared/testing';
import type { DocumentStores } from '../content.ts';

/** Servers replacing embedded stores: `qdrant` the vectors. Plain data, so it passes through the environment. */
export interface TestEngines {
  qdrant?: QdrantTestTarget;
  /** the text index */
  meili?: MeilisearchTestTarget;
}

export const newMasterKey = (): string => randomBytes(32).toString('base64');

/**
 * The embedded document stores as a test (or the kill-test child) uses them: Postgres vectors,
 * text and graph on a pool of their own (never the projector's), a local blob directory sealed
 * under a keyring whose wrapped keys live in Postgres, so another process with the same master
 * key opens the same artefacts. `graph` replaces the Postgres graph (e.g. with Neo4j); `engines`
 * names servers that replace other embedded stores, in a form a child process can be handed.
 */
export async function createTestStores(opts: {
  appUrl: string;
  blobRoot: string;
  masterKey: string;
  graph?: GraphStore;
  engines?: TestEngines;
}): Promise<DocumentStores & { sql: Sql; close(): Promise<void> }> {
  const sql = createSql(opts.appUrl, { max: 6, appName: 'mandant-projectors-stores' });
  const keyring = createKeyring({ masterKey: opts.masterKey, store: createPostgresKeyStore(sql) });
  const graph = opts.graph ?? createPostgresGraphStore({ sql });
  await graph.init();
  return {
    sql,
    keyring,
    vectors: opts.engines?.qdrant ? qdrantTestIndex(opts.engines.qdrant) : createPostgresVectorIndex({ sql }),
    text: opts.engines?.meili ? meilisearchTestIndex(opts.engines.meili) : createPostgresTextIndex({ sql }),
    graph,
    blobs: createEncryptingBlobStore(createLocalBlobStore({ root: opts.blobRoot }), keyring),
    async close() {
      if (!opts.graph) await graph.close();
      await sql.end({ timeout: 5 });
    },
  };
}
