/**
 * The console's speed: the JavaScript its first page loads (the scripts index.html names and
 * their modulepreloads, with every static import they pull in), raw and gzipped, against the
 * 250 KB goal; then Lighthouse (desktop preset, the local Chromium, headless) on the files and
 * search pages of a seeded project, signed in, with its performance and accessibility scores
 * against the goals 90 and 95. The platform runs in this process serving the freshly built
 * console, as the browser tests run it. Prints figures; never fails on a score. See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import { OPERATOR, ok, startHarness } from '@mandant/platform/testing';
import { SETTLE_MS, eventually } from '@mandant/shared/testing';
import { findChromium } from '../tools/chromium.ts';
import { fmtInt, fmtRatio, intEnv, machineLine, median, runMain, serverUrl, table } from './src/harness.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST = join(ROOT, 'web', 'dist');

const GOALS = { initialJsGzipBytes: 250 * 1000, performance: 90, accessibility: 95 };

const cfg = {
  /** Lighthouse runs per page; the median score is reported (a single run's performance score wanders) */
  runs: intEnv('BENCH_CONSOLE_RUNS', 3),
  /** documents in the seeded project the files page lists */
  documents: intEnv('BENCH_CONSOLE_DOCUMENTS', 25),
  /** BENCH_CONSOLE_BUILD=0 measures web/dist as it is instead of building it first */
  build: process.env.BENCH_CONSOLE_BUILD !== '0',
};

/** The files of the first page's JavaScript: entry scripts, modulepreloads, and their static imports. */
function initialScripts(): { file: string; raw: number; gzip: number }[] {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const queue: string[] = [];
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"[^>]*>/g)) queue.push(m[1]!);
  for (const m of html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+)"[^>]*>/g)) queue.push(m[1]!);
  for (const m of html.matchAll(/<link\b[^>]*\bhref="([^"]+)"[^>]*\brel="modulepreload"[^>]*>/g)) queue.push(m[1]!);
  const seen = new Set<string>();
  const out: { file: string; raw: number; gzip: number }[] = [];
  while (queue.length) {
    const url = new URL(queue.shift()!, 'http://console/').pathname;
    if (seen.has(url)) continue;
    seen.add(url);
    const body = readFileSync(join(DIST, url));
    out.push({ file: url, raw: body.length, gzip: gzipSync(body, { level: 9 }).length });
    // static imports only (`import … from "./x.js"`, `import "./x.js"`, `export … from`): a dynamic import() is a lazy chunk
    const code = body.toString('utf8');
    for (const m of code.matchAll(/\bfrom\s*["']([^"']+\.js)["']|\bimport\s*["']([^"']+\.js)["']/g)) {
      const spec = m[1] ?? m[2]!;
      queue.push(new URL(spec, new URL(url, 'http://console/')).pathname);
    }
  }
  return out;
}

