#!/usr/bin/env node
/**
 * Changes to installed dependencies that the project relies on, made after every install (the
 * root package's `postinstall`; plain Node, no dependencies, so it also runs where only the
 * production dependencies are installed). Each change names the package, the versions it was
 * written for and what it replaces; it is applied once (a second run finds it made) and refuses
 * loudly when the text it replaces is not there, so that upgrading the package means looking at
 * the change again rather than losing it without a word.
 *
 * postgres (postgres.js) 3.4: an idle connection is taken from the pool most recently used first.
 * postgres.js takes the connection idle the longest, so sequential statements rotate over every
 * connection of the pool: each lands on a server process that has not run for a while, whose
 * caches have gone cold, and none is ever idle long enough for `idle_timeout` to close it. Taken
 * last-in first-out, a quiet service keeps using the same few server processes (a lone append
 * 0.90 → 0.56 ms on a pool of 16; bench/RESULTS.md, Append, 6 Dec) and the ones a burst opened
 * close once it is over; under load every connection is busy and nothing changes. node-postgres'
 * pool does the same. The test is shared/src/db/pool.int.test.ts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The pool's idle connections are a postgres.js Queue: it gains `pop`, the last one pushed. */
const queuePop = {
  find: '    push: (x) => (xs.push(x), x),\n',
  replace:
    '    push: (x) => (xs.push(x), x),\n' +
    '    // mandant: the pool takes the connection idle the shortest (tools/dependencies/patch.mjs)\n' +
    '    pop: () => {\n' +
    '      const out = xs.pop()\n' +
    '      if (index >= xs.length) {\n' +
    '        index = 0\n' +
    '        xs = []\n' +
    '      }\n' +
    '      return out\n' +
    '    },\n',
};
/** Both places that take an idle connection (a query, `sql.reserve()`) take the last one. */
const takeLast = { find: 'open.shift()', replace: 'open.pop()', count: 2 };

const patches = [
  {
    name: 'postgres',
    versions: /^3\.4\.\d+$/,
    files: ['src', 'cjs/src', 'cf/src'].flatMap((dir) => [
      { path: `${dir}/queue.js`, edits: [queuePop] },
      { path: `${dir}/index.js`, edits: [takeLast] },
    ]),
  },
];

const occurrences = (text, part) => text.split(part).length - 1;

let failed = false;
for (const patch of patches) {
  const dir = join(root, 'node_modules', patch.name);
  if (!existsSync(join(dir, 'package.json'))) continue; // not installed here (a partial install)
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!patch.versions.test(version)) {
    console.error(`${patch.name}@${version}: tools/dependencies/patch.mjs was written for ${patch.versions}; look at its change again`);
    failed = true;
    continue;
  }
  for (const file of patch.files) {
    const path = join(dir, file.path);
    if (!existsSync(path)) continue; // a build the package does not ship
    let text = readFileSync(path, 'utf8');
    const before = text;
    for (const edit of file.edits) {
      const want = edit.count ?? 1;
      if (occurrences(text, edit.replace) >= want) continue; // made before
      if (occurrences(text, edit.find) !== want) {
        console.error(`${patch.name}@${version} ${file.path}: expected ${want} of ${JSON.stringify(edit.find)}; look at the change again`);
        failed = true;
        continue;
      }
      text = text.split(edit.find).join(edit.replace);
    }
    if (text !== before) writeFileSync(path, text);
  }
}
if (failed) process.exit(1);
