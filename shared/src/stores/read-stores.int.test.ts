import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql } from '../db/connect.ts';
import { readEnv } from '../env.ts';
import { postgresUrls } from '../testing/backends.ts';
import { sealedBlobStore } from './read-stores.ts';

const pg = postgresUrls();
const masterKey = () => randomBytes(32).toString('base64');

describe.skipIf(!pg)("a service's sealed blob store during a master key rotation", () => {
  let sql: Sql;
  let dir: string;
  beforeAll(() => {
    if (pg) sql = createSql(pg.appUrl, { max: 2 });
    dir = mkdtempSync(join(tmpdir(), 'mandant-blobs-'));
  });
  afterAll(async () => {
    await sql?.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens what was sealed under a key named in MANDANT_MASTER_KEY_PREVIOUS, seals anew under the new key, and refuses without it', async () => {
    const [oldKey, newKey] = [masterKey(), masterKey()];
    const env = (vars: Record<string, string> = {}) => readEnv({ MANDANT_DATA_DIR: dir, ...vars });
    const [tenant, other] = [randomUUID(), randomUUID()];
    const before = sealedBlobStore(env(), { sql, masterKey: oldKey });
    await before.blobs.put(tenant, 'raw/before.bin', new TextEncoder().encode('sealed before the rotation'), { contentType: 'text/plain' });

    // the rolling restart: the new key current, the old one (among others) previous
    const during = sealedBlobStore(env({ MANDANT_MASTER_KEY_PREVIOUS: ` ${masterKey()}, ${oldKey} ` }), { sql, masterKey: newKey });
    const read = await during.blobs.get(tenant, 'raw/before.bin');
    expect(read && new TextDecoder().decode(read)).toBe('sealed before the rotation');
    // a tenant's first data key is wrapped under the new key: no previous key needed for it
    await during.blobs.put(other, 'raw/after.bin', new TextEncoder().encode('sealed after'), { contentType: 'text/plain' });
    const newOnly = sealedBlobStore(env(), { sql, masterKey: newKey });
    const after = await newOnly.blobs.get(other, 'raw/after.bin');
    expect(after && new TextDecoder().decode(after)).toBe('sealed after');
    // without the previous key the old data key does not open, and nothing says otherwise
    await expect(newOnly.blobs.get(tenant, 'raw/before.bin')).rejects.toThrow(/master key/i);
  });
});
