import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { postgresUrls } from '../testing/backends.ts';
import { createSql } from './connect.ts';

const pg = postgresUrls();
const pidOf = async (q: PromiseLike<{ pid: number }[]>): Promise<number> => (await q)[0]?.pid ?? -1;

describe.skipIf(!pg)('the connection pool', () => {
  it('runs a statement on the connection idle the shortest, and concurrent ones on as many connections', async () => {
    if (!pg) return;
    const sql = createSql(pg.ownerUrl, { max: 4, appName: 'mandant-pool-test' });
    try {
      // four at once: each opens a connection of its own
      const opened = await Promise.all(Array.from({ length: 4 }, () => pidOf(sql`select pg_backend_pid() as pid`)));
      expect(new Set(opened).size).toBe(4);

      // one after another: all on the same server process, not in turn over the four
      const sequential: number[] = [];
      for (let i = 0; i < 12; i++) sequential.push(await pidOf(sql`select pg_backend_pid() as pid`));
      expect(new Set(sequential).size).toBe(1);
      const hot = sequential[0];
      expect(opened).toContain(hot);

      // a reserved connection is the one used last as well, and is the next one used once released
      const reserved = await sql.reserve();
      expect(await pidOf(reserved`select pg_backend_pid() as pid`)).toBe(hot);
      // while it is reserved, statements run on the others
      const beside = await pidOf(sql`select pg_backend_pid() as pid`);
      expect(beside).not.toBe(hot);
      reserved.release();
      expect(await pidOf(sql`select pg_backend_pid() as pid`)).toBe(hot);

      // still four at once on four connections
      const together = await Promise.all(Array.from({ length: 4 }, () => pidOf(sql`select pg_backend_pid() as pid`)));
      expect(new Set(together)).toEqual(new Set(opened));
    } finally {
      await sql.end();
    }
  });
});

describe('the change to postgres.js that makes its pool take the connection used last', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const pkg = join(root, 'node_modules', 'postgres');
  const count = (file: string, part: string): number => readFileSync(join(pkg, file), 'utf8').split(part).length - 1;

  it('is made once in every build of the package, however often installs run it', () => {
    execFileSync(process.execPath, [join(root, 'tools', 'dependencies', 'patch.mjs')]);
    execFileSync(process.execPath, [join(root, 'tools', 'dependencies', 'patch.mjs')]);
    for (const dir of ['src', 'cjs/src', 'cf/src']) {
      expect(count(`${dir}/queue.js`, 'pop: () =>')).toBe(1);
      expect(count(`${dir}/index.js`, 'open.pop()')).toBe(2);
      expect(count(`${dir}/index.js`, 'open.shift()')).toBe(0);
    }
  });
});
