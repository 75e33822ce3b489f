/**
 * Commit-to-visible lag in every read store at a sustained event rate (default 200 events/s),
 * through the real pipeline: event store → outbox relay → JetStream (a private nats-server) →
 * projectors (relational views and document store projections on the embedded stores). For each
 * event: the time its append resolved, and the time each projector's checkpoint first showed it
 * (the checkpoint commits in the same transaction as the read model, so that is when a reader can
 * see it). Prints p50/p95/p99/max per store and overall against a 1 s p99 goal; never fails on a
 * timing. See bench/README.md.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { EventMeta } from '@mandant/contracts';
import { uuidv7 } from '@mandant/shared/ids';
import { fmtInt, intEnv, machineLine, runMain, table, withFreshDatabase } from './src/harness.ts';
import { percentiles } from './src/latency.ts';
import { MIX } from './src/lag-workload.ts';
import { type Committed, consumingLine, startPipeline, streamOrderedAppender } from './src/pipeline.ts';
import { readModelLags, versusGoal } from './src/read-model-lag.ts';
import { realEngineSet, startRealEngines } from './src/engines.ts';

const cfg = {
  rate: intEnv('BENCH_LAG_RATE', 200),
  seconds: intEnv('BENCH_LAG_SECONDS', 60),
  warmupSeconds: intEnv('BENCH_LAG_WARMUP_SECONDS', 5, 0),
  tenants: intEnv('BENCH_LAG_TENANTS', 8),
  pollMs: intEnv('BENCH_LAG_POLL_MS', 10),
  chunks: intEnv('BENCH_LAG_CHUNKS', 5),
  dimension: intEnv('BENCH_DIMENSION', 384),
  /** the projectors' sweep (catch-up to every tenant's head); 30 s is startProjector's default, as the platform runs it */
  sweepMs: intEnv('BENCH_LAG_SWEEP_MS', 30_000),
};
const GOAL_MS = 1000;

/** BENCH_LAG_ENGINES: `embedded` (default: Postgres vectors, text and graph) or `real` (Qdrant vectors, Meilisearch text). */
function engineSetting(): 'embedded' | 'real' {
  const v = process.env.BENCH_LAG_ENGINES ?? 'embedded';
  if (v !== 'embedded' && v !== 'real') throw new Error(`BENCH_LAG_ENGINES must be embedded or real, not ${v}`);
  return v;
}
const META: EventMeta = { actor: 'user:bench', correlation_id: 'bench-lag', causation_id: null, traceparent: null };

