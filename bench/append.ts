/**
 * Append throughput: Mandant's event log against @event-driven-io/emmett-postgresql and against a
 * raw INSERT into a plain table (the floor: what one append costs with no event-store logic), all
 * on the same Postgres server, in the same fresh database, in the same run. Prints figures and
 * ratios; never fails on a timing. See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Event } from '@event-driven-io/emmett';
import { type PostgresEventStore, getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import type { EventMeta, NewEvent } from '@mandant/contracts';
import pg from 'pg';
import { type Sql, createSql } from '@mandant/shared/db';
import { migrate, prepareAppRole } from '@mandant/shared/db';
import { type EventStore, createEventStore } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import { createLogger } from '@mandant/shared/log';

// ---------------------------------------------------------------------------------------------
// Configuration

function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

const cfg = {
  serverUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  writers: intEnv('BENCH_WRITERS', 16),
  /** events per measured single-event run (per library, per workload) */
  singleEvents: intEnv('BENCH_SINGLE_EVENTS', 3200),
  /** events per measured batched run (per library) */
  batchEvents: intEnv('BENCH_BATCH_EVENTS', 32000),
  batchSize: intEnv('BENCH_BATCH_SIZE', 50),
  /** a writer starts a new stream once its current one holds this many events */
  streamEvents: intEnv('BENCH_STREAM_EVENTS', 100),
  /** appends per writer before measuring, per library and workload */
  warmupAppends: intEnv('BENCH_WARMUP_APPENDS', 10, 0),
  /** measured rounds per workload and library; the median is reported */
  rounds: intEnv('BENCH_ROUNDS', 3),
  /** connections per library; defaults to one per writer */
  pool: intEnv('BENCH_POOL', intEnv('BENCH_WRITERS', 16)),
  /** sequential appends per round of the single-writer diagnostics (the lone append) */
  probeAppends: intEnv('BENCH_PROBE_APPENDS', 300),
  /** rounds of the single-writer diagnostics, in rotating order; the median of each contestant's rounds is reported */
  probeRounds: intEnv('BENCH_PROBE_ROUNDS', 5),
};

const GOAL_SINGLE = 1000;
const GOAL_BATCH = 5000;
const EVENT_TYPE = 'bench.appended.v1';

// ---------------------------------------------------------------------------------------------
// Payload: the same ~200 bytes of JSON for both libraries

type Payload = { writer: number; seq: number; source: string; text: string };
type BenchEvent = Event<typeof EVENT_TYPE, Payload>;

const PAYLOAD_BYTES = 200;
const FILLER =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. ';

function payload(writer: number, seq: number): Payload {
  const base = { writer, seq, source: 'bench', text: '' };
  const room = Math.max(0, PAYLOAD_BYTES - JSON.stringify(base).length);
  return { ...base, text: FILLER.slice(0, room) };
}

// ---------------------------------------------------------------------------------------------
// The three contestants behind one interface

interface Appender {
  readonly name: string;
  /** appends `batch` to `stream` (of the writer's `tenant`), which must be at `expected` */
  append(tenant: string, stream: string, expected: number, batch: Payload[]): Promise<void>;
}

const META: EventMeta = { actor: 'bench', correlation_id: 'bench-append', causation_id: null, traceparent: null };

function mandantAppender(store: EventStore): Appender {
  return {
    name: 'Mandant',
    async append(tenant, stream, expected, batch) {
      const occurredAt = new Date().toISOString();
      const events: NewEvent[] = batch.map((data) => ({ id: uuidv7(), type: EVENT_TYPE, project_id: null, occurred_at: occurredAt, data }));
      await store.append(tenant, stream, expected, events, META);
    },
  };
}

function emmettAppender(store: PostgresEventStore): Appender {
  return {
    name: 'Emmett',
    async append(_tenant, stream, expected, batch) {
      const events: BenchEvent[] = batch.map((data) => ({ type: EVENT_TYPE, data }));
      await store.appendToStream<BenchEvent>(stream, events, { expectedStreamVersion: BigInt(expected) });
    },
  };
}

