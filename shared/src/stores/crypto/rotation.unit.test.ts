import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidMasterKeyError, KeyUnwrapError, createKeyring, documentScope, masterKeyId } from './data-keys.ts';
import { createMemoryKeyStore } from './memory-key-store.ts';
import { UnknownMasterKeyError, keyStatus, rotateMasterKey } from './rotation.ts';
import { createMasterKeys } from './data-keys.ts';

const masterKey = (): string => randomBytes(32).toString('base64');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Two tenants, a tenant key and `docs` document keys each, sealed under `key`. */
async function sealed(key: string, docs: number) {
  const store = createMemoryKeyStore();
  const keyring = createKeyring({ masterKey: key, store });
  const payloads: { tenant: string; plain: string; sealed: Uint8Array }[] = [];
  for (const tenant of [randomUUID(), randomUUID()]) {
    payloads.push({ tenant, plain: `tenant ${tenant}`, sealed: await keyring.encrypt(tenant, text(`tenant ${tenant}`)) });
    for (let i = 0; i < docs; i++) {
      const plain = `document ${i} of ${tenant}`;
      payloads.push({
        tenant,
        plain,
        sealed: await keyring.encrypt(tenant, text(plain), undefined, { scope: documentScope(randomUUID()) }),
      });
    }
  }
  return { store, payloads };
}

describe('master key rotation', () => {
  it('names a master key by a hash, never the key', () => {
    const key = masterKey();
    expect(masterKeyId(key)).toMatch(/^[0-9a-f]{16}$/);
    expect(masterKeyId(key)).toBe(masterKeyId(Buffer.from(key, 'base64')));
    expect(Buffer.from(key, 'base64').toString('hex')).not.toContain(masterKeyId(key));
    expect(masterKeyId(masterKey())).not.toBe(masterKeyId(key));
  });

  it('opens keys under the previous master key, wraps new ones under the current one, and refuses without the previous key', async () => {
    const [oldKey, newKey] = [masterKey(), masterKey()];
    const { store, payloads } = await sealed(oldKey, 2);
    const both = createKeyring({ masterKey: newKey, previousMasterKeys: [oldKey], store });
    for (const p of payloads) expect(str(await both.decrypt(p.tenant, p.sealed))).toBe(p.plain);
    const fresh = await both.encrypt(payloads[0]!.tenant, text('new'), undefined, { scope: documentScope(randomUUID()) });
    const status = await keyStatus(store, createMasterKeys(newKey, [oldKey]));
    expect(status.byMasterKey).toEqual({ [masterKeyId(oldKey)]: 6, [masterKeyId(newKey)]: 1 });
    expect(status.left).toBe(6);
    // the new master key alone opens the new key, not the old ones, and says which key is missing
    const onlyNew = createKeyring({ masterKey: newKey, store });
    expect(str(await onlyNew.decrypt(payloads[0]!.tenant, fresh))).toBe('new');
    const err = await onlyNew.decrypt(payloads[0]!.tenant, payloads[0]!.sealed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyUnwrapError);
    expect((err as Error).message).toContain(masterKeyId(oldKey));
  });

  it('re-wraps in batches; stopped after k batches every key still opens, the rerun finishes, then the new key alone opens everything', async () => {
    const [oldKey, newKey] = [masterKey(), masterKey()];
    const { store, payloads } = await sealed(oldKey, 4); // 5 keys per tenant
    const progress: number[] = [];
    // the "crash": stop after two batches of three (the first tenant's 3 + 2)
    const first = await rotateMasterKey({ store, masterKey: newKey, previousMasterKeys: [oldKey], batchSize: 3, maxBatches: 2 });
    expect(first).toEqual({ rewrapped: 5, left: 5 });
    const both = createKeyring({ masterKey: newKey, previousMasterKeys: [oldKey], store });
    for (const p of payloads) expect(str(await both.decrypt(p.tenant, p.sealed))).toBe(p.plain);
    expect((await keyStatus(store, createMasterKeys(newKey, [oldKey]))).byMasterKey).toEqual({
      [masterKeyId(oldKey)]: 5,
      [masterKeyId(newKey)]: 5,
    });
    const second = await rotateMasterKey({
      store,
      masterKey: newKey,
      previousMasterKeys: [oldKey],
      batchSize: 3,
      onProgress: (done) => progress.push(done),
    });
    expect(second).toEqual({ rewrapped: 5, left: 0 });
    expect(progress).toEqual([3, 5]);
    const onlyNew = createKeyring({ masterKey: newKey, store });
    for (const p of payloads) expect(str(await onlyNew.decrypt(p.tenant, p.sealed))).toBe(p.plain);
    // the old master key opens nothing any more
    const onlyOld = createKeyring({ masterKey: oldKey, store });
    await expect(onlyOld.decrypt(payloads[0]!.tenant, payloads[0]!.sealed)).rejects.toBeInstanceOf(KeyUnwrapError);
    // a rerun has nothing to do
    expect(await rotateMasterKey({ store, masterKey: newKey, previousMasterKeys: [oldKey] })).toEqual({ rewrapped: 0, left: 0 });
  });

  it('refuses clearly, changing nothing, when the previous key given is not the one the keys are under', async () => {
    const [oldKey, wrongKey, newKey] = [masterKey(), masterKey(), masterKey()];
    const { store, payloads } = await sealed(oldKey, 1);
    const err = await rotateMasterKey({ store, masterKey: newKey, previousMasterKeys: [wrongKey] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownMasterKeyError);
    expect((err as Error).message).toContain(masterKeyId(oldKey));
    expect((err as Error).message).toContain('nothing was changed');
    const onlyOld = createKeyring({ masterKey: oldKey, store });
    for (const p of payloads) expect(str(await onlyOld.decrypt(p.tenant, p.sealed))).toBe(p.plain);
    // a previous key equal to the current one is a configuration mistake, named as such
    expect(() => createKeyring({ masterKey: newKey, previousMasterKeys: [newKey], store })).toThrow(InvalidMasterKeyError);
    expect(() => createKeyring({ masterKey: newKey, previousMasterKeys: ['not-a-key'], store })).toThrow(InvalidMasterKeyError);
  });

  it('rotates twice in a row (old → new → newer) and skips destroyed keys', async () => {
    const [k1, k2, k3] = [masterKey(), masterKey(), masterKey()];
    const { store, payloads } = await sealed(k1, 2);
    await rotateMasterKey({ store, masterKey: k2, previousMasterKeys: [k1], batchSize: 2, maxBatches: 1 });
    // k1 is still needed for what the first rotation left: both previous keys are given
    const gone = payloads[1]!;
    await createKeyring({ masterKey: k3, previousMasterKeys: [k2, k1], store }).destroy(gone.tenant, undefined);
    expect(await rotateMasterKey({ store, masterKey: k3, previousMasterKeys: [k2, k1], batchSize: 2 })).toMatchObject({ left: 0 });
    const onlyK3 = createKeyring({ masterKey: k3, store });
    for (const p of payloads.filter((p) => p.tenant !== gone.tenant)) expect(str(await onlyK3.decrypt(p.tenant, p.sealed))).toBe(p.plain);
  });
});
