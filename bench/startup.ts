/**
 * Start-up time and memory of a service process run from its TypeScript sources through tsx
 * (`node --import tsx services/platform/src/processes/<name>.ts`, how it ran before) and from the
 * compiled build (`npm run build` → `node dist/<name>.js`, how images run it). Each round starts
 * every service once per way, alternating, on one migrated database and one NATS server (and a
 * tenant service throughout, which the gateway's readiness needs to reach): the
 * time from spawn until its readiness probe answers 200, and its resident memory (VmRSS) then
 * and once it has idled a moment. Prints medians and ratios; never fails on a figure. See
 * bench/README.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@mandant/shared/log';
import { findNatsServer, startNatsServer } from '@mandant/shared/runtime';
import { buildDist } from '../tools/build/build.ts';
import { fmtMs, fmtRatio, intEnv, machineLine, median, runMain, table, withFreshDatabase } from './src/harness.ts';
import { startServiceProcess, stopServiceProcess } from './src/processes.ts';

const cfg = {
  rounds: intEnv('BENCH_ROUNDS', 5),
  /** how long a started process idles before its memory is read again */
  idleMs: intEnv('BENCH_IDLE_MS', 3_000),
};
const SERVICES = (process.env.BENCH_SERVICES ?? 'tenant,projectors,gateway').split(',').map((s) => s.trim());
const WAYS = ['sources', 'compiled'] as const;
type Way = (typeof WAYS)[number];

/** Resident memory of a process in MiB (Linux), NaN elsewhere. */
async function rssMiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : Number.NaN;
}

async function ready(url: string, label: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`${label} was not ready within 120 s`);
    const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

runMain(async () => {
  const binary = findNatsServer();
  if (!binary) throw new Error('no nats-server on PATH (or in /usr/sbin, /usr/local/bin)');
  const root = fileURLToPath(new URL('../', import.meta.url));
  const build = await buildDist({ outdir: path.join(root, 'node_modules', '.cache', `mandant-build-${randomUUID()}`), quiet: true });
  const log = createLogger({ level: 'silent', name: 'bench-startup' });

  await withFreshDatabase(async (db, onCleanup) => {
    onCleanup(() => rm(build.dir, { recursive: true, force: true }));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mandant-bench-startup-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const nats = await startNatsServer({ binary, storeDir: path.join(dir, 'nats'), log });
    onCleanup(() => nats.stop());
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: db.ownerUrl,
      MANDANT_MIGRATE: 'false',
      NATS_URL: nats.url,
      MANDANT_OPERATOR_TOKEN: `bench-operator-${randomBytes(12).toString('hex')}`,
      MANDANT_MASTER_KEY: randomBytes(32).toString('base64'),
      MANDANT_DATA_DIR: path.join(dir, 'data'),
      HEALTH_PORT: '0',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      OTEL_TRACES_EXPORTER: '',
    };
    // the gateway is ready once a request reaches the tenant service: one runs throughout
    const tenant = await startServiceProcess('tenant', 'tenant (for the gateway)', env, 120_000, { compiled: build.dir });
    onCleanup(() => stopServiceProcess(tenant));
    await ready(tenant.healthUrl, tenant.label);
    const samples = new Map<string, { ready: number[]; rss: number[]; idle: number[] }>();
    for (let round = 0; round < cfg.rounds; round++) {
      for (const service of SERVICES) {
        // alternate which way goes first, so neither always meets a warmer page cache
        const ways: Way[] = round % 2 === 0 ? [...WAYS] : [...WAYS].reverse();
        for (const way of ways) {
          const t0 = performance.now();
          const p = await startServiceProcess(
            service,
            `${service} (${way})`,
            env,
            120_000,
            way === 'compiled' ? { compiled: build.dir } : {},
          );
          await ready(p.healthUrl, p.label);
          const readyMs = performance.now() - t0;
          const rss = await rssMiB(p.child.pid);
          await new Promise((r) => setTimeout(r, cfg.idleMs));
          const idle = await rssMiB(p.child.pid);
          await stopServiceProcess(p);
          const key = `${service}/${way}`;
          const s = samples.get(key) ?? { ready: [], rss: [], idle: [] };
          s.ready.push(readyMs);
          s.rss.push(rss);
          s.idle.push(idle);
          samples.set(key, s);
          process.stderr.write(`round ${round + 1}/${cfg.rounds} ${key}: ready ${readyMs.toFixed(0)} ms, ${rss.toFixed(0)} MiB\n`);
        }
      }
    }

    const m = (service: string, way: Way, what: 'ready' | 'rss' | 'idle') => median(samples.get(`${service}/${way}`)?.[what] ?? []);
    console.log(machineLine(db.pgVersion));
    console.log(`Build: ${build.files} files, ${(build.bytes / 1024).toFixed(0)} KiB, in ${build.ms} ms; ${cfg.rounds} rounds, medians\n`);
    console.log(
      table(
        [
          'service',
          'ready, sources ms',
          'ready, compiled ms',
          'sources ÷ compiled',
          'RSS sources MiB',
          'RSS compiled MiB',
          'sources ÷ compiled',
          'idle RSS sources',
          'idle RSS compiled',
        ],
        SERVICES.map((s) => [
          s,
          fmtMs(m(s, 'sources', 'ready')),
          fmtMs(m(s, 'compiled', 'ready')),
          fmtRatio(m(s, 'sources', 'ready') / m(s, 'compiled', 'ready')),
          m(s, 'sources', 'rss').toFixed(0),
          m(s, 'compiled', 'rss').toFixed(0),
          fmtRatio(m(s, 'sources', 'rss') / m(s, 'compiled', 'rss')),
          m(s, 'sources', 'idle').toFixed(0),
          m(s, 'compiled', 'idle').toFixed(0),
        ]),
      ),
    );
  });
});
