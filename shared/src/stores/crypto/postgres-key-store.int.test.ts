import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql, withTenant } from '../../db/connect.ts';
import { postgresUrls } from '../../testing/backends.ts';
import { DataKeyDestroyedError, createKeyring } from './data-keys.ts';
import { createPostgresKeyStore } from './postgres-key-store.ts';

const pg = postgresUrls();
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe.skipIf(!pg)('data keys kept in Postgres', () => {
  let sql: Sql;
  beforeAll(() => {
    if (pg) sql = createSql(pg.appUrl, { max: 4 });
  });
  afterAll(async () => {
    await sql?.end();
  });

  it('lets two keyrings (two processes) share one key per tenant, the first writer winning', async () => {
    const masterKey = randomBytes(32).toString('base64');
    const store = createPostgresKeyStore(sql);
    const [a, b] = [createKeyring({ masterKey, store }), createKeyring({ masterKey, store })];
    const tenant = randomUUID();
    const [sealedA, sealedB] = await Promise.all([a.encrypt(tenant, text('from a')), b.encrypt(tenant, text('from b'))]);
    expect(new TextDecoder().decode(await b.decrypt(tenant, sealedA))).toBe('from a');
    expect(new TextDecoder().decode(await a.decrypt(tenant, sealedB))).toBe('from b');
  });

  it('shreds a tenant by deleting its key row, and the key is visible to its tenant only', async () => {
    const masterKey = randomBytes(32).toString('base64');
    const store = createPostgresKeyStore(sql);
    const keyring = createKeyring({ masterKey, store });
    const [t1, t2] = [randomUUID(), randomUUID()];
    const sealed = await keyring.encrypt(t1, text('personal data'));
    await keyring.encrypt(t2, text('other tenant'));
    const seen = await withTenant(sql, t1, (tx) => tx<{ tenant_id: string }[]>`select tenant_id from tenant_data_keys`);
    expect(seen.map((r) => r.tenant_id)).toEqual([t1]);
    await keyring.destroy(t1);
    await expect(keyring.decrypt(t1, sealed)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    expect(await store.get(t2)).not.toBeNull();
  });
});
