import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
/** dependency-cruiser's command (its package exports no path to it); a root devDependency, so hoisted to the root. */
const bin = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Cruised {
  modules: { source: string; dependencies: { resolved: string; module: string; couldNotResolve: boolean }[] }[];
  summary: { violations: { rule: { name: string }; from: string; to: string; cycle?: { name: string }[] }[] };
}

/** dependency-cruiser over every package with the repository's rules (.dependency-cruiser.cjs), as JSON. */
function cruise(): Promise<Cruised> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [bin, '--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'services', 'shared', 'bench', 'web/src'],
      { cwd: root, maxBuffer: 512 * 1024 * 1024 },
      // it exits non-zero when it finds violations: the JSON on stdout still says which
      (err, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout) as Cruised);
        } catch {
          reject(err ?? new Error(stderr));
        }
      },
    );
  });
}

const isTestSupport = (path: string) => /\.test\.ts$|\/testing\/|\/e2e\/|\.fixture\.ts$/.test(path);

describe('package boundaries', () => {
  const cruised = cruise();

  it('breaks none of the dependency rules (service internals, shared entry points, test support, entry points, cycles)', async () => {
    const { summary } = await cruised;
    const found = summary.violations.map(
      (v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`,
    );
    expect(found).toEqual([]);
  });

  it('has every running file of a service import only workspace packages its package.json declares', async () => {
    const { modules } = await cruised;
    const undeclared: string[] = [];
    for (const m of modules) {
      const own = /^services\/([^/]+)\//.exec(m.source)?.[1];
      if (!own || isTestSupport(m.source)) continue;
      const pkg = JSON.parse(readFileSync(join(root, 'services', own, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      for (const d of m.dependencies) {
        const other = /^(@mandant\/[^/]+)/.exec(d.module)?.[1];
        if (other && other !== `@mandant/${own}` && !(other in (pkg.dependencies ?? {}))) undeclared.push(`${m.source} → ${d.module}`);
      }
    }
    expect(undeclared).toEqual([]);
  });
});
