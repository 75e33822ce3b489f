/**
 * The pipeline's ceiling: `bench/lag.ts`'s pipeline and event mix driven at rising rates, a step
 * at a time, until commit-to-visible lag diverges; prints each step and the knee (the highest rate
 * the pipeline keeps up with) for one process of projectors and for two (a second process with the
 * same read models on the same durables, as a replica of the projector service). Prints figures;
 * never fails on a timing. See bench/README.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { EventMeta } from '@mandant/contracts';
import { uuidv7 } from '@mandant/shared/ids';
import { fmtInt, intEnv, intListEnv, machineLine, runMain, table, withFreshDatabase } from './src/harness.ts';
import { percentiles } from './src/latency.ts';
import { MIX } from './src/lag-workload.ts';
import { type Committed, startPipeline, streamOrderedAppender } from './src/pipeline.ts';
import { readModelLags } from './src/read-model-lag.ts';

const cfg = {
  replicas: intListEnv('BENCH_CEILING_REPLICAS', [1, 2]),
  from: intEnv('BENCH_CEILING_FROM', 200),
  step: intEnv('BENCH_CEILING_STEP', 200),
  to: intEnv('BENCH_CEILING_TO', 1200),
  seconds: intEnv('BENCH_CEILING_SECONDS', 15),
  tenants: intEnv('BENCH_LAG_TENANTS', 8),
  pollMs: intEnv('BENCH_LAG_POLL_MS', 10),
  chunks: intEnv('BENCH_LAG_CHUNKS', 5),
  dimension: intEnv('BENCH_DIMENSION', 384),
  sweepMs: intEnv('BENCH_LAG_SWEEP_MS', 30_000),
  /** how long a step's backlog may take to drain after its drive before the step counts as diverged */
  drainS: intEnv('BENCH_CEILING_DRAIN_S', 60),
};
const GOAL_MS = 1000;
const META: EventMeta = { actor: 'user:bench', correlation_id: 'bench-ceiling', causation_id: null, traceparent: null };

interface Step {
  rate: number;
  achieved: number;
  p50: number;
  p99: number;
  max: number;
  earlyP50: number;
  lateP50: number;
  drainS: number;
  caughtUp: boolean;
  cpu: number;
  load: number;
}

/** A step is kept up with when its lag stays bounded: no growing trend, the rate reached, the backlog gone at once (whatever its p99). */
function keptUp(s: Step): boolean {
  const growing = s.lateP50 > 1.25 * s.earlyP50 + 100;
  return s.caughtUp && !growing && s.achieved >= 0.95 * s.rate && s.drainS < 2;
}

async function startReplica(config: Record<string, unknown>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'src', 'projector-replica.ts')], {
    env: { ...process.env, BENCH_REPLICA: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') resolve();
    });
    child.once('exit', (code) => reject(new Error(`projector replica exited (${code}) before it was ready`)));
  });
  return child;
}

