import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeBlobStore } from './blob-store.contract.ts';
import { createLocalBlobStore } from './local.ts';

const root = await mkdtemp(join(tmpdir(), 'mandant-blobs-'));
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describeBlobStore('local directory', () => createLocalBlobStore({ root: join(root, 'contract') }));

describe('local directory layout', () => {
  const store = createLocalBlobStore({ root: join(root, 'layout') });
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);

  it('keeps each object at {root}/tenant-{id}/{key} and leaves no temporary file behind', async () => {
    const t = randomUUID();
    await store.put(t, 'raw/doc/original.txt', text('hello'));
    await store.put(t, 'raw/doc/original.txt', text('hello again'));
    const dir = join(root, 'layout', `tenant-${t}`, 'raw', 'doc');
    expect(await readdir(dir)).toEqual(['original.txt']);
  });

  it('never lists a half-written temporary file or trash left by a crash', async () => {
    const t = randomUUID();
    await store.put(t, 'raw/doc/original.txt', text('done'));
    const tenantDir = join(root, 'layout', `tenant-${t}`);
    await writeFile(join(tenantDir, 'raw', 'doc', '.tmp-0123456789abcdef'), 'half');
    await writeFile(join(tenantDir, '.trash-0123456789abcdef'), 'old');
    expect(await store.list(t, '')).toEqual([{ key: 'raw/doc/original.txt', size: 4 }]);
  });

  it('drops a tenant by removing its whole directory', async () => {
    const t = randomUUID();
    await store.put(t, 'raw/doc/original.txt', text('x'));
    await store.dropTenant(t);
    expect((await readdir(join(root, 'layout'))).filter((n) => n.includes(t))).toEqual([]);
  });
});
