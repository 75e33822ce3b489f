import { join } from 'node:path';
import neo4j from 'neo4j-driver';
import { DERIVED_STORE_SETTINGS, type Sql, createSql } from '../db/connect.ts';
import { type Env, previousMasterKeys } from '../env.ts';
import { createEncryptingBlobStore } from './blobs/encrypting.ts';
import { createLocalBlobStore } from './blobs/local.ts';
import type { BlobStore } from './blobs/port.ts';
import { createS3BlobStore } from './blobs/s3.ts';
import { type Keyring, createKeyring } from './crypto/data-keys.ts';
import { createPostgresKeyStore } from './crypto/postgres-key-store.ts';
import { createNeo4jGraphStore } from './graph/neo4j.ts';
import type { GraphStore } from './graph/port.ts';
import { createPostgresGraphStore } from './graph/postgres.ts';
import { createMeilisearchClient, createMeilisearchTextIndex } from './text/meilisearch.ts';
import type { TextIndex } from './text/port.ts';
import { createPostgresTextIndex } from './text/postgres.ts';
import type { VectorIndex } from './vectors/port.ts';
import { createPostgresVectorIndex } from './vectors/postgres.ts';
import { createQdrantClient, createQdrantVectorIndex } from './vectors/qdrant.ts';

/**
 * The document read side's stores and the keyring that seals content, chosen from the
 * environment: each engine whose URL is set, else the embedded default (Postgres tables for
 * vectors, text and graph; a local directory for blobs). `blobs` seals everything it stores.
 */
export interface ReadStores {
  vectors: VectorIndex;
  text: TextIndex;
  graph: GraphStore;
  /** sealed under each tenant's data key */
  blobs: BlobStore;
  keyring: Keyring;
  /** which engine serves each role, for the start-up banner */
  describe: { vectors: string; text: string; graph: string; blobs: string };
  /**
   * The projector lane (see Projection) of each role: `document-stores` for the embedded stores
   * (Postgres tables, a local directory), else the engine's name. Either way apart from the
   * relational views (`database`): a store projection reads sealed artefacts and writes to its
   * store, which the views, and the writers waiting on them, must not wait for.
   */
  lanes: { vectors: string; text: string; graph: string; blobs: string };
  close(): Promise<void>;
}

/** The projector lane of the embedded document stores (see ReadStores.lanes). */
export const DOCUMENT_STORES_LANE = 'document-stores';

export class ReadStoreConfigError extends Error {
  override readonly name = 'ReadStoreConfigError';
}

/** S3 when `S3_ENDPOINT` is set, else a local directory in the data directory; not sealed by itself. */
export function rawBlobStore(env: Env): BlobStore {
  if (!env.S3_ENDPOINT) return createLocalBlobStore({ root: join(env.MANDANT_DATA_DIR, 'blobs') });
  if (!env.S3_ACCESS_KEY || !env.S3_SECRET_KEY) throw new ReadStoreConfigError('S3_ENDPOINT needs S3_ACCESS_KEY and S3_SECRET_KEY');
  return createS3BlobStore({ url: env.S3_ENDPOINT, accessKey: env.S3_ACCESS_KEY, secretKey: env.S3_SECRET_KEY, region: env.S3_REGION });
}

/**
 * The blob store uploads go through: sealed under each tenant's data key (kept in Postgres).
 * Data keys still wrapped under a previous master key (`MANDANT_MASTER_KEY_PREVIOUS`) open
 * too, so a process runs on while `mandant keys rotate` re-wraps them.
 */
export function sealedBlobStore(env: Env, deps: { sql: Sql; masterKey: string }): { blobs: BlobStore; keyring: Keyring } {
  const keyring = createKeyring({
    masterKey: deps.masterKey,
    previousMasterKeys: previousMasterKeys(env),
    store: createPostgresKeyStore(deps.sql),
    cacheMs: 5_000,
  });
  return { blobs: createEncryptingBlobStore(rawBlobStore(env), keyring), keyring };
}

/**
 * `sql` is the runtime role's pool: the embedded stores get a pool of their own on the same
 * URL, so a projector holding a checkpoint transaction never waits on its own pool for a store call.
 * Their commits do not wait for the disk (DERIVED_STORE_SETTINGS); the data keys, which nothing
 * could give again, are kept through a small pool whose commits do.
 */
export async function createReadStores(env: Env, deps: { appUrl: string; sql: Sql; masterKey: string }): Promise<ReadStores> {
  const storeSql = createSql(deps.appUrl, {
    max: Math.min(8, env.DATABASE_POOL_MAX),
    appName: 'mandant-stores',
    settings: DERIVED_STORE_SETTINGS,
  });
  const keySql = createSql(deps.appUrl, { max: Math.min(4, env.DATABASE_POOL_MAX), appName: 'mandant-keys' });
  const closers: (() => Promise<unknown>)[] = [() => storeSql.end({ timeout: 5 }), () => keySql.end({ timeout: 5 })];
  const { blobs, keyring } = sealedBlobStore(env, { sql: keySql, masterKey: deps.masterKey });

  // the client (1.18) is newer than the server release we run and test (1.16): its version check
  // would warn at every start, and the REST calls the adapter makes are the same in both
  const vectors = env.QDRANT_URL
    ? createQdrantVectorIndex({ client: createQdrantClient({ url: env.QDRANT_URL, apiKey: env.QDRANT_API_KEY }) })
    : createPostgresVectorIndex({ sql: storeSql });
  const text = env.MEILI_URL
    ? createMeilisearchTextIndex({ client: createMeilisearchClient({ host: env.MEILI_URL, apiKey: env.MEILI_MASTER_KEY }) })
    : createPostgresTextIndex({ sql: storeSql });
  let graph: GraphStore;
  if (env.NEO4J_URL) {
    const auth = env.NEO4J_USER ? neo4j.auth.basic(env.NEO4J_USER, env.NEO4J_PASSWORD ?? '') : undefined;
    const driver = neo4j.driver(env.NEO4J_URL, auth);
    closers.push(() => driver.close());
    graph = createNeo4jGraphStore({ driver });
  } else {
    graph = createPostgresGraphStore({ sql: storeSql });
  }
  await graph.init();
  return {
    vectors,
    text,
    graph,
    keyring,
    blobs,
    lanes: {
      vectors: env.QDRANT_URL ? 'qdrant' : DOCUMENT_STORES_LANE,
      text: env.MEILI_URL ? 'meilisearch' : DOCUMENT_STORES_LANE,
      graph: env.NEO4J_URL ? 'neo4j' : DOCUMENT_STORES_LANE,
      blobs: env.S3_ENDPOINT ? 's3' : DOCUMENT_STORES_LANE,
    },
    describe: {
      vectors: env.QDRANT_URL ? `qdrant (${env.QDRANT_URL})` : 'postgres',
      text: env.MEILI_URL ? `meilisearch (${env.MEILI_URL})` : 'postgres full-text search',
      graph: env.NEO4J_URL ? `neo4j (${env.NEO4J_URL})` : 'postgres',
      blobs: env.S3_ENDPOINT ? `s3 (${env.S3_ENDPOINT})` : `local directory (${join(env.MANDANT_DATA_DIR, 'blobs')})`,
    },
    async close() {
      await graph.close();
      for (const c of closers.reverse()) await c().catch(() => {});
    },
  };
}