async function stopReplica(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function ramp(replicas: number): Promise<Step[]> {
  const steps: Step[] = [];
  await withFreshDatabase(async (db, onCleanup) => {
    if (replicas === cfg.replicas[0]) console.log(machineLine(db.pgVersion));
    const blobRoot = await mkdtemp(path.join(os.tmpdir(), 'mandant-bench-ceiling-blobs-'));
    onCleanup(() => rm(blobRoot, { recursive: true, force: true }));
    const shared = { masterKey: randomBytes(32).toString('base64'), blobRoot };
    const { natsUrl, events, readModels, projectors, watch, setUp } = await startPipeline(db, onCleanup, {
      name: 'bench-ceiling',
      sweepMs: cfg.sweepMs,
      pollMs: cfg.pollMs,
      meta: META,
      shared,
    });
    for (let r = 1; r < replicas; r++) {
      const child = await startReplica({ appUrl: db.appUrl, natsUrl, ...shared, sweepMs: cfg.sweepMs });
      onCleanup(() => stopReplica(child));
    }

    const rates: number[] = [];
    for (let rate = cfg.from; rate <= cfg.to; rate += cfg.step) rates.push(rate);
    // enough documents for every step, should the ramp go all the way
    const totalEvents = rates.reduce((sum, rate) => sum + rate * cfg.seconds, 0);
    const docsPerTenant = Math.ceil(((totalEvents * MIX.document) / 4 / cfg.tenants) * 1.3) + 5;
    const tenants = Array.from({ length: cfg.tenants }, () => uuidv7());
    const s0 = performance.now();
    const workloads = await setUp(tenants, {
      documentsPerTenant: docsPerTenant,
      chunks: cfg.chunks,
      dimension: cfg.dimension,
      seed: (t) => 7919 * (t + 1),
    });
    console.log(
      `${replicas} process${replicas > 1 ? 'es' : ''} of projectors: setup of ${cfg.tenants} tenants and ${fmtInt(docsPerTenant * cfg.tenants)} documents in ` +
        `${((performance.now() - s0) / 1000).toFixed(1)} s; steps of ${cfg.seconds} s from ${fmtInt(cfg.from)} ev/s up by ${fmtInt(cfg.step)}.`,
    );
    watch.start();
    const keys = projectors.map((p) => p.key);
    let issued = 0;
    /** drives `rate` for `seconds`, open loop; resolves when every append settled */
    const drive = async (rate: number, seconds: number, committed: Committed[]): Promise<number> => {
      const appender = streamOrderedAppender(events, META, (c) => committed.push(c));
      const t0 = performance.now();
      const total = rate * seconds;
      let n = 0;
      while (n < total) {
        const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
        for (; n < due; n++, issued++) {
          const w = workloads[issued % workloads.length];
          if (w) void appender.issue(w.tenantId, w.w.next(), true);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      await appender.settled();
      return (performance.now() - t0) / 1000;
    };
    const headsNow = async (): Promise<Map<string, number>> =>
      new Map(await Promise.all(tenants.map(async (t) => [t, await events.head(t)] as const)));
    // warm-up, not counted: the first seconds of a process run colder than the rest
    await drive(cfg.from, 3, []);
    await watch.until(keys, await headsNow(), cfg.drainS * 1000);
    for (const rate of rates) {
      const committed: Committed[] = [];
      const cpu0 = process.cpuUsage();
      const driveS = await drive(rate, cfg.seconds, committed);
      const cpu = process.cpuUsage(cpu0);
      const load = os.loadavg()[0] ?? 0;
      const heads = await headsNow();
      const d0 = performance.now();
      const caughtUp = await watch.until(keys, heads, cfg.drainS * 1000);
      const drainS = (performance.now() - d0) / 1000;
      const lags = readModelLags(
        readModels.map((m, i) => ({ key: keys[i] ?? '', handles: m.projection.handles })),
        committed,
        (k, t, seq) => watch.reachedAt(k, t, seq),
      );
      const all = percentiles([...lags.slowest.values()]);
      const byCommit = [...lags.slowest].sort((a, b) => a[0].committedAt - b[0].committedAt).map(([, v]) => v);
      const fifth = Math.max(1, Math.floor(byCommit.length / 5));
      const step: Step = {
        rate,
        achieved: committed.length / driveS,
        p50: all.p50,
        p99: all.p99,
        max: all.max,
        earlyP50: percentiles(byCommit.slice(0, fifth)).p50,
        lateP50: percentiles(byCommit.slice(-fifth)).p50,
        drainS,
        caughtUp,
        cpu: (100 * (cpu.user + cpu.system)) / 1e6 / driveS,
        load,
      };
      steps.push(step);
      console.log(
        `  ${fmtInt(rate)} ev/s: achieved ${fmtInt(step.achieved)}, lag p50 ${fmtInt(step.p50)} / p99 ${fmtInt(step.p99)} ms, ` +
          `first→last fifth p50 ${fmtInt(step.earlyP50)}→${fmtInt(step.lateP50)} ms, backlog drained ${caughtUp ? `${drainS.toFixed(1)} s` : `NOT within ${cfg.drainS} s`} after the drive; ` +
          `bench process CPU ${step.cpu.toFixed(0)}% of one core, load ${load.toFixed(1)}: ${keptUp(step) ? 'kept up' : 'diverged'}`,
      );
      if (!keptUp(step) || !caughtUp) break;
    }
    watch.stop();
    await watch.stopped();
  });
  return steps;
}

async function main(): Promise<void> {
  console.log(`The pipeline's ceiling: rising event rates through relay, JetStream and every projector, until lag diverges`);
  console.log(
    `Each step drives bench/lag's mix (${MIX.document * 100}% document lifecycle, ${MIX.link * 100}% link/unlink, the rest project and member activity) ` +
      `over ${cfg.tenants} tenants, one event per append, for ${cfg.seconds} s, then waits for every projector to reach the head. A step is kept up with ` +
      `when its lag (per event, the slowest read model) does not grow from the first fifth of the step to the last (p50 by more than 25 % + 100 ms), ` +
      `the rate is reached (95 %), and the backlog is gone within 2 s of the drive. The knee is the last step kept up with; the lag goal ` +
      `(p99 under ${fmtInt(GOAL_MS)} ms) is reported beside it.`,
  );
  const results: Array<{ replicas: number; steps: Step[] }> = [];
  for (const replicas of cfg.replicas) {
    console.log('');
    results.push({ replicas, steps: await ramp(replicas) });
  }
  console.log('');
  const rows = results.map(({ replicas, steps }) => {
    const kept = steps.filter(keptUp);
    const knee = kept.at(-1);
    const over = steps.find((s) => !keptUp(s));
    const withinGoal = kept.filter((s) => s.p99 < GOAL_MS).at(-1);
    return [
      `${replicas}`,
      knee ? fmtInt(knee.rate) : `< ${fmtInt(cfg.from)}`,
      withinGoal ? fmtInt(withinGoal.rate) : `< ${fmtInt(cfg.from)}`,
      knee ? `${fmtInt(knee.p50)} / ${fmtInt(knee.p99)}` : '-',
      over ? fmtInt(over.rate) : `not reached (≤ ${fmtInt(cfg.to)})`,
      over ? `${fmtInt(over.p50)} / ${fmtInt(over.p99)}` : '-',
      knee ? `${(knee.rate / 1000).toFixed(2)}×` : '-',
    ];
  });
  console.log(
    table(
      [
        'projector processes',
        'knee ev/s',
        `highest rate with p99 < ${fmtInt(GOAL_MS / 1000)} s`,
        'lag p50 / p99 ms at the knee',
        'diverged at ev/s',
        'lag p50 / p99 ms there',
        'knee vs 1,000 ev/s',
      ],
      rows,
    ),
  );
}

runMain(main);