async function main(): Promise<void> {
  await withFreshDatabase(async (db, onCleanup) => {
    // BENCH_LAG_ENGINES=real: vectors on Qdrant and text on Meilisearch (engines.ts), the rest as before
    let real: ReturnType<typeof realEngineSet> | null = null;
    if (engineSetting() === 'real') {
      const engines = await startRealEngines();
      if ('skipped' in engines) {
        console.log(`Real engines: skipped (${engines.skipped}); nothing measured.`);
        return;
      }
      onCleanup(() => engines.stop());
      real = realEngineSet(engines);
      const set = real;
      onCleanup(() => set.drop());
    }
    const { events, readModels, projectors, watch, watchSql, published, consumers, grouped, setUp } = await startPipeline(db, onCleanup, {
      name: 'bench-lag',
      sweepMs: cfg.sweepMs,
      pollMs: cfg.pollMs,
      meta: META,
      ...(real ? { engines: { vectors: real.vectors, text: real.text } } : {}),
    });
    const committed = new Map<string, Committed>(); // by event id

    console.log(`Commit-to-visible lag at ${fmtInt(cfg.rate)} events/s sustained: event store → outbox relay → JetStream → projectors`);
    console.log(machineLine(db.pgVersion));
    console.log(
      `Load average at start (1/5/15 min): ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' / ')}`,
    );

    // before the clock: tenants, users, projects, memberships, and every document's sealed artefacts
    const s0 = performance.now();
    const totalEvents = cfg.rate * (cfg.seconds + cfg.warmupSeconds);
    const docsPerTenant = Math.ceil(((totalEvents * MIX.document) / 4 / cfg.tenants) * 1.3) + 5;
    const tenants = Array.from({ length: cfg.tenants }, () => uuidv7());
    const workloads = await setUp(tenants, {
      documentsPerTenant: docsPerTenant,
      chunks: cfg.chunks,
      dimension: cfg.dimension,
      seed: (t) => 7919 * (t + 1),
    });
    console.log(
      `Setup: ${cfg.tenants} tenants (20 users, 6 projects, memberships each), ${fmtInt(docsPerTenant * cfg.tenants)} documents of ${cfg.chunks} chunks ` +
        `(dimension ${cfg.dimension}) with artefacts sealed in the blob store, ${((performance.now() - s0) / 1000).toFixed(1)} s; all projectors caught up.`,
    );
    console.log(
      `Pipeline: one process (as the all-in-one platform): event store + relay on a pool of 10, ${projectors.length} projectors (${readModels.map((m) => m.label).join(', ')}) ` +
        `on a pool of 10, ${consumingLine(grouped, readModels)}, on a private nats-server (sweep every ${cfg.sweepMs / 1000} s); ${real ? `${real.describe}; the graph on Postgres` : 'embedded Postgres vector/text/graph stores'} on a pool of 6; ` +
        `sealed local blobs. Checkpoints polled every ${cfg.pollMs} ms as the owner.`,
    );
    console.log(
      `Drive: open loop at ${fmtInt(cfg.rate)} events/s over ${cfg.tenants} tenants (round robin), one event per append (as command handlers append), ` +
        `appends of one stream in order; ${cfg.warmupSeconds} s warm-up not counted, then ${cfg.seconds} s measured. ` +
        `Mix: ${MIX.document * 100}% document lifecycle (uploaded/processing/processed/embedded), ${MIX.link * 100}% link/unlink, ` +
        `${Math.round((1 - MIX.document - MIX.link) * 100)}% project and member activity.`,
    );
    console.log('');

    watch.start();
    const appender = streamOrderedAppender(events, META, (c) => committed.set(c.id, c));
    const { appendMs, stats } = appender;
    const issue = (tenantId: string, step: Parameters<typeof appender.issue>[1], measured: boolean): void =>
      void appender.issue(tenantId, step, measured);

    const cpu0 = process.cpuUsage();
    const xacts = async (): Promise<number> => {
      const [row] = await watchSql<
        { n: number }[]
      >`select (xact_commit + xact_rollback)::float8 as n from pg_stat_database where datname = current_database()`;
      return row?.n ?? 0;
    };
    const x0 = await xacts();
    const c0 = new Map([...consumers].map(([k, v]) => [k, { ...v }]));
    const t0 = performance.now();
    const total = cfg.rate * (cfg.warmupSeconds + cfg.seconds);
    const warmupEvents = cfg.rate * cfg.warmupSeconds;
    let issued = 0;
    while (issued < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * cfg.rate));
      for (; issued < due; issued++) {
        const w = workloads[issued % workloads.length];
        if (w) issue(w.tenantId, w.w.next(), issued >= warmupEvents);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await appender.settled();
    const driveS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // the statistics collector reports with a delay of up to half a second
    await new Promise((r) => setTimeout(r, 600));
    const xactsPerS = ((await xacts()) - x0) / driveS;
    const delivered = [...consumers].map(([k, v]) => {
      const b = c0.get(k) ?? { deliveries: 0, redeliveries: 0, handlerMs: 0 };
      const n = v.deliveries - b.deliveries;
      return {
        name: k.replace(/^projector-/, ''),
        perS: n / driveS,
        msEach: n > 0 ? (v.handlerMs - b.handlerMs) / n : Number.NaN,
        redeliveries: v.redeliveries - b.redeliveries,
      };
    });
    const loadAfterDrive = os.loadavg();

    // wait until every projector has reached every tenant's head
    const heads = new Map(await Promise.all(tenants.map(async (t) => [t, await events.head(t)] as const)));
    const caughtUp = await watch.until(
      projectors.map((p) => p.key),
      heads,
      120_000,
    );
    watch.stop();
    await watch.stopped();
    const dead = await watchSql<
      { projector: string; n: number }[]
    >`select projector, count(*)::int as n from projection_dead_letters group by projector`;

    const measured = [...committed.values()].filter((c) => c.measured);
    const rows: string[][] = [];
    const lags = readModelLags(
      readModels.map((m, i) => ({ key: projectors[i]?.key ?? '', handles: m.projection.handles })),
      measured,
      (k, t, seq) => watch.reachedAt(k, t, seq),
    );
    const perEventMax = lags.slowest;
    for (const [i, m] of readModels.entries()) {
      const p = percentiles(lags.perModel[i] ?? []);
      rows.push([m.label, fmtInt(p.n), fmtInt(p.p50), fmtInt(p.p95), fmtInt(p.p99), fmtInt(p.max), versusGoal(p.p99, p.n, GOAL_MS)]);
    }
    const all = percentiles([...perEventMax.values()]);
    rows.push([
      'every read model (per event: the slowest)',
      fmtInt(all.n),
      fmtInt(all.p50),
      fmtInt(all.p95),
      fmtInt(all.p99),
      fmtInt(all.max),
      versusGoal(all.p99, all.n, GOAL_MS),
    ]);
    const pub = percentiles(
      measured.flatMap((c) => {
        const at = published.get(c.id);
        return at === undefined ? [] : [Math.max(0, at - c.committedAt)];
      }),
    );
    const app = percentiles(appendMs);
    // a lag that grows from the start of the run to its end is a backlog (throughput), not a latency
    const byCommit = [...perEventMax].sort((a, b) => a[0].committedAt - b[0].committedAt).map(([, v]) => v);
    const fifth = Math.max(1, Math.floor(byCommit.length / 5));
    const early = percentiles(byCommit.slice(0, fifth));
    const late = percentiles(byCommit.slice(-fifth));

    const mix = new Map<string, number>();
    for (const c of measured) mix.set(c.type, (mix.get(c.type) ?? 0) + 1);
    console.log(
      `Drove ${fmtInt(committed.size)} events in ${driveS.toFixed(1)} s (${fmtInt(committed.size / driveS)} ev/s achieved; ${stats.failures} failed appends), ` +
        `${fmtInt(measured.length)} measured: ${[...mix]
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k.replace(/\.v1$/, '')} ${fmtInt(v)}`)
          .join(', ')}.`,
    );
    console.log(
      `Append call p50 ${app.p50.toFixed(1)} / p99 ${app.p99.toFixed(1)} ms, at most ${stats.maxInFlight} appends in flight; bench process CPU ${((100 * (cpu.user + cpu.system)) / 1e6 / driveS).toFixed(0)}% of one core; ` +
        `load average after the drive ${loadAfterDrive.map((x) => x.toFixed(2)).join(' / ')}.`,
    );
    console.log(
      `Commit → published to JetStream (relay): p50 ${fmtInt(pub.p50)}, p95 ${fmtInt(pub.p95)}, p99 ${fmtInt(pub.p99)}, max ${fmtInt(pub.max)} ms. ` +
        `Checkpoint polls: ${fmtInt(watch.polls)}, median interval ${watch.medianIntervalMs().toFixed(1)} ms (a figure is late by up to one interval).` +
        (caughtUp ? '' : ' NOT every projector reached the head within 120 s after the drive!') +
        ` Database: ${fmtInt(xactsPerS)} transactions/s during the drive (appends, relay, ${projectors.length} projectors, stores, polls).` +
        (dead.length > 0 ? ` DEAD-LETTERED: ${dead.map((d) => `${d.projector} ${d.n}`).join(', ')}.` : ''),
    );
    console.log(
      `JetStream deliveries during the drive, per projector (one message per event, handled one at a time): ` +
        delivered
          .map(
            (d) =>
              `${d.name} ${fmtInt(d.perS)}/s at ${d.msEach.toFixed(1)} ms each${d.redeliveries > 0 ? ` (${d.redeliveries} redelivered)` : ''}`,
          )
          .join(', ') +
        `; ${fmtInt(cfg.rate)}/s each are needed to keep up.`,
    );
    console.log(
      `Trend (slowest read model per event): p50 ${fmtInt(early.p50)} ms over the first fifth of the measured events, ${fmtInt(late.p50)} ms over the last fifth ` +
        `(p50/p99 per tenth: ${Array.from({ length: 10 }, (_, i) => {
          const part = percentiles(byCommit.slice(Math.floor((i * byCommit.length) / 10), Math.floor(((i + 1) * byCommit.length) / 10)));
          return `${fmtInt(part.p50)}/${fmtInt(part.p99)}`;
        }).join(', ')})` +
        `${late.p50 > 1.25 * early.p50 + 100 ? ': growing, the projectors fall further behind as the run goes on (a backlog: throughput, not latency)' : ': flat'}.`,
    );
    console.log('');
    console.log(table(['read model', 'events', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'p99 vs 1 s'], rows));
    console.log(
      'Lag = from the append call resolving to the first checkpoint poll showing the projector at or past the event (the checkpoint commits with the ' +
        'read model, so a reader sees the event from then on); 0 when it was visible before the append call returned. Per read model: the events ' +
        'it handles (conversation views handle none in this mix). Last line: every measured event, until the slowest of all read models had it.',
    );
    console.log(
      `Goal "p99 commit-to-visible < ${fmtInt(GOAL_MS)} ms in every read store at ${fmtInt(cfg.rate)} ev/s": ${all.p99 < GOAL_MS && caughtUp ? 'met' : 'NOT met'} (p99 ${fmtInt(all.p99)} ms).`,
    );
  });
}

runMain(main);
