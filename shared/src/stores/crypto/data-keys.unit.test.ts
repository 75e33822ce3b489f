import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blobScope, createEncryptingBlobStore } from '../blobs/encrypting.ts';
import { createMemoryBlobStore } from '../blobs/memory.ts';
import { InvalidTenantIdError } from '../blobs/port.ts';
import {
  DataKeyDestroyedError,
  DecryptionFailedError,
  InvalidMasterKeyError,
  InvalidScopeError,
  KeyUnwrapError,
  SEALED_OVERHEAD,
  TENANT_SCOPE,
  createKeyring,
  documentScope,
} from './data-keys.ts';
import type { KeyStore } from './data-keys.ts';
import { createMemoryKeyStore } from './memory-key-store.ts';

const masterKey = (): string => randomBytes(32).toString('base64');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const contains = (haystack: Uint8Array, needle: Uint8Array): boolean => Buffer.from(haystack).includes(Buffer.from(needle));

describe('keyring (envelope encryption, per-tenant data keys)', () => {
  it('decrypts what it encrypted, for empty and binary payloads, with a fixed overhead', async () => {
    const keyring = createKeyring({ masterKey: masterKey(), store: createMemoryKeyStore() });
    const t = randomUUID();
    for (const plain of [new Uint8Array(), randomBytes(1000), text('Offshore leaks: memo')]) {
      const sealed = await keyring.encrypt(t, plain);
      expect(sealed.byteLength).toBe(plain.byteLength + SEALED_OVERHEAD);
      expect(await keyring.decrypt(t, sealed)).toEqual(new Uint8Array(plain));
    }
  });

  it('seals the same plaintext differently each time (fresh nonce)', async () => {
    const keyring = createKeyring({ masterKey: masterKey(), store: createMemoryKeyStore() });
    const t = randomUUID();
    const [x, y] = await Promise.all([keyring.encrypt(t, text('same')), keyring.encrypt(t, text('same'))]);
    expect(Buffer.from(x).equals(Buffer.from(y))).toBe(false);
  });

  it('detects any altered byte, header and tag included', async () => {
    const keyring = createKeyring({ masterKey: masterKey(), store: createMemoryKeyStore() });
    const t = randomUUID();
    const sealed = await keyring.encrypt(t, text('the original statement'));
    for (const i of [0, 3, 20, 36, 48, 50, sealed.byteLength - 1]) {
      const altered = Uint8Array.from(sealed);
      altered[i] = (altered[i] ?? 0) ^ 0x01;
      await expect(keyring.decrypt(t, altered), `byte ${i}`).rejects.toThrow();
    }
    const flipped = Uint8Array.from(sealed);
    flipped[50] = (flipped[50] ?? 0) ^ 0x80;
    await expect(keyring.decrypt(t, flipped)).rejects.toBeInstanceOf(DecryptionFailedError);
    await expect(keyring.decrypt(t, sealed.subarray(0, 20))).rejects.toBeInstanceOf(DecryptionFailedError);
  });

  it('opens a payload only with the associated data it was sealed with', async () => {
    const keyring = createKeyring({ masterKey: masterKey(), store: createMemoryKeyStore() });
    const t = randomUUID();
    const sealed = await keyring.encrypt(t, text('x'), text('blob/raw/a/original.pdf'));
    expect(await keyring.decrypt(t, sealed, text('blob/raw/a/original.pdf'))).toEqual(text('x'));
    await expect(keyring.decrypt(t, sealed, text('blob/raw/b/original.pdf'))).rejects.toBeInstanceOf(DecryptionFailedError);
  });

  it("does not open one tenant's payload with another tenant's key, even re-labelled", async () => {
    const keyring = createKeyring({ masterKey: masterKey(), store: createMemoryKeyStore() });
    const a = randomUUID();
    const b = randomUUID();
    const ofA = await keyring.encrypt(a, text('secret of a'));
    await expect(keyring.decrypt(b, ofA)).rejects.toBeInstanceOf(DecryptionFailedError);
    // Forge the header so it names b and b's key id: the tag still fails under b's key.
    const ofB = await keyring.encrypt(b, text('b'));
    const forged = Uint8Array.from(ofA);
    forged.set(ofB.subarray(0, 36), 0);
    await expect(keyring.decrypt(b, forged)).rejects.toBeInstanceOf(DecryptionFailedError);
  });

  it('makes everything a destroyed tenant key sealed unreadable (crypto-shredding), and seals nothing new for it', async () => {
    const keyring = createKeyring({ masterKey: masterKey(), store: createMemoryKeyStore() });
    const t = randomUUID();
    const sealed = await keyring.encrypt(t, text('to be erased'));
    await keyring.destroy(t);
    await expect(keyring.decrypt(t, sealed)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    await expect(keyring.encrypt(t, text('written after erasure'))).rejects.toBeInstanceOf(DataKeyDestroyedError);
    await expect(keyring.encrypt(t, text('a document of it'), undefined, { scope: documentScope(randomUUID()) })).rejects.toBeInstanceOf(
      DataKeyDestroyedError,
    );
    await keyring.destroy(t); // destroying twice is no error
  });

  it('seals a document under a key of its own: destroying it erases that document only', async () => {
    const keyring = createKeyring({ masterKey: masterKey(), store: createMemoryKeyStore() });
    const t = randomUUID();
    const [d1, d2] = [documentScope(randomUUID()), documentScope(randomUUID())];
    const one = await keyring.encrypt(t, text('document one'), text('ctx'), { scope: d1 });
    const two = await keyring.encrypt(t, text('document two'), text('ctx'), { scope: d2 });
    const own = await keyring.encrypt(t, text('tenant data'));
    // different keys: the key ids in the headers differ
    expect(Buffer.from(one.subarray(20, 36)).equals(Buffer.from(two.subarray(20, 36)))).toBe(false);
    expect(Buffer.from(one.subarray(20, 36)).equals(Buffer.from(own.subarray(20, 36)))).toBe(false);
    // the same scope reuses its key
    const again = await keyring.encrypt(t, text('document one, more'), undefined, { scope: d1 });
    expect(Buffer.from(again.subarray(20, 36)).equals(Buffer.from(one.subarray(20, 36)))).toBe(true);
    await keyring.destroy(t, d1);
    await expect(keyring.decrypt(t, one, text('ctx'))).rejects.toBeInstanceOf(DataKeyDestroyedError);
    await expect(keyring.decrypt(t, again)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    await expect(keyring.encrypt(t, text('resurrected?'), undefined, { scope: d1 })).rejects.toBeInstanceOf(DataKeyDestroyedError);
    expect(await keyring.decrypt(t, two, text('ctx'))).toEqual(text('document two'));
    expect(await keyring.decrypt(t, own)).toEqual(text('tenant data'));
    // destroying a scope that never had a key still keeps it from getting one
    const never = documentScope(randomUUID());
    await keyring.destroy(t, never);
    await expect(keyring.encrypt(t, text('x'), undefined, { scope: never })).rejects.toBeInstanceOf(DataKeyDestroyedError);
  });

  it('refuses scopes that are not "tenant" or "{kind}:{uuid}"', async () => {
    const keyring = createKeyring({ masterKey: masterKey(), store: createMemoryKeyStore() });
    const t = randomUUID();
    for (const bad of ['', '*', 'document:', 'document:abc', `Document:${randomUUID()}`, `document:${randomUUID()}/x`]) {
      await expect(keyring.encrypt(t, text('x'), undefined, { scope: bad }), bad).rejects.toBeInstanceOf(InvalidScopeError);
      await expect(keyring.destroy(t, bad), bad).rejects.toBeInstanceOf(InvalidScopeError);
    }
  });

  it('opens payloads sealed under a tenant key made before scopes (wrapped-key version 1)', async () => {
    const store = createMemoryKeyStore();
    const key = randomBytes(32);
    const t = randomUUID();
    // a version-1 wrapped key as the earlier keyring stored it: bound to tenant and key id only
    const id = randomBytes(16);
    const dataKey = randomBytes(32);
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    c.setAAD(Buffer.concat([Buffer.from(`mandant/data-key/v1/${t}/`), id]));
    const wrapped = Buffer.concat([Buffer.from([1]), id, nonce, c.update(dataKey), c.final(), c.getAuthTag()]);
    await store.put(t, TENANT_SCOPE, id, wrapped);
    // a payload the earlier keyring sealed with it
    const header = Buffer.concat([Buffer.from([0x4d, 0x4e, 0x44, 1]), Buffer.from(t.replaceAll('-', ''), 'hex'), id]);
    const n = randomBytes(12);
    const d = createCipheriv('aes-256-gcm', dataKey, n, { authTagLength: 16 });
    d.setAAD(header);
    const sealed = Buffer.concat([header, n, d.update(text('old title')), d.final(), d.getAuthTag()]);
    const keyring = createKeyring({ masterKey: key, store });
    expect(await keyring.decrypt(t, sealed)).toEqual(text('old title'));
    // and keeps sealing tenant data under that same key
    expect(Buffer.from((await keyring.encrypt(t, text('new'))).subarray(20, 36)).equals(id)).toBe(true);
    // a version-1 key relabelled into a document scope does not unwrap there
    const other = createMemoryKeyStore();
    const doc = documentScope(randomUUID());
    await other.put(t, doc, id, wrapped);
    await expect(createKeyring({ masterKey: key, store: other }).encrypt(t, text('x'), undefined, { scope: doc })).rejects.toBeInstanceOf(
      KeyUnwrapError,
    );
  });

  it('sees a key destroyed by another process at once by default, after cacheMs when caching', async () => {
    const store = createMemoryKeyStore();
    let clock = 0;
    const uncached = createKeyring({ masterKey: Buffer.alloc(32, 1), store });
    const cached = createKeyring({ masterKey: Buffer.alloc(32, 1), store, cacheMs: 1000, now: () => clock });
    const t = randomUUID();
    const sealed = await uncached.encrypt(t, text('x'));
    expect(await cached.decrypt(t, sealed)).toEqual(text('x'));
    await createKeyring({ masterKey: Buffer.alloc(32, 1), store }).destroy(t);
    await expect(uncached.decrypt(t, sealed)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    expect(await cached.decrypt(t, sealed)).toEqual(text('x'));
    clock = 1000;
    await expect(cached.decrypt(t, sealed)).rejects.toBeInstanceOf(DataKeyDestroyedError);
  });

  it('agrees on one data key when two keyrings create it at once (first write wins)', async () => {
    const store = createMemoryKeyStore();
    const key = masterKey();
    const [one, two] = [createKeyring({ masterKey: key, store }), createKeyring({ masterKey: key, store })];
    const t = randomUUID();
    const [x, y] = await Promise.all([one.encrypt(t, text('from one')), two.encrypt(t, text('from two'))]);
    expect(await two.decrypt(t, x)).toEqual(text('from one'));
    expect(await one.decrypt(t, y)).toEqual(text('from two'));
  });

  it('keeps data keys only wrapped, bound to their tenant, scope and the master key', async () => {
    const rows = new Map<string, { id: Uint8Array; wrapped: Uint8Array }>();
    const inner = createMemoryKeyStore();
    const spy: KeyStore = {
      current: (t, s) => inner.current(t, s),
      byId: (t, id) => inner.byId(t, id),
      destroy: (t, s) => inner.destroy(t, s),
      put: async (t, s, id, w) => {
        rows.set(`${t}/${s}`, { id, wrapped: w });
        return inner.put(t, s, id, w);
      },
    };
    const keyring = createKeyring({ masterKey: masterKey(), store: spy });
    const [a, b] = [randomUUID(), randomUUID()];
    const [d1, d2] = [documentScope(randomUUID()), documentScope(randomUUID())];
    await keyring.encrypt(a, text('a'));
    await keyring.encrypt(a, text('a1'), undefined, { scope: d1 });
    const ofA = rows.get(`${a}/${TENANT_SCOPE}`);
    const ofD1 = rows.get(`${a}/${d1}`);
    if (!ofA || !ofD1) throw new Error('keys not stored');
    // A wrapped key copied to another tenant does not unwrap there.
    await inner.put(b, TENANT_SCOPE, ofA.id, ofA.wrapped);
    await expect(keyring.encrypt(b, text('b'))).rejects.toBeInstanceOf(KeyUnwrapError);
    // A document's key copied into another scope of the same tenant does not unwrap there.
    await inner.put(a, d2, ofD1.id, ofD1.wrapped);
    await expect(keyring.encrypt(a, text('a2'), undefined, { scope: d2 })).rejects.toBeInstanceOf(KeyUnwrapError);
    // Another master key cannot unwrap a's key.
    const other = createKeyring({ masterKey: masterKey(), store: inner });
    await expect(other.encrypt(a, text('a'))).rejects.toBeInstanceOf(KeyUnwrapError);
  });

  it('refuses a master key that is not 32 bytes of base64, and tenant ids that are not uuids', async () => {
    for (const bad of [
      '',
      'c2hvcnQ=',
      randomBytes(31).toString('base64'),
      `${randomBytes(32).toString('base64')}x`,
      randomBytes(32).toString('hex'),
    ]) {
      expect(() => createKeyring({ masterKey: bad, store: createMemoryKeyStore() }), bad).toThrow(InvalidMasterKeyError);
    }
    expect(() => createKeyring({ masterKey: randomBytes(16), store: createMemoryKeyStore() })).toThrow(InvalidMasterKeyError);
    const keyring = createKeyring({ masterKey: masterKey(), store: createMemoryKeyStore() });
    await expect(keyring.encrypt('acme', text('x'))).rejects.toBeInstanceOf(InvalidTenantIdError);
  });
});

describe('encrypting blob store', () => {
  it('stores no plaintext in the inner store, and gets the plaintext back', async () => {
    const inner = createMemoryBlobStore();
    const store = createEncryptingBlobStore(inner, createKeyring({ masterKey: masterKey(), store: createMemoryKeyStore() }));
    const t = randomUUID();
    const plain = text('Confidential: the minister met the contractor on 3 May. '.repeat(20));
    await store.put(t, 'raw/doc/original.txt', plain, { contentType: 'text/plain' });
    const stored = await inner.get(t, 'raw/doc/original.txt');
    expect(stored).not.toBeNull();
    expect(contains(stored ?? new Uint8Array(), plain)).toBe(false);
    expect(contains(stored ?? new Uint8Array(), text('Confidential'))).toBe(false);
    expect(await store.get(t, 'raw/doc/original.txt')).toEqual(plain);
  });

  it('does not open an object copied to another key, nor after its tenant key is destroyed', async () => {
    const inner = createMemoryBlobStore();
    const keyring = createKeyring({ masterKey: masterKey(), store: createMemoryKeyStore() });
    const store = createEncryptingBlobStore(inner, keyring);
    const t = randomUUID();
    await store.put(t, 'raw/a/original.txt', text('a'));
    await inner.put(t, 'raw/b/original.txt', (await inner.get(t, 'raw/a/original.txt')) ?? new Uint8Array());
    await expect(store.get(t, 'raw/b/original.txt')).rejects.toBeInstanceOf(DecryptionFailedError);
    await keyring.destroy(t);
    await expect(store.get(t, 'raw/a/original.txt')).rejects.toBeInstanceOf(DataKeyDestroyedError);
  });

  it("seals a document's objects under its own key, so destroying it erases exactly them", async () => {
    const inner = createMemoryBlobStore();
    const keyring = createKeyring({ masterKey: masterKey(), store: createMemoryKeyStore() });
    const store = createEncryptingBlobStore(inner, keyring);
    const t = randomUUID();
    const [a, b] = [randomUUID(), randomUUID()];
    expect(blobScope(`raw/${a}/original.pdf`)).toBe(documentScope(a));
    expect(blobScope(`processed/${a}/text.txt`)).toBe(documentScope(a));
    expect(blobScope('exports/x/all.zip')).toBe(TENANT_SCOPE);
    await store.put(t, `raw/${a}/original.txt`, text('a raw'));
    await store.put(t, `processed/${a}/text.txt`, text('a text'));
    await store.put(t, `raw/${b}/original.txt`, text('b raw'));
    await store.put(t, 'exports/e1/export.json', text('export'));
    await keyring.destroy(t, documentScope(a));
    await expect(store.get(t, `raw/${a}/original.txt`)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    await expect(store.get(t, `processed/${a}/text.txt`)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    await expect(store.put(t, `processed/${a}/late.json`, text('late'))).rejects.toBeInstanceOf(DataKeyDestroyedError);
    expect(await store.get(t, `raw/${b}/original.txt`)).toEqual(text('b raw'));
    expect(await store.get(t, 'exports/e1/export.json')).toEqual(text('export'));
  });
});