/**
 * The floor: the minimal honest equivalent of an append. One statement per append (its own
 * transaction, one fsync) inserting the batch's rows into a plain table whose primary key is
 * (stream, version), so a second writer on the same version would fail as an optimistic
 * concurrency check does. Same event ids, type and JSON payload as the others; no tenant order,
 * hash chain, outbox, idempotency check or RLS.
 */
const RAW_TABLE = `create table if not exists bench_raw_events (
  stream text not null, version int not null, tenant_id uuid not null, id uuid not null, type text not null,
  data jsonb not null, created_at timestamptz not null default now(), primary key (stream, version))`;

function rawInsertAppender(sql: Sql): Appender {
  return {
    name: 'raw INSERT',
    async append(tenant, stream, expected, batch) {
      const versions = batch.map((_, i) => expected + i + 1);
      const ids = batch.map(() => uuidv7());
      const data = batch.map((d) => JSON.stringify(d));
      await sql`
        insert into bench_raw_events (stream, version, tenant_id, id, type, data)
        select ${stream}, v, ${tenant}::uuid, i::uuid, ${EVENT_TYPE}, d::jsonb
        from unnest(${versions}::int[], ${ids}::text[], ${data}::text[]) as u(v, i, d)`;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Running a workload

interface Workload {
  key: string;
  label: string;
  /** tenant of each writer */
  tenantOf: (writer: number) => string;
  totalEvents: number;
  batchSize: number;
  goal: number;
}

interface RunResult {
  events: number;
  seconds: number;
  latenciesMs: number[];
  /** CPU time this (client) process spent during the run: on a small machine it competes with Postgres */
  clientCpuSeconds: number;
}

let streamCounter = 0;

/**
 * Every writer appends `appendsPerWriter` batches, one after the other, to its own streams:
 * successive versions with an exact expected version, moving to a fresh stream once the current
 * one holds `cfg.streamEvents` events. Streams are never shared, so no append conflicts.
 */
async function runWriters(appender: Appender, workload: Workload, appendsPerWriter: number): Promise<RunResult> {
  const latencies: number[] = [];
  const runTag = `${(streamCounter++).toString(36)}${randomBytes(3).toString('hex')}`;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: cfg.writers }, async (_, writer) => {
      const tenant = workload.tenantOf(writer);
      let streamNo = 0;
      let version = 0;
      let seq = 0;
      for (let i = 0; i < appendsPerWriter; i++) {
        if (version > 0 && version + workload.batchSize > Math.max(cfg.streamEvents, workload.batchSize)) {
          streamNo += 1;
          version = 0;
        }
        const stream = `bench-${runTag}-${tenant.slice(0, 8)}-w${writer}-s${streamNo}`;
        const batch = Array.from({ length: workload.batchSize }, () => payload(writer, seq++));
        const t0 = performance.now();
        await appender.append(tenant, stream, version, batch);
        latencies.push(performance.now() - t0);
        version += workload.batchSize;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    events: cfg.writers * appendsPerWriter * workload.batchSize,
    seconds,
    latenciesMs: latencies,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

function appendsPerWriter(workload: Workload): number {
  return Math.max(1, Math.round(workload.totalEvents / workload.batchSize / cfg.writers));
}

interface Measured {
  evPerSec: number;
  p50: number;
  p99: number;
  events: number;
  seconds: number;
}

function summarise(runs: RunResult[]): Measured {
  const rates = runs.map((r) => r.events / r.seconds).sort((a, b) => a - b);
  const all = runs.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  return {
    evPerSec: median(rates),
    p50: percentile(all, 0.5),
    p99: percentile(all, 0.99),
    events: runs.reduce((s, r) => s + r.events, 0),
    seconds: runs.reduce((s, r) => s + r.seconds, 0),
  };
}

function median(sorted: number[]): number {
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  const lo = sorted[mid - 1] ?? hi;
  return sorted.length % 2 === 1 ? hi : (lo + hi) / 2;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

// ---------------------------------------------------------------------------------------------
// Diagnostics: latency of one append without contention

/**
 * Latencies (ms) of sequential single-event appends by one writer (no contention), after a
 * warm-up, and this process's CPU time (µs) per append.
 */
async function probeSequential(appender: Appender, tenant: string): Promise<{ latencies: number[]; cpuMicros: number }> {
  const warm = Math.min(20, cfg.probeAppends);
  let stream = `probe-${randomBytes(4).toString('hex')}`;
  let version = 0;
  const latencies: number[] = [];
  let cpu: NodeJS.CpuUsage | undefined;
  for (let i = 0; i < warm + cfg.probeAppends; i++) {
    if (i === warm) cpu = process.cpuUsage();
    if (version >= cfg.streamEvents) {
      stream = `probe-${randomBytes(4).toString('hex')}`;
      version = 0;
    }
    const t0 = performance.now();
    await appender.append(tenant, stream, version, [payload(0, i)]);
    if (i >= warm) latencies.push(performance.now() - t0);
    version += 1;
  }
  const used = process.cpuUsage(cpu);
  return { latencies, cpuMicros: (used.user + used.system) / cfg.probeAppends };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const medianOf = (xs: number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

// ---------------------------------------------------------------------------------------------
// Output helpers

const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmtMs = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const fmtRatio = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a');

function table(header: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

function machineLine(pgVersion: string): string {
  const cpus = os.cpus();
  const models = [...new Set(cpus.map((c) => c.model.trim()))].join(' / ') || 'unknown CPU';
  const memGiB = (os.totalmem() / 1024 ** 3).toFixed(1);
  return `Machine: ${cpus.length} × ${models}, ${memGiB} GiB RAM; ${pgVersion}; Node ${process.version}`;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const admin = createSql(cfg.serverUrl, { max: 1, appName: 'mandant-bench-setup' });
  const dbName = `mandant_bench_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  let created = false;
  let mandantSql: Sql | undefined;
  let rawSql: Sql | undefined;
  let emmett: PostgresEventStore | undefined;
  let emmettPool: pg.Pool | undefined;

  let stopping = false;
  let cleaning: Promise<void> | undefined;
  /** Idempotent: closes both libraries' pools and drops the bench database. */
  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      await emmett?.close().catch(() => {});
      await emmettPool?.end().catch(() => {});
      await mandantSql?.end({ timeout: 5 }).catch(() => {});
      await rawSql?.end({ timeout: 5 }).catch(() => {});
      if (created) {
        await admin.unsafe(`drop database if exists ${dbName} with (force)`).catch((err: unknown) => {
          console.error(`could not drop ${dbName}: ${(err as Error).message}`);
        });
      }
      await admin.end({ timeout: 5 }).catch(() => {});
    })();
    return cleaning;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    stopping = true;
    console.error(`\n${signal}: dropping ${dbName} and stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const [{ version: pgVersion } = { version: 'unknown' }] = await admin<{ version: string }[]>`select version()`;
    const settings = await admin<{ name: string; setting: string }[]>`
      select name, setting from pg_settings where name in ('fsync', 'synchronous_commit') order by name`;
    const [{ others } = { others: 0 }] = await admin<{ others: number }[]>`
      select count(*)::int as others from pg_stat_activity
      where backend_type = 'client backend' and pid <> pg_backend_pid()`;

    await admin.unsafe(`create database ${dbName}`);
    created = true;
    const ownerUrl = withDatabase(cfg.serverUrl, dbName);
    await migrate(ownerUrl, createLogger({ level: 'warn', name: 'mandant-bench' }));
    const appUrl = await prepareAppRole(ownerUrl, process.env.MANDANT_APP_DB_PASSWORD);

    mandantSql = createSql(appUrl, { max: cfg.pool, appName: 'mandant-bench' });
    const mandant = mandantAppender(createEventStore(mandantSql));

    emmettPool = new pg.Pool({ connectionString: ownerUrl, max: cfg.pool, application_name: 'emmett-bench' });
    // an idle client whose connection ends (e.g. the database is dropped on Ctrl-C) must not crash the process
    emmettPool.on('error', () => {});
    emmett = getPostgreSQLEventStore(ownerUrl, { connectionOptions: { pool: emmettPool } });
    await emmett.schema.migrate();
    const emmettAppenderInstance = emmettAppender(emmett);

    rawSql = createSql(ownerUrl, { max: cfg.pool, appName: 'raw-insert-bench' });
    await rawSql.unsafe(RAW_TABLE);
    const raw = rawInsertAppender(rawSql);
    const names = { mandant: mandant.name, emmett: emmettAppenderInstance.name, raw: raw.name };

    const tenants = Array.from({ length: cfg.writers }, () => uuidv7());
    const oneTenant = uuidv7();
    const pick = (i: number): string => tenants[i % tenants.length] ?? oneTenant;

    const workloads: Workload[] = [
      {
        key: 'single',
        label: `single event, ${cfg.writers} writers, ${cfg.writers} tenants`,
        tenantOf: pick,
        totalEvents: cfg.singleEvents,
        batchSize: 1,
        goal: GOAL_SINGLE,
      },
      {
        key: 'single-1t',
        label: `single event, ${cfg.writers} writers, ONE tenant`,
        tenantOf: () => oneTenant,
        totalEvents: cfg.singleEvents,
        batchSize: 1,
        goal: GOAL_SINGLE,
      },
      {
        key: 'batch',
        label: `batch of ${cfg.batchSize}, ${cfg.writers} writers, ${cfg.writers} tenants`,
        tenantOf: pick,
        totalEvents: cfg.batchEvents,
        batchSize: cfg.batchSize,
        goal: GOAL_BATCH,
      },
    ];

    const sample = JSON.stringify(payload(cfg.writers - 1, 99_999)).length;
    console.log('Append throughput: Mandant event log vs @event-driven-io/emmett-postgresql vs a raw INSERT');
    console.log(machineLine(pgVersion));
    console.log(
      `Postgres settings: ${settings.map((s) => `${s.name}=${s.setting}`).join(', ')}; other client sessions on the server at start: ${others}`,
    );
    console.log(
      `Setup: fresh database per run (dropped at the end); ${cfg.pool} connections per library; payload ~${sample} bytes of JSON; ` +
        `Mandant as its runtime role (RLS on), Emmett and raw INSERT as the database owner.`,
    );
    console.log(
      `Fairness: every writer appends successive versions with an exact expected version to its own stream (no conflicts), ` +
        `starting a new stream every ${cfg.streamEvents} events, identically for all three. Emmett and raw INSERT have no tenants; ` +
        `their runs use the same writer/stream layout. Warm-up: ${cfg.warmupAppends} appends per writer per contestant and workload; ` +
        `${cfg.rounds} measured round(s), median reported, contestant order rotating.`,
    );
    console.log(
      'raw INSERT: one statement per append (its own transaction) inserting the batch into a plain table with primary key ' +
        '(stream, version) — same ids, type and payload; no tenant order, hash chain, outbox, idempotency check or RLS.',
    );
    console.log('');

    const results = new Map<string, { mandant: Measured; emmett: Measured; raw: Measured }>();
    const all = [mandant, emmettAppenderInstance, raw];
    // each contestant starts each position equally often, over workloads and rounds
    const rotate = <T>(xs: T[], k: number): T[] => xs.map((_, i) => xs[(i + k) % xs.length] as T);
    let turn = 0;
    for (const workload of workloads) {
      const perWriter = appendsPerWriter(workload);
      if (cfg.warmupAppends > 0) for (const c of rotate(all, turn)) await runWriters(c, workload, cfg.warmupAppends);
      const runs = new Map<string, RunResult[]>(all.map((c) => [c.name, []]));
      for (let round = 0; round < cfg.rounds; round++) {
        const order = rotate(all, turn++);
        for (const c of order) {
          const r = await runWriters(c, workload, perWriter);
          runs.get(c.name)?.push(r);
          const cpuPct = (100 * r.clientCpuSeconds) / r.seconds;
          console.log(
            `  ${workload.label} · ${c.name}: ${fmtInt(r.events / r.seconds)} ev/s (${r.events} events in ${r.seconds.toFixed(2)} s; ` +
              `bench process CPU ${cpuPct.toFixed(0)}% of one core)`,
          );
        }
      }
      results.set(workload.key, {
        mandant: summarise(runs.get(names.mandant) ?? []),
        emmett: summarise(runs.get(names.emmett) ?? []),
        raw: summarise(runs.get(names.raw) ?? []),
      });
    }

    console.log('');
    const rows = workloads.map((w) => {
      const r = results.get(w.key);
      if (!r) return [w.label, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
      const met = r.mandant.evPerSec >= w.goal;
      return [
        w.label,
        fmtInt(r.mandant.evPerSec),
        fmtInt(r.emmett.evPerSec),
        fmtInt(r.raw.evPerSec),
        fmtRatio(r.mandant.evPerSec / r.emmett.evPerSec),
        fmtRatio(r.mandant.evPerSec / r.raw.evPerSec),
        `${fmtMs(r.mandant.p50)} / ${fmtMs(r.mandant.p99)}`,
        `${fmtMs(r.emmett.p50)} / ${fmtMs(r.emmett.p99)}`,
        `${fmtMs(r.raw.p50)} / ${fmtMs(r.raw.p99)}`,
        `≥ ${fmtInt(w.goal)} ev/s: ${met ? 'met' : 'NOT met'}`,
      ];
    });
    console.log(
      table(
        [
          'workload',
          'Mandant ev/s',
          'Emmett ev/s',
          'raw ev/s',
          'M/E',
          'M/raw',
          'Mandant ms p50/p99',
          'Emmett ms p50/p99',
          'raw ms p50/p99',
          'Mandant goal',
        ],
        rows,
        new Set([1, 2, 3, 4, 5, 6, 7, 8]),
      ),
    );
    console.log(
      'M/E = Mandant events/s ÷ Emmett events/s, M/raw = Mandant events/s ÷ raw INSERT events/s, on the same workload: above 1× ' +
        'Mandant is faster. Latencies are per append call.',
    );

    // Where an append's time goes: one writer, no contention.
    console.log('');
    console.log(
      `Single-writer diagnostics (${cfg.probeRounds} rounds in rotating order of ${cfg.probeAppends} sequential single-event appends ` +
        "each, one tenant, no contention; per contestant the median of its rounds' means):",
    );
    const probeTenant = uuidv7();
    const probes = new Map<string, { means: number[]; all: number[]; cpu: number[] }>(
      all.map((c) => [c.name, { means: [], all: [], cpu: [] }]),
    );
    for (let round = 0; round < cfg.probeRounds; round++) {
      for (const c of rotate(all, round)) {
        const { latencies, cpuMicros } = await probeSequential(c, probeTenant);
        const p = probes.get(c.name);
        p?.means.push(mean(latencies));
        p?.all.push(...latencies);
        p?.cpu.push(cpuMicros);
      }
    }
    const probeLine = (name: string, what: string): string => {
      const p = probes.get(name);
      if (!p) return `  ${name}: n/a`;
      const sorted = [...p.all].sort((a, b) => a - b);
      return (
        `  ${name}: ${fmtMs(medianOf(p.means))} ms per append (rounds ${p.means.map(fmtMs).join(' / ')}; per append p50 ` +
        `${fmtMs(percentile(sorted, 0.5))}, p99 ${fmtMs(percentile(sorted, 0.99))} ms; bench process CPU ${fmtInt(medianOf(p.cpu))} µs ` +
        `per append) — ${what}.`
      );
    };
    console.log(probeLine(names.mandant, 'one statement: select * from mandant_append_v4(…), its own transaction'));
    console.log(probeLine(names.emmett, 'one transaction: begin, select emt_append_to_stream(…), commit'));
    console.log(probeLine(names.raw, 'one statement: insert into a plain table, its own transaction'));
    const lone = medianOf(probes.get(names.mandant)?.means ?? []) / medianOf(probes.get(names.emmett)?.means ?? []);
    console.log(
      `  Lone append, Mandant ÷ Emmett: ${Number.isFinite(lone) ? lone.toFixed(3) : 'n/a'}× (goal: at most 1×: ${lone <= 1 ? 'met' : 'NOT met'}).`,
    );
  } catch (err) {
    if (stopping) return; // interrupted: the signal handler reports and exits
    throw err;
  } finally {
    await cleanup();
    if (!stopping) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  }
}

main().catch((err: unknown) => {
  console.error('bench failed:', err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
