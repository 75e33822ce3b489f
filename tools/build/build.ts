import { isBuiltin } from 'node:module';
import { readdirSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Plugin, build } from 'esbuild';

/**
 * `npm run build`: compiles every process's entry point to JavaScript in `dist/`, so images and
 * the production topology run node on plain JavaScript, without a TypeScript loader.
 *
 * The workspace packages (`@mandant/*`) are bundled in; every other package stays an import
 * that node resolves from node_modules, as with the sources (so the OpenTelemetry loader hook
 * still sees them). The code they share is split into chunks beside the entries, all in one
 * directory. Sources that find files relative to themselves (`new URL('../../migrations',
 * import.meta.url)`: migrations, models, the console's build, the Neo4j tool) keep finding
 * them: their `import.meta.url` is rewritten to the URL the source file had, relative to
 * dist/, so the build moves with the repository (the image copies both).
 */

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
export const DIST = join(ROOT, 'dist');
/** Every service process: each file of services/platform/src/processes/ (a new one is built without a change here). */
const SERVICES = readdirSync(join(ROOT, 'services/platform/src/processes'))
  .filter((f) => f.endsWith('.ts') && !f.includes('.test.'))
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();

/** dist/<name>.js ← source */
export const ENTRIES: Record<string, string> = {
  ...Object.fromEntries(SERVICES.map((s) => [s, `services/platform/src/processes/${s}.ts`])),
  platform: 'services/platform/src/main.ts',
  stack: 'services/platform/src/stack/main.ts',
  mandant: 'services/platform/src/cli/main.ts',
  migrate: 'shared/src/db/migrate-cli.ts',
  register: 'shared/src/telemetry/register.ts',
};

/** Bundles the workspace's own packages; leaves every other bare import to node. */
const workspaceOnly: Plugin = {
  name: 'workspace-only',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@mandant/') || args.path.startsWith('node:')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** `import.meta.url` of a bundled source becomes that source's own URL, found from the output directory. */
const sourceUrls = (outdir: string): Plugin => ({
  name: 'source-urls',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url') || args.path.includes('/node_modules/')) return undefined;
      const from = relative(outdir, args.path).split('\\').join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(from)}, import.meta.url).href`), loader: 'ts' };
    });
  },
});

export interface Built {
  dir: string;
  files: number;
  bytes: number;
  ms: number;
  /** the packages the build imports statically from node_modules (each a production dependency) */
  packages: string[];
}

/** The production dependencies of the root and every workspace: what `npm ci --omit=dev` installs. */
async function productionDependencies(): Promise<Set<string>> {
  const root = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  const dirs = ['.'];
  for (const w of root.workspaces) {
    if (!w.endsWith('/*')) dirs.push(w);
    else
      for (const d of await readdir(join(ROOT, w.slice(0, -2)), { withFileTypes: true }))
        if (d.isDirectory()) dirs.push(join(w.slice(0, -2), d.name));
  }
  const names = new Set<string>();
  for (const d of dirs) {
    const pkg = JSON.parse(await readFile(join(ROOT, d, 'package.json'), 'utf8').catch(() => '{}')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const n of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) names.add(n);
  }
  return names;
}

const packageOf = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * Builds into `outdir` (default dist/, emptied first). Fails when the build imports a package
 * that is only a dev dependency: the image installs production dependencies alone.
 */
export async function buildDist(opts: { outdir?: string; quiet?: boolean } = {}): Promise<Built> {
  const started = Date.now();
  const outdir = resolve(opts.outdir ?? DIST);
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.entries(ENTRIES).map(([out, entry]) => ({ in: entry, out })),
    outdir,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // the stack traces of a compiled process still name the TypeScript sources
    sourcemap: 'linked',
    metafile: true,
    logLevel: opts.quiet ? 'warning' : 'info',
    tsconfig: join(ROOT, 'tsconfig.base.json'),
    plugins: [workspaceOnly, sourceUrls(outdir)],
  });
  const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
  const imported = new Set<string>();
  // a dynamic import is loaded only when its code runs (s3rver by the stack launcher): a static one at every start
  for (const [, o] of outputs)
    for (const i of o.imports)
      if (i.external && i.kind === 'import-statement' && !i.path.startsWith('node:')) imported.add(packageOf(i.path));
  const production = await productionDependencies();
  const devOnly = [...imported].filter((p) => !production.has(p) && !isBuiltin(p));
  if (devOnly.length > 0)
    throw new Error(
      `the build imports packages that are not production dependencies of any workspace (import them dynamically where only dev tools reach them, or declare them): ${devOnly.sort().join(', ')}`,
    );
  return {
    dir: outdir,
    files: outputs.length,
    bytes: outputs.reduce((n, [, o]) => n + o.bytes, 0),
    ms: Date.now() - started,
    packages: [...imported].sort(),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { dir, files, bytes, ms } = await buildDist();
  process.stdout.write(
    `built ${files} files (${(bytes / 1024).toFixed(0)} KiB) into ${relative(process.cwd(), dir) || '.'}/ in ${ms} ms\n`,
  );
}