/** Seeds a tenant, a project with processed documents and a member, and answers the member's session cookie. */
async function seeded(h: Awaited<ReturnType<typeof startHarness>>) {
  const t = await ok(
    h.client(OPERATOR).POST('/tenants', { body: { name: 'Bench console', slug: `bench-console-${randomUUID().slice(0, 6)}` } }),
  );
  const admin = h.client(t.admin_api_key);
  const project = await ok(admin.POST('/projects', { body: { name: 'Harbour ledger' } }));
  const user = await ok(admin.POST('/users', { body: { email: 'reader@bench.example', name: 'Bench reader' } }));
  await ok(
    admin.PUT('/projects/{id}/members/{user_id}', { params: { path: { id: project.id, user_id: user.id } }, body: { role: 'editor' } }),
  );
  const key = (await ok(admin.POST('/api-keys', { body: { name: 'bench', user_id: user.id } }))).secret;
  const ids: string[] = [];
  for (let i = 0; i < cfg.documents; i++) {
    const content =
      `Ledger page ${i + 1}. Acme Holdings paid Mayor Quill ${i + 1}.5 million USD through an account in Zurich. ` +
      `Anna Weber of Smith & Co. booked the transfer on ${(i % 28) + 1} March 2019.`;
    ids.push(
      (
        await ok(
          admin.POST('/projects/{id}/documents', { params: { path: { id: project.id } }, body: { title: `Ledger ${i + 1}`, content } }),
        )
      ).id,
    );
  }
  for (const id of ids)
    await eventually(
      async () => (await ok(admin.GET('/documents/{id}', { params: { path: { id } } }))).status === 'processed',
      `document ${id}`,
      SETTLE_MS,
    );
  const origin = new URL(h.api).origin;
  const res = await fetch(`${origin}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ credential: key }),
  });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}: ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('mandant_session='));
  if (!cookie) throw new Error('sign-in set no mandant_session cookie');
  return { origin, slug: project.slug, cookie };
}

interface Scores {
  performance: number;
  accessibility: number;
  fcpMs: number;
  lcpMs: number;
  tbtMs: number;
}

/** One Lighthouse run of `url`, signed in by the session cookie sent with every request. */
async function audit(url: string, port: number, cookie: string): Promise<Scores> {
  const result = await lighthouse(
    url,
    {
      port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance', 'accessibility'],
      // Lighthouse resets storage (cookies too) before it loads the page: the cookie goes as a header instead
      extraHeaders: { Cookie: cookie },
    },
    desktopConfig,
  );
  if (!result) throw new Error(`Lighthouse returned nothing for ${url}`);
  const { lhr } = result;
  if (lhr.runtimeError) throw new Error(`Lighthouse on ${url}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
  // signed out, the console would show its sign-in page: a score of that page is not the one asked for
  if (new URL(lhr.finalDisplayedUrl).pathname !== new URL(url).pathname)
    throw new Error(`Lighthouse on ${url} ended at ${lhr.finalDisplayedUrl}`);
  const score = (id: string) => Math.round((lhr.categories[id]?.score ?? Number.NaN) * 100);
  const metric = (id: string) => lhr.audits[id]?.numericValue ?? Number.NaN;
  return {
    performance: score('performance'),
    accessibility: score('accessibility'),
    fcpMs: metric('first-contentful-paint'),
    lcpMs: metric('largest-contentful-paint'),
    tbtMs: metric('total-blocking-time'),
  };
}

/**
 * `audit`, again when Lighthouse itself fails to record (NO_NAVSTART and the like ask for
 * another run): a failed recording is no score of the page.
 */
async function auditAgain(url: string, port: number, cookie: string, attempts = 3): Promise<Scores> {
  for (let i = 1; ; i++) {
    try {
      return await audit(url, port, cookie);
    } catch (err) {
      if (i >= attempts) throw err;
      console.log(`(Lighthouse run ${i} of ${url} failed, run again: ${(err as Error).message.split('\n')[0]})`);
    }
  }
}

const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

async function main(): Promise<void> {
  console.log(machineLine('PostgreSQL at BENCH_DATABASE_URL'));
  const chromePath = findChromium();
  if (!chromePath) throw new Error('no Chromium found: set CHROMIUM_PATH or install chromium');

  if (cfg.build) {
    const built = spawnSync('npm', ['run', 'build', '-w', 'web'], { cwd: ROOT, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`npm run build -w web failed:\n${built.stdout}\n${built.stderr}`);
  }

  const scripts = initialScripts();
  const raw = scripts.reduce((n, s) => n + s.raw, 0);
  const gzip = scripts.reduce((n, s) => n + s.gzip, 0);
  console.log('\nInitial JavaScript (entry scripts, modulepreloads and their static imports):');
  console.log(table(['file', 'raw', 'gzip'], [...scripts.map((s) => [s.file, kb(s.raw), kb(s.gzip)]), ['total', kb(raw), kb(gzip)]]));
  console.log(
    `initial JS gzipped ${kb(gzip)} vs goal <= ${kb(GOALS.initialJsGzipBytes)}: ${fmtRatio(gzip / GOALS.initialJsGzipBytes)} of the goal ` +
      `(${gzip <= GOALS.initialJsGzipBytes ? 'met' : 'MISSED'})\n`,
  );

  const h = await startHarness({ ownerUrl: serverUrl(), env: { MANDANT_CONSOLE_DIR: DIST } });
  let chrome: chromeLauncher.LaunchedChrome | null = null;
  try {
    const { origin, slug, cookie } = await seeded(h);
    chrome = await chromeLauncher.launch({ chromePath, chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu'] });
    const pages = [
      ['files', `${origin}/projects/${slug}/files`],
      ['search', `${origin}/projects/${slug}/search`],
    ] as const;
    const rows: string[][] = [];
    const verdicts: string[] = [];
    for (const [name, url] of pages) {
      // a first load warms the server and Chromium's caches of nothing the measured runs reuse (Lighthouse clears them)
      await auditAgain(url, chrome.port, cookie);
      const runs: Scores[] = [];
      for (let i = 0; i < cfg.runs; i++) runs.push(await auditAgain(url, chrome.port, cookie));
      const perf = median(runs.map((r) => r.performance));
      const a11y = median(runs.map((r) => r.accessibility));
      rows.push([
        name,
        runs.map((r) => String(r.performance)).join(' '),
        String(perf),
        String(a11y),
        fmtInt(median(runs.map((r) => r.fcpMs))),
        fmtInt(median(runs.map((r) => r.lcpMs))),
        fmtInt(median(runs.map((r) => r.tbtMs))),
      ]);
      verdicts.push(
        `${name}: performance ${perf} vs goal >= ${GOALS.performance} (${perf >= GOALS.performance ? 'met' : 'MISSED'}), ` +
          `accessibility ${a11y} vs goal >= ${GOALS.accessibility} (${a11y >= GOALS.accessibility ? 'met' : 'MISSED'})`,
      );
    }
    console.log(`Lighthouse ${desktopConfig.settings?.formFactor ?? 'desktop'} preset, ${cfg.runs} runs per page (median), ${chromePath}:`);
    console.log(table(['page', 'performance runs', 'performance', 'accessibility', 'FCP ms', 'LCP ms', 'TBT ms'], rows));
    console.log('');
    for (const v of verdicts) console.log(v);
  } finally {
    chrome?.kill();
    await h.stop();
  }
}

runMain(main);
