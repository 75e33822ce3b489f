/**
 * Auditor's verify throughput: a 100,000-event tenant log written through the real event store in
 * a fresh database, exported with `mandant audit export`'s code, then verified from the file with
 * `mandant audit verify`'s code (stream-parsed, cheap shape check, content hashes recomputed).
 * Baseline in the same run: readline + zod `EventEnvelope.parse` + the event store's
 * `createChainVerifier`. Also verifies a copy with one altered byte and prints what it names.
 * Prints figures and ratios; never fails on a timing. See bench/README.md.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { EventEnvelope, type EventMeta, type NewEvent } from '@mandant/contracts';
import { createSql } from '@mandant/shared/db';
import { createEventStore } from '@mandant/shared/eventstore';
import { createChainVerifier } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import { exportTenantLog, verifyFile } from '@mandant/platform';
import { fmtInt, fmtRatio, intEnv, machineLine, median, runMain, table, withFreshDatabase } from './src/harness.ts';

const cfg = {
  events: intEnv('BENCH_EVENTS', 100_000),
  rounds: intEnv('BENCH_ROUNDS', 3),
  /** events per append */
  batch: intEnv('BENCH_BATCH', 50),
  writers: intEnv('BENCH_WRITERS', 8),
};
const GOAL = 20_000;
const META: EventMeta = { actor: 'user:bench', correlation_id: 'bench-verify', causation_id: 'cause-1', traceparent: null };

/** ~400 bytes of data with nesting, arrays and non-ASCII text, like the document events. */
function eventOf(i: number, projectId: string): NewEvent {
  return {
    id: uuidv7(),
    type: i % 3 === 0 ? 'document.linked.v1' : 'member.state_saved.v1',
    project_id: i % 5 === 0 ? null : projectId,
    occurred_at: new Date(1_700_000_000_000 + i * 1000).toISOString(),
    data: {
      project_ids: [projectId, uuidv7()],
      reason: 'bench',
      n: i,
      ratio: i / 7,
      ok: i % 2 === 0,
      none: null,
      state: {
        zeta: `Überprüfung ${i}`,
        alpha: { list: [1, 2.5, 'drei', { b: true, a: null }], text: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit' },
      },
      sealed: 'v1.'.concat('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo'.repeat(4)),
    },
  };
}

async function writeLog(appUrl: string, tenantId: string): Promise<void> {
  const sql = createSql(appUrl, { max: cfg.writers, appName: 'mandant-bench-verify' });
  try {
    const store = createEventStore(sql);
    const projectId = uuidv7();
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: cfg.writers }, async (_, w) => {
        let stream = 0;
        while (next < cfg.events) {
          const from = next;
          next += cfg.batch;
          const n = Math.min(cfg.batch, cfg.events - from);
          const events = Array.from({ length: n }, (_, k) => eventOf(from + k, projectId));
          await store.append(tenantId, `bench-${w}-${stream++}`, 0, events, META);
        }
      }),
    );
    console.log(`Wrote ${fmtInt(cfg.events)} events through the event store in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The straightforward way: readline, zod per line, the event store's chain verifier. */
async function naiveVerify(file: string): Promise<{ ok: boolean; checked: number }> {
  let verifier: ReturnType<typeof createChainVerifier> | null = null;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const e = EventEnvelope.parse(JSON.parse(line));
    verifier ??= createChainVerifier(e.tenant_id);
    if (!verifier.push(e)) break;
  }
  const r = verifier?.report();
  return { ok: r?.ok ?? false, checked: r?.checked ?? 0 };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mandant-bench-verify-'));
  try {
    await withFreshDatabase(async (db) => {
      console.log(machineLine(db.pgVersion));
      const tenantId = uuidv7();
      await writeLog(db.appUrl, tenantId);
      const file = path.join(dir, 'log.ndjson');
      const sql = createSql(db.appUrl, { max: 2, appName: 'mandant-bench-export' });
      try {
        const out = createWriteStream(file);
        const exp = await timed(() => exportTenantLog(createEventStore(sql), tenantId, out));
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        const size = (await stat(file)).size;
        console.log(
          `Exported ${fmtInt(exp.value.written)} events (${(size / 1024 ** 2).toFixed(1)} MiB, ${Math.round(size / exp.value.written)} bytes/line) in ${(exp.ms / 1000).toFixed(1)} s = ${fmtInt(exp.value.written / (exp.ms / 1000))} ev/s.`,
        );
      } finally {
        await sql.end({ timeout: 5 });
      }

      const ours: number[] = [];
      const naive: number[] = [];
      for (let r = 1; r <= cfg.rounds; r++) {
        const a = await timed(() => verifyFile(file));
        if (!a.value.ok || a.value.checked !== cfg.events)
          throw new Error(`verify failed on the untouched export: ${JSON.stringify(a.value.broken)}`);
        const b = await timed(() => naiveVerify(file));
        if (!b.value.ok) throw new Error('baseline verify failed on the untouched export');
        ours.push(cfg.events / (a.ms / 1000));
        naive.push(cfg.events / (b.ms / 1000));
        console.log(`round ${r}/${cfg.rounds}: audit verify ${fmtInt(ours.at(-1) ?? 0)} ev/s, baseline ${fmtInt(naive.at(-1) ?? 0)} ev/s`);
      }
      const mine = median(ours);
      const base = median(naive);
      console.log(`\nMedian over ${cfg.rounds} rounds, ${fmtInt(cfg.events)} events:`);
      console.log(
        table(
          ['verifier', 'events/s', 'vs goal 20,000'],
          [
            ['mandant audit verify (file)', fmtInt(mine), fmtRatio(mine / GOAL)],
            ['baseline: readline + zod + createChainVerifier', fmtInt(base), fmtRatio(base / GOAL)],
          ],
        ),
      );
      console.log(`audit verify = ${fmtRatio(mine / base)} the baseline; goal ${mine >= GOAL ? 'met' : 'NOT met'}.`);

      // one byte altered inside one event's data, in the middle of the file
      const text = await readFile(file, 'utf8');
      const lines = text.split('\n');
      const target = Math.floor(cfg.events / 2);
      const line = lines[target - 1] ?? '';
      const at = line.indexOf('Lorem');
      lines[target - 1] = `${line.slice(0, at)}l${line.slice(at + 1)}`;
      const tampered = path.join(dir, 'tampered.ndjson');
      await writeFile(tampered, lines.join('\n'));
      const t = await timed(() => verifyFile(tampered));
      console.log(
        `\nOne byte altered on line ${target} ('L' → 'l' in its data): ${t.value.ok ? 'NOT detected' : `detected in ${fmtInt(t.ms)} ms: ${t.value.broken?.message}`}`,
      );
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

runMain(main);
