import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql, withTenant } from '../../db/connect.ts';
import { postgresUrls } from '../../testing/backends.ts';
import { DESTROYED, DataKeyDestroyedError, KeyUnwrapError, TENANT_SCOPE, createKeyring, documentScope, masterKeyId } from './data-keys.ts';
import { createPostgresKeyStore } from './postgres-key-store.ts';
import { rotateMasterKey } from './rotation.ts';

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
    const seen = await withTenant(sql, t1, (tx) => tx<{ tenant_id: string }[]>`select distinct tenant_id from data_keys`);
    expect(seen.map((r) => r.tenant_id)).toEqual([t1]);
    await keyring.destroy(t1);
    await expect(keyring.decrypt(t1, sealed)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    expect(await store.current(t2, TENANT_SCOPE)).not.toBeNull();
    expect(await store.current(t1, TENANT_SCOPE)).toBe(DESTROYED);
    await expect(keyring.encrypt(t1, text('after offboarding'))).rejects.toBeInstanceOf(DataKeyDestroyedError);
  });

  it('keeps one key per document scope, destroys exactly one, and never re-creates it', async () => {
    const masterKey = randomBytes(32).toString('base64');
    const store = createPostgresKeyStore(sql);
    const [a, b] = [createKeyring({ masterKey, store }), createKeyring({ masterKey, store })];
    const tenant = randomUUID();
    const [d1, d2] = [documentScope(randomUUID()), documentScope(randomUUID())];
    // two processes sealing the same document at once agree on one key
    const [x, y] = await Promise.all([
      a.encrypt(tenant, text('d1 from a'), undefined, { scope: d1 }),
      b.encrypt(tenant, text('d1 from b'), undefined, { scope: d1 }),
    ]);
    const two = await a.encrypt(tenant, text('d2'), undefined, { scope: d2 });
    const own = await a.encrypt(tenant, text('tenant'));
    const rows = await withTenant(
      sql,
      tenant,
      (tx) => tx<{ scope: string }[]>`select scope from data_keys where tenant_id = ${tenant} order by scope`,
    );
    expect(rows.map((r) => r.scope)).toEqual([d1, d2, TENANT_SCOPE].sort());
    expect(new TextDecoder().decode(await a.decrypt(tenant, y))).toBe('d1 from b');
    await b.destroy(tenant, d1);
    for (const k of [a, b]) {
      await expect(k.decrypt(tenant, x)).rejects.toBeInstanceOf(DataKeyDestroyedError);
      await expect(k.encrypt(tenant, text('again'), undefined, { scope: d1 })).rejects.toBeInstanceOf(DataKeyDestroyedError);
      expect(new TextDecoder().decode(await k.decrypt(tenant, two))).toBe('d2');
      expect(new TextDecoder().decode(await k.decrypt(tenant, own))).toBe('tenant');
    }
    expect(await store.current(tenant, d1)).toBe(DESTROYED);
  });

  it('never leaves a key behind when creating and destroying a scope race', async () => {
    const masterKey = randomBytes(32).toString('base64');
    const store = createPostgresKeyStore(sql);
    const keyring = createKeyring({ masterKey, store });
    const tenant = randomUUID();
    for (let i = 0; i < 10; i++) {
      const scope = documentScope(randomUUID());
      const [sealed] = await Promise.allSettled([
        keyring.encrypt(tenant, text('racing'), undefined, { scope }),
        store.destroy(tenant, scope),
      ]);
      expect(await store.current(tenant, scope)).toBe(DESTROYED);
      if (sealed.status === 'fulfilled') await expect(keyring.decrypt(tenant, sealed.value)).rejects.toBeInstanceOf(DataKeyDestroyedError);
      else expect(sealed.reason).toBeInstanceOf(DataKeyDestroyedError);
    }
  });

  it("hides one tenant's keys and tombstones from another tenant (RLS)", async () => {
    const masterKey = randomBytes(32).toString('base64');
    const store = createPostgresKeyStore(sql);
    const keyring = createKeyring({ masterKey, store });
    const [t1, t2] = [randomUUID(), randomUUID()];
    const d = documentScope(randomUUID());
    await keyring.encrypt(t1, text('x'), undefined, { scope: d });
    await keyring.destroy(t1, documentScope(randomUUID()));
    const keys = await withTenant(sql, t2, (tx) => tx`select 1 from data_keys where tenant_id = ${t1}`);
    const tombs = await withTenant(sql, t2, (tx) => tx`select 1 from data_key_tombstones where tenant_id = ${t1}`);
    expect([keys.length, tombs.length]).toEqual([0, 0]);
    await expect(
      withTenant(
        sql,
        t2,
        (tx) =>
          tx`insert into data_keys (tenant_id, key_id, scope, wrapped) values (${t1}, ${randomBytes(16)}, ${'tenant'}, ${randomBytes(77)})`,
      ),
    ).rejects.toThrow();
  });
});

describe.skipIf(!pg)('master key rotation in Postgres', () => {
  let sql: Sql;
  beforeAll(() => {
    if (pg) sql = createSql(pg.appUrl, { max: 4 });
  });
  afterAll(async () => {
    await sql?.end();
  });

  it('re-wraps sealed documents online: readable before, between batches, and after under the new key alone', async () => {
    const [oldKey, newKey] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
    const store = createPostgresKeyStore(sql);
    const before = createKeyring({ masterKey: oldKey, store });
    const tenant = randomUUID();
    const docs: { plain: string; sealed: Uint8Array }[] = [];
    for (let i = 0; i < 5; i++) {
      const plain = `document ${i}`;
      docs.push({ plain, sealed: await before.encrypt(tenant, text(plain), text('aad'), { scope: documentScope(randomUUID()) }) });
    }
    const open = async (keyring: ReturnType<typeof createKeyring>) =>
      Promise.all(docs.map(async (d) => new TextDecoder().decode(await keyring.decrypt(tenant, d.sealed, text('aad')))));
    const plains = docs.map((d) => d.plain);
    expect(await open(before)).toEqual(plains);
    const both = createKeyring({ masterKey: newKey, previousMasterKeys: [oldKey], store });
    // stopped after one batch of two: the rows are split between the keys, all readable
    await rotateMasterKey({ store, masterKey: newKey, previousMasterKeys: [oldKey], batchSize: 2, maxBatches: 1, tenants: [tenant] });
    expect(await store.countByMasterKey(tenant)).toEqual({ [masterKeyId(oldKey)]: 3, [masterKeyId(newKey)]: 2 });
    expect(await open(both)).toEqual(plains);
    // a document sealed meanwhile gets its key under the new master key
    const fresh = await both.encrypt(tenant, text('fresh'), undefined, { scope: documentScope(randomUUID()) });
    // (only this tenant: the test database holds other tests' keys under other master keys)
    const rest = await rotateMasterKey({ store, masterKey: newKey, previousMasterKeys: [oldKey], batchSize: 2, tenants: [tenant] });
    expect(rest.left).toBe(0);
    expect(await store.countByMasterKey(tenant)).toEqual({ [masterKeyId(newKey)]: 6 });
    const after = createKeyring({ masterKey: newKey, store });
    expect(await open(after)).toEqual(plains);
    expect(new TextDecoder().decode(await after.decrypt(tenant, fresh))).toBe('fresh');
    await expect(open(before)).rejects.toBeInstanceOf(KeyUnwrapError);
    expect(await store.keyTenants()).toContain(tenant);
  });
});
