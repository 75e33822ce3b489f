/**
 * How work spreads between replicas: the platform split into processes as in a cluster, with
 * two (BENCH_REPLICAS) processes of the projectors and two of the ingestion worker, sharing their
 * JetStream durables. A workload is uploaded through the gateway; once every document is processed
 * and no projector lags, each replica's /metrics (its health port) is scraped and the per-replica
 * counts printed, with their sum next to what the log says each projector had to apply: equal
 * sums mean no event applied twice across replicas and none missed. Prints figures; never fails
 * on a timing. See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { documentProjections } from '@mandant/projectors';
import { createSql } from '@mandant/shared/db';
import { createLogger } from '@mandant/shared/log';
import { findNatsServer, startNatsServer } from '@mandant/shared/runtime';
import { createBenchStores, fmtInt, intEnv, machineLine, runMain, table, withFreshDatabase } from './src/harness.ts';
import { type ServiceProcess, labelValue, parseSamples, startServiceProcess, stopServiceProcess } from './src/processes.ts';

const cfg = {
  tenants: intEnv('BENCH_TENANTS', 8),
  documents: intEnv('BENCH_DOCUMENTS', 25),
  replicas: intEnv('BENCH_REPLICAS', 2),
  /** how long to wait for the platform to drain before printing what it has */
  timeoutS: intEnv('BENCH_TIMEOUT_S', 600),
};
const OPERATOR = `bench-operator-${randomBytes(12).toString('hex')}`;
const SINGLE = ['tenant', 'project', 'membership', 'documents'];
const REPLICATED = ['projectors', 'ingestion'];

const PEOPLE = ['Anna Schmidt', 'Markus Braun', 'Carol Diaz', 'Maria Gonzalez', 'Jan Novak', 'Lena Berg'];
const ORGS = ['Acme Holdings', 'Beta GmbH', 'Zurich Trust', 'Wirecard AG', 'Nordlicht Capital'];
const PLACES = ['Panama', 'Zürich', 'Singapore', 'Berlin', 'Lisbon'];
const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;

/** A memo of a few paragraphs naming people, organisations and places (entities for the graph), unique per tenant and document. */
function memo(t: number, d: number): { title: string; content: string } {
  const paragraphs = Array.from({ length: 6 }, (_, p) => {
    const k = t * 31 + d * 7 + p;
    return (
      `${pick(PEOPLE, k)} of ${pick(ORGS, k + 1)} met ${pick(PEOPLE, k + 2)} in ${pick(PLACES, k + 3)} on ${1 + (k % 28)} March. ` +
      `Payment ${t}-${d}-${p} of ${(k * 7919) % 100_000} euros went through ${pick(ORGS, k + 4)}; the ledger entry was signed in ${pick(PLACES, k)}.`
    );
  });
  return { title: `Memo ${t}-${d}`, content: paragraphs.join('\n\n') };
}

interface Api {
  call(method: string, path: string, token: string, body?: unknown): Promise<any>;
}

function api(base: string): Api {
  return {
    async call(method, p, token, body) {
      const res = await fetch(`${base}${p}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${p} -> ${res.status} ${text.slice(0, 300)}`);
      return text ? JSON.parse(text) : null;
    },
  };
}

interface TenantRun {
  slug: string;
  key: string;
  projectId: string;
}

/** Whether every document of the tenant is finished and no projector lags; also its projectors' dead letters. */
async function drained(
  gw: Api,
  t: TenantRun,
  documents: number,
): Promise<{ done: boolean; finished: number; deadLetters: Map<string, number> }> {
  const list = (await gw.call('GET', `/projects/${t.projectId}/documents?limit=500`, t.key)) as {
    documents: { status: string; embeddings: unknown[] }[];
  };
  const finished = list.documents.filter((d) => (d.status === 'processed' && d.embeddings.length > 0) || d.status === 'failed').length;
  const status = (await gw.call('GET', '/projections/status', t.key)) as {
    projectors: { name: string; lag: number; dead_letters: number }[];
  };
  const stores = status.projectors.filter((p) => /^(vectors|text|graph|blobs)@/.test(p.name));
  const deadLetters = new Map(status.projectors.map((p) => [p.name, p.dead_letters]));
  return {
    done:
      finished === documents && list.documents.length === documents && stores.length === 4 && status.projectors.every((p) => p.lag === 0),
    finished,
    deadLetters,
  };
}

const pct = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '–');
const withShare = (n: number, sum: number): string => `${fmtInt(n)} (${pct(n, sum)})`;

