import { randomUUID } from 'node:crypto';
import type { Meilisearch } from 'meilisearch';
import { createMeilisearchClient, createMeilisearchTextIndex } from '../stores/text/meilisearch.ts';
import type { TextIndex } from '../stores/text/port.ts';

/**
 * Meilisearch for suites (and their child processes; nothing here needs the test runner): each
 * suite writes to a text index of its own, so suites and runs sharing a server never meet and
 * the index can be deleted afterwards (it outlives the tenants in it by design).
 */
export interface MeilisearchTestTarget {
  url: string;
  masterKey: string | undefined;
  indexUid: string;
}

export const newMeilisearchTestTarget = (server: { url: string; masterKey: string | undefined }): MeilisearchTestTarget => ({
  ...server,
  indexUid: `mandant-text-test-${randomUUID().slice(0, 8)}`,
});

const client = (t: MeilisearchTestTarget): Meilisearch => createMeilisearchClient({ host: t.url, apiKey: t.masterKey });

export const meilisearchTestIndex = (t: MeilisearchTestTarget): TextIndex =>
  createMeilisearchTextIndex({ client: client(t), indexUid: t.indexUid });

/** Deletes the suite's index, waiting for the task so the server is idle when the run ends. */
export async function dropMeilisearchTestIndex(t: MeilisearchTestTarget): Promise<void> {
  await client(t).deleteIndex(t.indexUid).waitTask();
}

/** The environment that puts a platform under test's text index on `server`. */
export const meilisearchPlatformEnv = (server: { url: string; masterKey: string | undefined }): Record<string, string> => ({
  MEILI_URL: server.url,
  ...(server.masterKey === undefined ? {} : { MEILI_MASTER_KEY: server.masterKey }),
});
