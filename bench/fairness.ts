/**
 * Noisy neighbours: does one tenant's burst delay the others? Tenant A appends a burst (default
 * 20,000 events) as fast as its writers can, straight through the event store as the services
 * append (no gateway, so none of its limits slow A down), while tenant B appends at a steady
 * 5 events/s. For B's events: commit-to-visible lag in every read store, first with B alone
 * (the baseline, in the same run), then during A's burst, until A's last event is visible
 * everywhere. Goal: B's p99 under 1 s in every read store during the burst. Same pipeline as
 * `bench/lag.ts` (bench/src/pipeline.ts). Never fails on a timing. See bench/README.md.
 */
import os from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { EventMeta } from '@mandant/contracts';
import { uuidv7 } from '@mandant/shared/ids';
import { fmtInt, fmtRatio, intEnv, machineLine, runMain, table, withFreshDatabase } from './src/harness.ts';
import { percentiles } from './src/latency.ts';
import { MIX } from './src/lag-workload.ts';
import { type Committed, consumingLine, startPipeline, streamOrderedAppender } from './src/pipeline.ts';
import { readModelLags, versusGoal } from './src/read-model-lag.ts';

const cfg = {
  burst: intEnv('BENCH_FAIRNESS_BURST', 20_000),
  writers: intEnv('BENCH_FAIRNESS_WRITERS', 16),
  rateB: intEnv('BENCH_FAIRNESS_RATE', 5),
  baselineSeconds: intEnv('BENCH_FAIRNESS_BASELINE_SECONDS', 30),
  pollMs: intEnv('BENCH_LAG_POLL_MS', 10),
  chunks: intEnv('BENCH_LAG_CHUNKS', 5),
  dimension: intEnv('BENCH_DIMENSION', 384),
  sweepMs: intEnv('BENCH_LAG_SWEEP_MS', 30_000),
};
const GOAL_MS = 1000;
const META: EventMeta = { actor: 'user:bench', correlation_id: 'bench-fairness', causation_id: null, traceparent: null };
type Phase = 'baseline' | 'burst' | 'after';