runMain(async () => {
  const binary = findNatsServer();
  if (!binary) throw new Error('no nats-server on PATH (or in /usr/sbin, /usr/local/bin)');
  const log = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'silent', name: 'bench-replicas' });

  await withFreshDatabase(async (db, onCleanup) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mandant-bench-replicas-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const nats = await startNatsServer({ binary, storeDir: path.join(dir, 'nats'), log });
    onCleanup(() => nats.stop());
    const procs: ServiceProcess[] = [];
    onCleanup(async () => {
      await Promise.all(procs.map((p) => stopServiceProcess(p)));
    });

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: db.ownerUrl,
      NATS_URL: nats.url,
      MANDANT_OPERATOR_TOKEN: OPERATOR,
      MANDANT_MASTER_KEY: randomBytes(32).toString('base64'),
      MANDANT_DATA_DIR: path.join(dir, 'data'),
      HEALTH_PORT: '0',
      LOG_LEVEL: process.env.BENCH_SERVICE_LOG_LEVEL ?? 'warn',
      // the workload is the point, not the gateway's limits
      RATE_LIMIT_RPS: '100000',
      RATE_LIMIT_BURST: '100000',
      RATE_LIMIT_EXPENSIVE_RPS: '100000',
      RATE_LIMIT_EXPENSIVE_BURST: '100000',
      UPLOADS_IN_FLIGHT_PER_TENANT: '1000',
      UPLOADS_IN_FLIGHT: '1000',
    };
    const t0 = performance.now();
    const starting = [
      ...SINGLE.map((s) => ({ service: s, label: s })),
      ...REPLICATED.flatMap((s) => Array.from({ length: cfg.replicas }, (_, i) => ({ service: s, label: `${s}#${i + 1}` }))),
      { service: 'gateway', label: 'gateway' },
    ];
    await Promise.all(
      starting.map(async ({ service, label }) => {
        // the gateway says where it listens at info level; the other services' start line is written at any level
        const own = service === 'gateway' ? { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' } : env;
        procs.push(await startServiceProcess(service, label, own));
      }),
    );
    const gatewayProc = procs.find((p) => p.apiUrl);
    if (!gatewayProc?.apiUrl) throw new Error('gateway did not start');
    const gw = api(gatewayProc.apiUrl);
    for (const deadline = Date.now() + 60_000; ;) {
      if (
        await fetch(`${gatewayProc.apiUrl}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (Date.now() > deadline) throw new Error('gateway did not become ready');
      await new Promise((r) => setTimeout(r, 250));
    }
    const startedS = (performance.now() - t0) / 1000;

    // the workload: tenants in parallel, each uploading its documents one after another
    const runTag = Date.now().toString(36);
    const tenants: TenantRun[] = await Promise.all(
      Array.from({ length: cfg.tenants }, async (_, t) => {
        const slug = `spread-${runTag}-${t}`;
        const created = (await gw.call('POST', '/tenants', OPERATOR, { name: `Spread ${t}`, slug })) as { admin_api_key: string };
        const project = (await gw.call('POST', '/projects', created.admin_api_key, { name: `Spread ${t}` })) as { id: string };
        return { slug, key: created.admin_api_key, projectId: project.id };
      }),
    );
    const u0 = performance.now();
    await Promise.all(
      tenants.map(async (t, ti) => {
        for (let d = 0; d < cfg.documents; d++) await gw.call('POST', `/projects/${t.projectId}/documents`, t.key, memo(ti, d));
      }),
    );
    const uploadS = (performance.now() - u0) / 1000;

    let allDone: boolean;
    let finished: number;
    const deadLetters = new Map<string, number>();
    for (const deadline = Date.now() + cfg.timeoutS * 1000; ;) {
      const states = await Promise.all(tenants.map((t) => drained(gw, t, cfg.documents)));
      allDone = states.every((s) => s.done);
      finished = states.reduce((s, x) => s + x.finished, 0);
      deadLetters.clear();
      for (const s of states) for (const [name, n] of s.deadLetters) deadLetters.set(name, (deadLetters.get(name) ?? 0) + n);
      if (allDone || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const drainS = (performance.now() - u0) / 1000;

    // what each replica says it did, and what the log says there was to do
    const scraped = new Map<ServiceProcess, string>();
    for (const p of procs.filter((x) => REPLICATED.includes(x.service)))
      scraped.set(p, await (await fetch(`${p.healthUrl}/metrics`)).text());
    const owner = createSql(db.ownerUrl, { max: 1, appName: 'mandant-bench-observer' });
    const byType = await owner<{ type: string; n: number }[]>`select type, count(*)::int as n from events group by type`;
    const logEvents = byType.reduce((s, r) => s + r.n, 0);
    await owner.end({ timeout: 5 });
    const stores = await createBenchStores(db.appUrl, { countStatements: false });
    const projections = Object.values(documentProjections(stores));
    await stores.close();

    const projectorProcs = procs.filter((p) => p.service === 'projectors').sort((a, b) => a.label.localeCompare(b.label));
    const ingestionProcs = procs.filter((p) => p.service === 'ingestion').sort((a, b) => a.label.localeCompare(b.label));
    const sample = (p: ServiceProcess, metric: string, label: string, value: string): number => {
      for (const [labels, n] of parseSamples(scraped.get(p) ?? '', metric)) if (labelValue(labels, label) === value) return n;
      return 0;
    };

    console.log(
      `Work spread between replicas: ${cfg.replicas} × projectors, ${cfg.replicas} × ingestion (each its own process), ${cfg.tenants} tenants × ${cfg.documents} documents through the gateway`,
    );
    console.log(machineLine(db.pgVersion));
    console.log(`1-minute load average at the end: ${os.loadavg()[0]?.toFixed(2)}`);
    console.log(
      `Processes up and ready in ${startedS.toFixed(1)} s; ${fmtInt(cfg.tenants * cfg.documents)} uploads in ${uploadS.toFixed(1)} s; ` +
        `${allDone ? 'every document processed and no projector lagging' : `NOT DRAINED (${finished} of ${cfg.tenants * cfg.documents} documents finished)`} ` +
        `${drainS.toFixed(1)} s after the first upload; ${fmtInt(logEvents)} events in the log\n`,
    );

    const replicaCols = projectorProcs.map((p) => p.label);
    const projectorRows = projections.map((projection) => {
      const key = `${projection.name}@v${projection.version}`;
      const applied = projectorProcs.map((p) => sample(p, 'mandant_projector_events_applied_total', 'projector', key));
      const pages = projectorProcs.map((p) => sample(p, 'mandant_projector_pages_total', 'projector', key));
      const sum = applied.reduce((s, n) => s + n, 0);
      const dead = deadLetters.get(key) ?? 0;
      const handled = byType.filter((r) => projection.handles(r.type)).reduce((s, r) => s + r.n, 0);
      const verdict = sum + dead === handled ? 'each once' : sum + dead > handled ? 'MORE THAN THE LOG' : 'fewer (not drained?)';
      return [
        key,
        ...applied.map((n) => withShare(n, sum)),
        fmtInt(sum),
        fmtInt(handled),
        fmtInt(dead),
        pages.map(fmtInt).join(' / '),
        verdict,
      ];
    });
    console.log('Events applied per projector (counted by each replica after its page committed):');
    console.log(table(['projector', ...replicaCols, 'sum', 'handled in log', 'dead letters', 'pages', 'sum vs log'], projectorRows));

    const outcomes = ['processed', 'failed', 'skipped'];
    const ingestionRows = outcomes.map((outcome) => {
      const counts = ingestionProcs.map((p) => sample(p, 'mandant_ingestion_documents_total', 'outcome', outcome));
      const sum = counts.reduce((s, n) => s + n, 0);
      return [outcome, ...counts.map((n) => withShare(n, sum)), fmtInt(sum)];
    });
    const uploaded = cfg.tenants * cfg.documents;
    console.log(`\nDocuments finished per ingestion replica (${fmtInt(uploaded)} uploaded; processed + failed should equal it):`);
    console.log(table(['outcome', ...ingestionProcs.map((p) => p.label), 'sum'], ingestionRows));

    const mib = (p: ServiceProcess): string =>
      `${((parseSamples(scraped.get(p) ?? '', 'process_resident_memory_bytes').get('') ?? 0) / 1024 ** 2).toFixed(0)} MiB`;
    const cpu = (p: ServiceProcess): string =>
      `${(parseSamples(scraped.get(p) ?? '', 'process_cpu_seconds_total').get('') ?? 0).toFixed(1)} s`;
    console.log('\nPer replica process:');
    console.log(
      table(
        ['replica', 'resident memory', 'CPU time'],
        [...projectorProcs, ...ingestionProcs].map((p) => [p.label, mib(p), cpu(p)]),
      ),
    );
  });
});
