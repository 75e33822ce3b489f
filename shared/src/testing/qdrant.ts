import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../log.ts';
import { NO_QDRANT_BINARY, findQdrantServer, startQdrantServer } from '../runtime/qdrant-server.ts';
import { SETTLE_MS } from './eventually.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** the Qdrant of this run (QDRANT_URL, or one the global setup started), or why there is none */
    qdrant: { url: string; reason: null } | { url: null; reason: string };
  }
}

/**
 * This run's Qdrant for a suite, or null after the `SKIPPED-BACKEND: qdrant (…)` marker line
 * CI turns into a failure (the same marker `backendMissing` writes for the other backends).
 */
export function qdrantTestUrl(): string | null {
  // undefined when the global setup in use does not start Qdrant
  const qdrant = (inject('qdrant') as ProvidedQdrant | undefined) ?? { url: null, reason: 'the test global setup provided no qdrant' };
  if (qdrant.url !== null) return qdrant.url;
  process.stderr.write(`SKIPPED-BACKEND: qdrant (${qdrant.reason})\n`);
  return null;
}

type ProvidedQdrant = { url: string; reason: null } | { url: null; reason: string };

/** Answers `/readyz` within a few seconds, or why not. */
async function unreachable(url: string): Promise<string | null> {
  try {
    const res = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(5_000) });
    return res.ok ? null : `${url}/readyz answered ${res.status}`;
  } catch (err) {
    return `cannot reach ${url}: ${(err as Error).message}`;
  }
}

/**
 * For the global setup: the Qdrant the suites use. `QDRANT_URL` (with `QDRANT_API_KEY`) when
 * set; else a local Qdrant 1.16 started here with its storage in a temp dir. Hands the URL, or
 * why there is none, to the workers (`qdrantTestUrl()` in backends.ts); returns its teardown.
 */
export async function provideQdrant(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.QDRANT_URL;
  if (external !== undefined && external !== '') {
    const reason = await unreachable(external);
    project.provide('qdrant', reason === null ? { url: external, reason: null } : { url: null, reason });
    return async () => {};
  }
  const binary = findQdrantServer();
  if (binary === null) {
    project.provide('qdrant', { url: null, reason: NO_QDRANT_BINARY });
    return async () => {};
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'mandant-test-qdrant-'));
  try {
    // a generous start deadline: the run's first minute is its busiest
    const server = await startQdrantServer({ binary, dataDir, log: createLogger({ level: 'warn' }), startTimeoutMs: SETTLE_MS });
    project.provide('qdrant', { url: server.url, reason: null });
    return async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    project.provide('qdrant', { url: null, reason: `local qdrant did not start: ${(err as Error).message}` });
    return async () => {};
  }
}
