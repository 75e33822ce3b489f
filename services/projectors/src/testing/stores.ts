import { randomBytes } from 'node:crypto';
import { type Sql, createSql } from '@mandant/shared/db/connect.ts';
import { createEncryptingBlobStore } from '@mandant/shared/stores/blobs/encrypting.ts';
import { createLocalBlobStore } from '@mandant/shared/stores/blobs/local.ts';
import { createKeyring } from '@mandant/shared/stores/crypto/data-keys.ts';
import { createPostgresKeyStore } from '@mandant/shared/stores/crypto/postgres-key-store.ts';
import type { GraphStore } from '@mandant/shared/stores/graph/port.ts';
import { createPostgresGraphStore } from '@mandant/shared/stores/graph/postgres.ts';
import { createPostgresTextIndex } from '@mandant/shared/stores/text/postgres.ts';
import { createPostgresVectorIndex } from '@mandant/shared/stores/vectors/postgres.ts';
import type { DocumentStores } from '../content.ts';

export const newMasterKey = (): string => randomBytes(32).toString('base64');

/**
 * The embedded document stores as a test (or the kill-test child) uses them: Postgres vectors,
 * text and graph on a pool of their own (never the projector's), a local blob directory sealed
 * under a keyring whose wrapped keys live in Postgres, so another process with the same master
 * key opens the same artefacts. `graph` replaces the Postgres graph (e.g. with Neo4j).
 */
export async function createTestStores(opts: { appUrl: string; blobRoot: string; masterKey: string; graph?: GraphStore }): Promise<DocumentStores & { sql: Sql; close(): Promise<void> }> {
  const sql = createSql(opts.appUrl, { max: 6, appName: 'mandant-projectors-stores' });
  const keyring = createKeyring({ masterKey: opts.masterKey, store: createPostgresKeyStore(sql) });
  const graph = opts.graph ?? createPostgresGraphStore({ sql });
  await graph.init();
  return {
    sql,
    keyring,
    vectors: createPostgresVectorIndex({ sql }),
    text: createPostgresTextIndex({ sql }),
    graph,
    blobs: createEncryptingBlobStore(createLocalBlobStore({ root: opts.blobRoot }), keyring),
    async close() {
      if (!opts.graph) await graph.close();
      await sql.end({ timeout: 5 });
    },
  };
}