async function main(): Promise<void> {
  await withFreshDatabase(async (db, onCleanup) => {
    const { events, readModels, projectors, watch, published, traced, deliveredAt, grouped, setUp } = await startPipeline(db, onCleanup, {
      name: 'bench-fairness',
      sweepMs: cfg.sweepMs,
      pollMs: cfg.pollMs,
      meta: META,
    });
    console.log(`Noisy neighbours: tenant B at ${cfg.rateB} events/s while tenant A appends ${fmtInt(cfg.burst)} events as fast as it can`);
    console.log(machineLine(db.pgVersion));
    console.log(
      `Load average at start (1/5/15 min): ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' / ')}`,
    );

    const s0 = performance.now();
    const [a, b] = [uuidv7(), uuidv7()];
    const docsA = Math.ceil(((cfg.burst * MIX.document) / 4) * 1.3) + 5;
    const docsB = 40;
    const [wa, wb] = await Promise.all([
      setUp([a], { documentsPerTenant: docsA, chunks: cfg.chunks, dimension: cfg.dimension, seed: () => 7919 }),
      setUp([b], { documentsPerTenant: docsB, chunks: cfg.chunks, dimension: cfg.dimension, seed: () => 104729 }),
    ]);
    const A = wa?.[0]?.w;
    const B = wb?.[0]?.w;
    if (!A || !B) throw new Error('setup made no workload');
    console.log(
      `Setup: A and B (20 users, 6 projects, memberships each), ${fmtInt(docsA)} + ${docsB} documents of ${cfg.chunks} chunks (dimension ${cfg.dimension}) ` +
        `with sealed artefacts, ${((performance.now() - s0) / 1000).toFixed(1)} s; all projectors caught up.`,
    );
    console.log(
      `Pipeline as bench/lag.ts: event store + relay on a pool of 10, ${projectors.length} projectors on a pool of 10 (${consumingLine(grouped, readModels)}, sweep every ` +
        `${cfg.sweepMs / 1000} s), embedded stores on a pool of 6, checkpoints polled every ${cfg.pollMs} ms. Both tenants draw from the mix of bench/lag.ts, one event per append.`,
    );
    console.log('');

    traced.add(b);
    const committedB: Array<Committed & { phase: Phase }> = [];
    let phase: Phase = 'baseline';
    const appendB = streamOrderedAppender(events, META, (c) => committedB.push({ ...c, phase }));
    const appendA = streamOrderedAppender(events, META, () => {});
    watch.start();
    // every stage shares this process's event loop: how late its callbacks run, alone and during the burst
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();

    // B: open loop at its rate, from the baseline until A's burst is visible everywhere
    let driving = true;
    const driveB = (async () => {
      const t0 = performance.now();
      let issued = 0;
      while (driving) {
        const due = Math.floor(((performance.now() - t0) / 1000) * cfg.rateB);
        for (; issued < due; issued++) void appendB.issue(b, B.next(), true);
        await new Promise((r) => setTimeout(r, 5));
      }
      await appendB.settled();
    })();
    const baselineEnd = performance.now() + cfg.baselineSeconds * 1000;
    while (performance.now() < baselineEnd) await new Promise((r) => setTimeout(r, 50));

    // A: `writers` appends in flight at all times until the burst is appended
    const loopAlone = { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6 };
    loop.reset();
    phase = 'burst';
    const burstStart = performance.now();
    let issuedA = 0;
    await Promise.all(
      Array.from({ length: cfg.writers }, async () => {
        while (issuedA < cfg.burst) {
          issuedA += 1;
          await appendA.issue(a, A.next(), true);
        }
      }),
    );
    const appendedAt = performance.now();
    const headA = await events.head(a);
    // watched, not asked for (waitFor would queue catch-ups of A of its own)
    const deadline = performance.now() + 600_000;
    const visibleA = await Promise.all(
      projectors.map(async (p) => {
        while (watch.reachedAt(p.key, a, headA) === undefined && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        return watch.reachedAt(p.key, a, headA) ?? performance.now();
      }),
    );
    const burstEnd = Math.max(...visibleA);
    loop.disable();
    const loopBurst = { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6 };
    phase = 'after';
    driving = false;
    await driveB;
    const heads = new Map([
      [a, headA],
      [b, await events.head(b)],
    ]);
    const caughtUp = await watch.until(
      projectors.map((p) => p.key),
      heads,
      120_000,
    );
    watch.stop();
    await watch.stopped();

    const models = readModels.map((m, i) => ({ key: projectors[i]?.key ?? '', handles: m.projection.handles }));
    const reachedAt = (k: string, t: string, seq: number) => watch.reachedAt(k, t, seq);
    const base = readModelLags(
      models,
      committedB.filter((c) => c.phase === 'baseline'),
      reachedAt,
    );
    const during = readModelLags(
      models,
      committedB.filter((c) => c.phase === 'burst'),
      reachedAt,
    );
    const rows: string[][] = [];
    let met = caughtUp;
    const row = (label: string, x: number[], y: number[]): string[] => {
      const p0 = percentiles(x);
      const p1 = percentiles(y);
      if (p1.n > 0 && !(p1.p99 < GOAL_MS)) met = false;
      return [
        label,
        `${fmtInt(p0.p50)} / ${fmtInt(p0.p95)} / ${fmtInt(p0.p99)}`,
        fmtInt(p1.n),
        `${fmtInt(p1.p50)} / ${fmtInt(p1.p95)} / ${fmtInt(p1.p99)}`,
        fmtInt(p1.max),
        p0.n && p1.n ? fmtRatio(p1.p99 / Math.max(1, p0.p99)) : '-',
        versusGoal(p1.p99, p1.n, GOAL_MS),
      ];
    };
    for (const [i, m] of readModels.entries()) rows.push(row(m.label, base.perModel[i] ?? [], during.perModel[i] ?? []));
    rows.push(row('every read model (per event: the slowest)', [...base.slowest.values()], [...during.slowest.values()]));
    const relayLag = (ph: Phase) =>
      percentiles(
        committedB
          .filter((c) => c.phase === ph)
          .flatMap((c) => {
            const at = published.get(c.id);
            return at === undefined ? [] : [Math.max(0, at - c.committedAt)];
          }),
      );
    const [r0, r1] = [relayLag('baseline'), relayLag('burst')];
    // the rest of the lag: from the relay's publish until the slowest read model had the event
    const projectorLag = (lags: Map<Committed, number>) =>
      percentiles(
        [...lags].flatMap(([c, lag]) => {
          const at = published.get(c.id);
          return at === undefined ? [] : [Math.max(0, c.committedAt + lag - at)];
        }),
      );
    const [v0, v1] = [projectorLag(base.slowest), projectorLag(during.slowest)];
    // of which JetStream delivery: from the publish until the last projector's consumer had the message
    const deliveryLag = (ph: Phase) =>
      percentiles(
        committedB
          .filter((c) => c.phase === ph)
          .flatMap((c) => {
            const [p, d] = [published.get(c.id), deliveredAt.get(c.id)];
            return p === undefined || d === undefined ? [] : [Math.max(0, d - p)];
          }),
      );
    const [d0, d1] = [deliveryLag('baseline'), deliveryLag('burst')];
    const appA = percentiles(appendA.appendMs);
    const appB = percentiles(appendB.appendMs);

    const appendS = (appendedAt - burstStart) / 1000;
    const visibleS = (burstEnd - burstStart) / 1000;
    console.log(
      `A: ${fmtInt(headA)} events in its log; the burst of ${fmtInt(cfg.burst)} appended in ${appendS.toFixed(1)} s (${fmtInt(cfg.burst / appendS)} ev/s, ${cfg.writers} appends in flight, ` +
        `append call p50 ${appA.p50.toFixed(1)} / p99 ${appA.p99.toFixed(1)} ms, ${appendA.stats.failures} failed), visible in every read model ${visibleS.toFixed(1)} s after it began ` +
        `(${fmtInt(cfg.burst / visibleS)} ev/s end to end; per read model: ${readModels.map((m, i) => `${m.label} ${(((visibleA[i] ?? burstEnd) - burstStart) / 1000).toFixed(1)} s`).join(', ')}).`,
    );
    console.log(
      `B: ${committedB.length} events (${committedB.filter((c) => c.phase === 'baseline').length} alone over ${cfg.baselineSeconds} s, ${committedB.filter((c) => c.phase === 'burst').length} during A's burst), ` +
        `${appendB.stats.failures} failed; append call p50 ${appB.p50.toFixed(1)} / p99 ${appB.p99.toFixed(1)} ms. Commit → published (relay): alone p50 ${fmtInt(r0.p50)} / p99 ${fmtInt(r0.p99)} ms, ` +
        `during the burst p50 ${fmtInt(r1.p50)} / p99 ${fmtInt(r1.p99)} ms; published → visible in the slowest read model: alone p50 ${fmtInt(v0.p50)} / p99 ${fmtInt(v0.p99)} ms, ` +
        `during the burst p50 ${fmtInt(v1.p50)} / p99 ${fmtInt(v1.p99)} ms, ` +
        `of which JetStream delivery to the last of the consumers: alone p50 ${fmtInt(d0.p50)} / p99 ${fmtInt(d0.p99)} ms, during the burst p50 ${fmtInt(d1.p50)} / p99 ${fmtInt(d1.p99)} ms. ` +
        `Event loop delay of this process: alone p50 ${fmtInt(loopAlone.p50)} / p99 ${fmtInt(loopAlone.p99)} ms, during the burst p50 ${fmtInt(loopBurst.p50)} / p99 ${fmtInt(loopBurst.p99)} ms. Load average after: ${os
          .loadavg()
          .map((x) => x.toFixed(2))
          .join(' / ')}.` +
        (caughtUp ? '' : ' NOT every projector reached both heads within 120 s after the burst!'),
    );
    console.log('');
    console.log(
      table(
        [
          "read model (B's events)",
          'B alone p50/p95/p99 ms',
          'B during burst: events',
          'p50/p95/p99 ms',
          'max ms',
          'p99 burst/alone',
          'p99 vs 1 s',
        ],
        rows,
      ),
    );
    console.log(
      'Lag = from B\'s append call resolving to the first checkpoint poll showing the projector at or past the event. "During the burst": B\'s events ' +
        "committed from the start of A's burst until A's last event was visible in every read model (appending and projecting A's backlog).",
    );
    console.log(
      `Goal "B's p99 commit-to-visible < ${fmtInt(GOAL_MS)} ms in every read store during A's burst": ${met ? 'met' : 'NOT met'}.`,
    );
  });
}

runMain(main);
