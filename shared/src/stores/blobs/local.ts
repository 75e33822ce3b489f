import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { BlobStoreError, InvalidBlobKeyError, byKey, checkKey, checkPrefix, tenantBucket } from './port.ts';
import type { BlobEntry, BlobStore } from './port.ts';
import { asError } from '../../errors.ts';

export interface LocalBlobStoreOptions {
  /** directory holding one `tenant-{id}` directory per tenant; created on first write */
  root: string;
}

/**
 * The embedded default: `{root}/tenant-{id}/{key}` on the local file system.
 *
 * - Writes go to a temporary file in the target's directory, are fsynced, then renamed over the
 *   target, so a reader (or a crash) never sees a half-written object. The directory entry
 *   itself is not fsynced: after a power loss a just-finished put may be missing, never torn.
 * - Paths cannot escape the tenant's directory: keys are validated (no `..`, no leading `/`,
 *   no segment starting with `.`), and the joined path is checked against the tenant directory.
 * - `deletePrefix` and `dropTenant` first rename the folder to a hidden trash name, so the
 *   objects disappear at once, then remove it. Dot-names (temporaries, trash) are never listed.
 * - Deleting a single object leaves its (possibly empty) folder; empty folders hold no objects.
 */
export function createLocalBlobStore(options: LocalBlobStoreOptions): BlobStore {
  const root = resolve(options.root);

  const tenantDir = (tenantId: string): string => join(root, tenantBucket(tenantId));
  const inside = (dir: string, relative: string): string => {
    const path = join(dir, ...relative.split('/').filter((s) => s !== ''));
    // Defence in depth: validation already rules this out.
    if (path !== dir && !path.startsWith(dir + sep)) throw new InvalidBlobKeyError('key', relative, 'escapes the tenant directory');
    return path;
  };
  const hidden = (prefix: string): string => `.${prefix}-${randomBytes(8).toString('hex')}`;
  const fail = (op: string, tenantId: string, key: string | null, cause: unknown): BlobStoreError =>
    new BlobStoreError(op, tenantId, key, { cause });

  async function writeAtomically(target: string, bytes: Uint8Array): Promise<void> {
    const dir = dirname(target);
    // A concurrent deletePrefix may remove the folder between mkdir and rename: retry a little.
    for (let attempt = 0; ; attempt++) {
      await mkdir(dir, { recursive: true });
      const temp = join(dir, hidden('tmp'));
      try {
        const fh = await open(temp, 'wx', 0o600);
        try {
          await fh.writeFile(bytes);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(temp, target);
        return;
      } catch (err) {
        await rm(temp, { force: true }).catch(() => {});
        if (code(err) !== 'ENOENT' || attempt >= 3) throw err;
      }
    }
  }

  /** Removes a directory atomically from readers' view, then from disk. */
  async function removeTree(dir: string, trashParent: string): Promise<void> {
    const trash = join(trashParent, hidden('trash'));
    try {
      // Prefix `a/` must not take the object `a` with it.
      if (!(await lstat(dir)).isDirectory()) return;
      await rename(dir, trash);
    } catch (err) {
      if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return;
      throw err;
    }
    await rm(trash, { recursive: true, force: true });
  }

  async function walk(dir: string, keyPrefix: string, out: BlobEntry[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return;
      throw err;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path, `${keyPrefix}${e.name}/`, out);
      else if (e.isFile()) {
        // A file deleted between readdir and stat is simply not listed.
        const size = await stat(path).then(
          (s) => s.size,
          (err: unknown) => (code(err) === 'ENOENT' ? null : Promise.reject(asError(err))),
        );
        if (size !== null) out.push({ key: `${keyPrefix}${e.name}`, size });
      }
    }
  }

  return {
    async put(tenantId, key, bytes) {
      const path = inside(tenantDir(tenantId), checkKey(key));
      await writeAtomically(path, bytes).catch((err: unknown) => Promise.reject(fail('put', tenantId, key, err)));
    },

    async get(tenantId, key) {
      const path = inside(tenantDir(tenantId), checkKey(key));
      try {
        const buf = await readFile(path);
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (err) {
        // EISDIR: the key names a folder of other keys, not an object.
        if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR' || code(err) === 'EISDIR') return null;
        throw fail('get', tenantId, key, err);
      }
    },

    async exists(tenantId, key) {
      const path = inside(tenantDir(tenantId), checkKey(key));
      try {
        return (await stat(path)).isFile();
      } catch (err) {
        if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return false;
        throw fail('exists', tenantId, key, err);
      }
    },

    async list(tenantId, prefix) {
      const dir = inside(tenantDir(tenantId), checkPrefix(prefix, true));
      const out: BlobEntry[] = [];
      await walk(dir, prefix, out).catch((err: unknown) => Promise.reject(fail('list', tenantId, prefix, err)));
      return out.sort(byKey);
    },

    async delete(tenantId, key) {
      const path = inside(tenantDir(tenantId), checkKey(key));
      try {
        // Only files: a key naming a folder of other keys is not an object and stays.
        if ((await stat(path)).isFile()) await rm(path, { force: true });
      } catch (err) {
        if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return;
        throw fail('delete', tenantId, key, err);
      }
    },

    async deletePrefix(tenantId, prefix) {
      const base = tenantDir(tenantId);
      const dir = inside(base, checkPrefix(prefix, false));
      await removeTree(dir, base).catch((err: unknown) => Promise.reject(fail('deletePrefix', tenantId, prefix, err)));
    },

    async dropTenant(tenantId) {
      const dir = tenantDir(tenantId);
      await removeTree(dir, root).catch((err: unknown) => Promise.reject(fail('dropTenant', tenantId, null, err)));
    },
  };
}

const code = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
