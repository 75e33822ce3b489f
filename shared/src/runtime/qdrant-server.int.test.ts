import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_QDRANT_BINARY, QdrantServerStartError, checkQdrantVersion, findQdrantServer, startQdrantServer } from './qdrant-server.ts';

const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'mandant-qdrant-'));
  dirs.push(dir);
  return dir;
};

describe('local Qdrant launcher', () => {
  it('refuses a binary that is not Qdrant 1.16', async () => {
    const fake = join(await tempDir(), 'qdrant');
    await writeFile(fake, '#!/bin/sh\necho "qdrant 1.13.6"\n');
    await chmod(fake, 0o755);
    expect(() => checkQdrantVersion(fake)).toThrow(QdrantServerStartError);
    await expect(startQdrantServer({ binary: fake, dataDir: await tempDir(), log })).rejects.toThrow(/need qdrant 1\.16/);
  });

  const binary = findQdrantServer();
  if (binary === null) process.stderr.write(`SKIPPED-BACKEND: qdrant (${NO_QDRANT_BINARY})\n`);

  it.skipIf(binary === null)('starts the packaged Qdrant on ports of its own, ready to serve, and stops it', async () => {
    const dataDir = await tempDir();
    const [a, b] = [
      await startQdrantServer({ binary: binary ?? '', dataDir: join(dataDir, 'a'), log }),
      await startQdrantServer({ binary: binary ?? '', dataDir: join(dataDir, 'b'), log }),
    ];
    try {
      expect(a.version).toMatch(/^1\.16\.\d+$/);
      expect(a.port).not.toBe(b.port);
      const res = await fetch(`${a.url}/collections`);
      expect(await res.json()).toMatchObject({ status: 'ok', result: { collections: [] } });
    } finally {
      await Promise.all([a.stop(), b.stop(), a.stop()]);
    }
    await expect(fetch(`${a.url}/readyz`)).rejects.toThrow();
  });
});
