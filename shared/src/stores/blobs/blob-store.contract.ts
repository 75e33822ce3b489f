import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidBlobKeyError, InvalidTenantIdError, MAX_KEY_LENGTH } from './port.ts';
import type { BlobStore } from './port.ts';

/**
 * The behaviour every BlobStore adapter must show. Each test uses fresh tenant ids and drops
 * them afterwards, so suites of several adapters (or CI jobs) can share one server.
 */
export function describeBlobStore(name: string, factory: () => BlobStore | Promise<BlobStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    const used: string[] = [];
    const tenant = (): string => {
      const id = randomUUID();
      used.push(id);
      return id;
    };
    const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
    const text = (s: string): Uint8Array => new TextEncoder().encode(s);

    beforeAll(async () => {
      store = await factory();
    });
    afterEach(async () => {
      for (const t of used.splice(0)) await store.dropTenant(t);
    });

    it('returns exactly the bytes put, for every byte value and for an empty object', async () => {
      const t = tenant();
      const all = Uint8Array.from({ length: 256 * 4 }, (_, i) => i % 256);
      await store.put(t, 'raw/doc-1/original.bin', all, { contentType: 'application/octet-stream' });
      await store.put(t, 'raw/doc-1/empty.txt', new Uint8Array(), { contentType: 'text/plain' });
      expect(await store.get(t, 'raw/doc-1/original.bin')).toEqual(all);
      expect(await store.get(t, 'raw/doc-1/empty.txt')).toEqual(new Uint8Array());
      expect(await store.exists(t, 'raw/doc-1/empty.txt')).toBe(true);
    });

    it('keeps the bytes as they were at put, whatever the caller does to its buffer later', async () => {
      const t = tenant();
      const source = bytes(1, 2, 3);
      await store.put(t, 'raw/doc/original.bin', source);
      source[0] = 9;
      expect(await store.get(t, 'raw/doc/original.bin')).toEqual(bytes(1, 2, 3));
    });

    it('stores a byte view of a larger buffer as the view only', async () => {
      const t = tenant();
      const backing = Uint8Array.from([0, 0, 7, 8, 9, 0]);
      await store.put(t, 'raw/doc/view.bin', backing.subarray(2, 5));
      expect(await store.get(t, 'raw/doc/view.bin')).toEqual(bytes(7, 8, 9));
    });

    it('replaces an object on a second put to the same key', async () => {
      const t = tenant();
      await store.put(t, 'processed/doc/text.txt', text('first, longer version'));
      await store.put(t, 'processed/doc/text.txt', text('second'));
      expect(await store.get(t, 'processed/doc/text.txt')).toEqual(text('second'));
      expect(await store.list(t, 'processed/doc/')).toEqual([{ key: 'processed/doc/text.txt', size: 6 }]);
    });

    it('answers null, false and [] for what does not exist, and deleting it is no error', async () => {
      const t = tenant();
      expect(await store.get(t, 'raw/none/original.pdf')).toBeNull();
      expect(await store.exists(t, 'raw/none/original.pdf')).toBe(false);
      expect(await store.list(t, '')).toEqual([]);
      await store.delete(t, 'raw/none/original.pdf');
      await store.deletePrefix(t, 'raw/none/');
      await store.dropTenant(t);
      await store.put(t, 'raw/some/original.pdf', text('x'));
      expect(await store.get(t, 'raw/none/original.pdf')).toBeNull();
      expect(await store.get(t, 'raw/some')).toBeNull();
      expect(await store.exists(t, 'raw/some')).toBe(false);
    });

    it('lists every object under a folder prefix, sorted by key, with sizes', async () => {
      const t = tenant();
      await store.put(t, 'raw/doc-1/original.pdf', text('12345'));
      await store.put(t, 'processed/doc-1/text.txt', text('abc'));
      await store.put(t, 'raw/doc-10/original.pdf', text('1'));
      await store.put(t, 'processed/doc-1/chunks/0001.json', text('{}'));
      await store.put(t, 'processed/doc-1/a.json', text(''));
      expect(await store.list(t, 'processed/doc-1/')).toEqual([
        { key: 'processed/doc-1/a.json', size: 0 },
        { key: 'processed/doc-1/chunks/0001.json', size: 2 },
        { key: 'processed/doc-1/text.txt', size: 3 },
      ]);
      expect(await store.list(t, 'raw/doc-1/')).toEqual([{ key: 'raw/doc-1/original.pdf', size: 5 }]);
      expect((await store.list(t, '')).map((e) => e.key)).toEqual([
        'processed/doc-1/a.json',
        'processed/doc-1/chunks/0001.json',
        'processed/doc-1/text.txt',
        'raw/doc-1/original.pdf',
        'raw/doc-10/original.pdf',
      ]);
      expect(await store.list(t, 'exports/')).toEqual([]);
    });

    it('deletes one object and leaves its neighbours', async () => {
      const t = tenant();
      await store.put(t, 'raw/doc/original.pdf', text('a'));
      await store.put(t, 'raw/doc/other.pdf', text('b'));
      await store.delete(t, 'raw/doc/original.pdf');
      expect(await store.get(t, 'raw/doc/original.pdf')).toBeNull();
      expect(await store.exists(t, 'raw/doc/original.pdf')).toBe(false);
      expect(await store.list(t, '')).toEqual([{ key: 'raw/doc/other.pdf', size: 1 }]);
    });

    it('deletes everything under a folder prefix, and nothing in a sibling folder', async () => {
      const t = tenant();
      const keys = Array.from(
        { length: 30 },
        (_, i) => `processed/doc-1/${i % 3 === 0 ? 'chunks/' : ''}part-${String(i).padStart(3, '0')}.txt`,
      );
      await Promise.all(keys.map((k) => store.put(t, k, text(k))));
      await store.put(t, 'processed/doc-10/text.txt', text('keep'));
      await store.put(t, 'raw/doc-1/original.pdf', text('keep'));
      await store.deletePrefix(t, 'processed/doc-1/');
      expect((await store.list(t, '')).map((e) => e.key)).toEqual(['processed/doc-10/text.txt', 'raw/doc-1/original.pdf']);
    });

    it('treats a prefix as a folder: `x/` neither lists nor deletes the object `x`', async () => {
      const t = tenant();
      await store.put(t, 'raw/doc/original.pdf', text('keep'));
      expect(await store.list(t, 'raw/doc/original.pdf/')).toEqual([]);
      await store.deletePrefix(t, 'raw/doc/original.pdf/');
      expect(await store.get(t, 'raw/doc/original.pdf')).toEqual(text('keep'));
    });

    it('keeps every object of concurrent puts into one folder', async () => {
      const t = tenant();
      const keys = Array.from({ length: 20 }, (_, i) => `exports/exp-1/file-${String(i).padStart(2, '0')}.csv`);
      await Promise.all(keys.map((k) => store.put(t, k, text(k))));
      expect((await store.list(t, 'exports/exp-1/')).map((e) => e.key)).toEqual(keys);
      for (const k of keys) expect(await store.get(t, k)).toEqual(text(k));
    });

    it('rejects keys that are empty, absolute, climbing, hidden, oversized or outside the charset', async () => {
      const t = tenant();
      const bad = [
        '',
        '/raw/x',
        'raw/../x',
        '..',
        'raw/./x',
        'raw//x',
        'raw/x/',
        'Raw/x',
        'raw/x y',
        'raw/.hidden',
        'raw\\x',
        'raw/x\0',
        'raw/é',
        'a'.repeat(MAX_KEY_LENGTH + 1),
        `raw/${'a'.repeat(201)}`,
      ];
      for (const key of bad) {
        await expect(store.put(t, key, text('x')), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.get(t, key), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.exists(t, key), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.delete(t, key), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
      }
      for (const prefix of ['raw', '/raw/', '../', 'raw/../', 'raw//', '.hidden/']) {
        await expect(store.list(t, prefix), prefix).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.deletePrefix(t, prefix), prefix).rejects.toBeInstanceOf(InvalidBlobKeyError);
      }
      await expect(store.deletePrefix(t, '')).rejects.toBeInstanceOf(InvalidBlobKeyError);
      expect(await store.list(t, '')).toEqual([]);
    });

    it('rejects tenant ids that are not uuids, and treats a uuid in capitals as the same tenant', async () => {
      for (const id of ['', 'acme', '../tenant-x', `${randomUUID()}/x`, 'tenant-00000000-0000-0000-0000-000000000000']) {
        await expect(store.put(id, 'raw/x', text('x')), id).rejects.toBeInstanceOf(InvalidTenantIdError);
        await expect(store.get(id, 'raw/x'), id).rejects.toBeInstanceOf(InvalidTenantIdError);
        await expect(store.list(id, ''), id).rejects.toBeInstanceOf(InvalidTenantIdError);
        await expect(store.dropTenant(id), id).rejects.toBeInstanceOf(InvalidTenantIdError);
      }
      const t = tenant();
      await store.put(t.toUpperCase(), 'raw/doc/original.txt', text('same'));
      expect(await store.get(t, 'raw/doc/original.txt')).toEqual(text('same'));
    });

    it("never shows one tenant's objects to another, nor lets it change them", async () => {
      const a = tenant();
      const b = tenant();
      await store.put(a, 'raw/doc/original.pdf', text('secret of a'));
      await store.put(b, 'raw/other/original.pdf', text('b'));
      expect(await store.get(b, 'raw/doc/original.pdf')).toBeNull();
      expect(await store.exists(b, 'raw/doc/original.pdf')).toBe(false);
      expect(await store.list(b, '')).toEqual([{ key: 'raw/other/original.pdf', size: 1 }]);
      expect(await store.list(b, 'raw/doc/')).toEqual([]);
      await store.delete(b, 'raw/doc/original.pdf');
      await store.deletePrefix(b, 'raw/');
      expect(await store.get(a, 'raw/doc/original.pdf')).toEqual(text('secret of a'));
      await store.put(b, 'raw/doc/original.pdf', text('b wrote this'));
      expect(await store.get(a, 'raw/doc/original.pdf')).toEqual(text('secret of a'));
    });

    it("drops a tenant's objects and bucket, nothing of other tenants, and the tenant can start again", async () => {
      const a = tenant();
      const b = tenant();
      await store.put(a, 'raw/doc/original.pdf', text('a'));
      await store.put(a, 'processed/doc/text.txt', text('a'));
      await store.put(b, 'raw/doc/original.pdf', text('b'));
      await store.dropTenant(a);
      expect(await store.list(a, '')).toEqual([]);
      expect(await store.get(a, 'raw/doc/original.pdf')).toBeNull();
      expect(await store.get(b, 'raw/doc/original.pdf')).toEqual(text('b'));
      await store.put(a, 'raw/doc/original.pdf', text('again'));
      expect(await store.list(a, '')).toEqual([{ key: 'raw/doc/original.pdf', size: 5 }]);
    });
  });
}
