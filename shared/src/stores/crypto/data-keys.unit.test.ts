import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEncryptingBlobStore } from '../blobs/encrypting.ts';
import { createMemoryBlobStore } from '../blobs/memory.ts';
import { InvalidTenantIdError } from '../blobs/port.ts';
import {
  DataKeyDestroyedError,
  DecryptionFailedError,
  InvalidMasterKeyError,
  KeyUnwrapError,
  SEALED_OVERHEAD,
  createKeyring,
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

  it('makes everything a destroyed key sealed unreadable (crypto-shredding), even after a new key', async () => {
    const keyring = createKeyring({ masterKey: masterKey(), store: createMemoryKeyStore() });
    const t = randomUUID();
    const sealed = await keyring.encrypt(t, text('to be erased'));
    await keyring.destroy(t);
    await expect(keyring.decrypt(t, sealed)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    await keyring.encrypt(t, text('written after erasure'));
    await expect(keyring.decrypt(t, sealed)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    await keyring.destroy(t); // destroying twice is no error
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

  it('keeps data keys only wrapped, bound to their tenant and to the master key', async () => {
    const rows = new Map<string, Uint8Array>();
    const inner = createMemoryKeyStore();
    const spy: KeyStore = { get: (t) => inner.get(t), delete: (t) => inner.delete(t), put: async (t, w) => { rows.set(t, w); return inner.put(t, w); } };
    const keyring = createKeyring({ masterKey: masterKey(), store: spy });
    const a = randomUUID();
    const b = randomUUID();
    await keyring.encrypt(a, text('a'));
    await keyring.encrypt(b, text('b'));
    // A wrapped key copied to another tenant's row does not unwrap there.
    const wrappedA = rows.get(a) ?? new Uint8Array();
    await inner.delete(b);
    await inner.put(b, wrappedA);
    await expect(keyring.encrypt(b, text('b'))).rejects.toBeInstanceOf(KeyUnwrapError);
    // Another master key cannot unwrap a's key.
    const other = createKeyring({ masterKey: masterKey(), store: inner });
    await expect(other.encrypt(a, text('a'))).rejects.toBeInstanceOf(KeyUnwrapError);
  });

  it('refuses a master key that is not 32 bytes of base64, and tenant ids that are not uuids', async () => {
    for (const bad of ['', 'c2hvcnQ=', randomBytes(31).toString('base64'), `${randomBytes(32).toString('base64')}x`, randomBytes(32).toString('hex')]) {
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
});
