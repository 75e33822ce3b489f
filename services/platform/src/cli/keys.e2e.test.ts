import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql, migrate, prepareAppRole } from '@mandant/shared/db';
import { createLogger } from '@mandant/shared/log';
import { createKeyring, createPostgresKeyStore, documentScope, masterKeyId, rotateMasterKey } from '@mandant/shared/stores/crypto';
import { ownDatabase, postgresUrls } from '@mandant/shared/testing';

const pg = postgresUrls();
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe.skipIf(!pg)('mandant keys status|rotate', () => {
  let db: { url: string; drop(): Promise<void> };
  let sql: Sql;
  const [oldKey, newKey, wrongKey] = [0, 1, 2].map(() => randomBytes(32).toString('base64')) as [string, string, string];

  const cli = (env: Record<string, string>, ...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'services/platform/src/cli/main.ts', ...args], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });

  beforeAll(async () => {
    if (!pg) return;
    db = await ownDatabase(pg.ownerUrl, 'keys');
    await migrate(db.url, createLogger({ level: 'silent' }));
    sql = createSql(await prepareAppRole(db.url, undefined), { max: 2 });
  }, 300_000);
  afterAll(async () => {
    await sql?.end();
    await db?.drop();
  });

  it('re-wraps sealed documents under the new master key, resuming a stopped rotation, and refuses a wrong previous key', async () => {
    const store = createPostgresKeyStore(sql);
    const before = createKeyring({ masterKey: oldKey, store });
    const sealed: { tenant: string; plain: string; bytes: Uint8Array }[] = [];
    for (const tenant of [randomUUID(), randomUUID()]) {
      for (let i = 0; i < 3; i++) {
        const plain = `document ${i} of ${tenant}`;
        sealed.push({ tenant, plain, bytes: await before.encrypt(tenant, text(plain), undefined, { scope: documentScope(randomUUID()) }) });
      }
    }
    const openAll = async (keyring: ReturnType<typeof createKeyring>) =>
      Promise.all(sealed.map(async (s) => new TextDecoder().decode(await keyring.decrypt(s.tenant, s.bytes))));
    const plains = sealed.map((s) => s.plain);

    // a wrong previous key: refused, naming the key id the data keys are under, nothing changed
    const wrong = await cli({ MANDANT_MASTER_KEY: newKey, MANDANT_MASTER_KEY_PREVIOUS: wrongKey }, 'keys', 'rotate');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(masterKeyId(oldKey));
    expect(await openAll(before)).toEqual(plains);

    // a rotation stopped after one batch (a crash); the CLI run continues it
    await rotateMasterKey({ store, masterKey: newKey, previousMasterKeys: [oldKey], batchSize: 2, maxBatches: 1 });
    const env = { MANDANT_MASTER_KEY: newKey, MANDANT_MASTER_KEY_PREVIOUS: oldKey };
    const status = await cli(env, 'keys', 'status', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      currentId: masterKeyId(newKey),
      byMasterKey: { [masterKeyId(oldKey)]: 4, [masterKeyId(newKey)]: 2 },
      left: 4,
    });
    expect(await openAll(createKeyring({ masterKey: newKey, previousMasterKeys: [oldKey], store }))).toEqual(plains);
    const rotated = await cli(env, 'keys', 'rotate', '--batch', '2');
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toMatch(/re-wrapped 4\/4 data keys/);
    expect(rotated.stdout).toMatch(/re-wrapped 4 data keys under [0-9a-f]{16}; 0 left/);
    expect(await openAll(createKeyring({ masterKey: newKey, store }))).toEqual(plains);
    const after = await cli({ MANDANT_MASTER_KEY: newKey }, 'keys', 'status');
    expect(after.stdout).toContain('0 data keys left');
  }, 300_000);

  it('refuses bad arguments and bad keys with exit 2 before touching anything', async () => {
    const batch = await cli({ MANDANT_MASTER_KEY: newKey }, 'keys', 'rotate', '--batch', '0');
    expect(batch.code).toBe(2);
    expect(batch.stderr).toMatch(/--batch must be/);
    const same = await cli({ MANDANT_MASTER_KEY: newKey, MANDANT_MASTER_KEY_PREVIOUS: newKey }, 'keys', 'rotate');
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/given twice/);
    const garbage = await cli({ MANDANT_MASTER_KEY: newKey, MANDANT_MASTER_KEY_PREVIOUS: 'not a key' }, 'keys', 'status');
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toMatch(/invalid master key configuration/);
  }, 120_000);
});
