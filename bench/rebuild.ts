/**
 * Rebuilding read models from the log: events per second of `projector.rebuild(tenant)` for each
 * projection on its own, the relational views and the four document store projections, against
 * a goal of 20,000 ev/s. Prints figures and ratios; never fails on a timing. See bench/README.md.
 */
import { performance } from 'node:perf_hooks';
import { documentViews } from '@mandant/documents';
import { membershipViews } from '@mandant/membership';
import { projectViews } from '@mandant/project';
import { type DocumentStores, documentProjections } from '@mandant/projectors';
import { createSql, withTenant } from '@mandant/shared/db';
import { createEventStore } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import { createLogger } from '@mandant/shared/log';
import { type Projection, REBUILD_PAGE, startProjector } from '@mandant/shared/projection';
import { tenantViews } from '@mandant/tenant';
import {
  CallLog,
  type StatementCounter,
  counted,
  createBenchStores,
  createCountingSql,
  fmtInt,
  fmtRatio,
  intEnv,
  machineLine,
  runMain,
  table,
  withFreshDatabase,
} from './src/harness.ts';
import { type LogShape, writeTenantLog } from './src/tenant-log.ts';

const shape: LogShape = {
  documents: intEnv('BENCH_REBUILD_DOCUMENTS', 200),
  chunks: intEnv('BENCH_REBUILD_CHUNKS', 5),
  dimension: intEnv('BENCH_DIMENSION', 384),
  projects: intEnv('BENCH_REBUILD_PROJECTS', 20),
  users: intEnv('BENCH_REBUILD_USERS', 100),
  linkEvents: intEnv('BENCH_REBUILD_LINK_EVENTS', 6000, 0),
  memberEvents: intEnv('BENCH_REBUILD_MEMBER_EVENTS', 12000, 0),
};
const GOAL = 20_000;

interface Entry {
  label: string;
  kind: 'view' | 'store';
  projection: Projection;
}
interface Result {
  entry: Entry;
  seconds: number;
  handled: number;
  calls: number;
  callMs: number;
  storeSql: number;
  projectorSql: number;
  dead: number;
}

async function main(): Promise<void> {
  await withFreshDatabase(async ({ appUrl, pgVersion }, onCleanup) => {
    const sql = createSql(appUrl, { max: 8, appName: 'mandant-bench-events' });
    onCleanup(() => sql.end({ timeout: 5 }));
    const projectorStatements: StatementCounter = { count: 0 };
    const projectorSql = createCountingSql(appUrl, projectorStatements, { max: 4, appName: 'mandant-bench-projectors' });
    onCleanup(() => projectorSql.end({ timeout: 5 }));
    const stores = await createBenchStores(appUrl);
    onCleanup(() => stores.close());
    const calls = new CallLog();
    const countedStores: DocumentStores = {
      keyring: stores.keyring,
      vectors: counted('vectors', stores.vectors, calls),
      text: counted('text', stores.text, calls),
      graph: counted('graph', stores.graph, calls),
      blobs: counted('blobs', stores.blobs, calls),
    };
    const docs = documentProjections(countedStores);
    // blobs first: in a real rebuild deleted documents' artefacts are long gone, and the other
    // store projections then take their purge path, as they would
    const entries: Entry[] = [
      { label: 'blobs (deletions)', kind: 'store', projection: docs.blobs },
      { label: 'tenant views', kind: 'view', projection: tenantViews },
      { label: 'membership views', kind: 'view', projection: membershipViews(stores.keyring) },
      { label: 'project views', kind: 'view', projection: projectViews },
      { label: 'document views', kind: 'view', projection: documentViews(stores.keyring) },
      { label: 'vectors', kind: 'store', projection: docs.vectors },
      { label: 'text', kind: 'store', projection: docs.text },
      { label: 'graph', kind: 'store', projection: docs.graph },
    ];
    const log = createLogger({ level: 'silent' });
    // started before the tenant exists, with a sweep that never comes: nothing runs until rebuild
    const projectors = entries.map((e) =>
      startProjector({ sql: projectorSql, projection: e.projection, log, sweepMs: 3_600_000, maxAttempts: 1 }),
    );
    onCleanup(async () => void (await Promise.allSettled(projectors.map((p) => p.stop()))));

    console.log('Rebuilding read models from the log: events per second per projection');
    console.log(machineLine(pgVersion));
    const tenantId = uuidv7();
    const g0 = performance.now();
    const events = createEventStore(sql);
    await writeTenantLog({ events, blobs: stores.blobs, keyring: stores.keyring }, tenantId, shape);
    const head = await events.head(tenantId);
    const log_ = await withTenant(
      sql,
      tenantId,
      (tx) => tx<{ type: string }[]>`
      select type from events where tenant_id = ${tenantId}`,
    );
    const mix = new Map<string, number>();
    for (const r of log_) mix.set(r.type.split('.')[0] ?? r.type, (mix.get(r.type.split('.')[0] ?? r.type) ?? 0) + 1);
    console.log(
      `Log: one tenant, ${fmtInt(head)} events written in ${((performance.now() - g0) / 1000).toFixed(1)} s (${[...mix].map(([k, v]) => `${k} ${fmtInt(v)}`).join(', ')}); ` +
        `${shape.documents} documents of ${shape.chunks} chunks (dimension ${shape.dimension}), ${shape.projects} projects, ${shape.users} users.`,
    );
    console.log(
      `Each projection rebuilt on its own (reset, then every event of the log in pages of ${fmtInt(REBUILD_PAGE)}, one transaction per page); stores: embedded Postgres, sealed local blobs.`,
    );
    console.log('');

    const results: Result[] = [];
    for (const [i, entry] of entries.entries()) {
      const projector = projectors[i];
      if (!projector) continue;
      const handledRows = log_.filter((r) => entry.projection.handles(r.type));
      calls.reset();
      const s0 = stores.statements.count;
      const q0 = projectorStatements.count;
      const t0 = performance.now();
      await projector.rebuild(tenantId);
      const seconds = (performance.now() - t0) / 1000;
      const [{ dead } = { dead: 0 }] = await withTenant(
        sql,
        tenantId,
        (tx) => tx<{ dead: number }[]>`
        select count(*)::int as dead from projection_dead_letters where tenant_id = ${tenantId} and projector = ${projector.key}`,
      );
      const result: Result = {
        entry,
        seconds,
        handled: handledRows.length,
        calls: calls.total(),
        callMs: calls.ms,
        storeSql: stores.statements.count - s0,
        projectorSql: projectorStatements.count - q0,
        dead,
        // document store projections fold the document's stream up to each event they handle
      };
      results.push(result);
      console.log(
        `  ${entry.label}: ${fmtInt(head / seconds)} ev/s (${fmtInt(head)} events, ${fmtInt(result.handled)} handled, ${seconds.toFixed(2)} s); ` +
          `projector-pool SQL ${fmtInt(result.projectorSql)}` +
          (entry.kind === 'store'
            ? `; store calls ${fmtInt(result.calls)} (${((100 * result.callMs) / 1000 / seconds).toFixed(0)}% of the time), store-pool SQL ${fmtInt(result.storeSql)}`
            : '') +
          (dead > 0 ? `; ${dead} DEAD-LETTERED` : ''),
      );
    }

    const total = results.reduce((s, r) => s + r.seconds, 0);
    console.log('');
    console.log(
      table(
        ['projection', 'handled events', 'seconds', 'log ev/s', 'handled ev/s', 'store calls', `vs ${fmtInt(GOAL)} ev/s`],
        [
          ...results.map((r) => [
            r.entry.label,
            fmtInt(r.handled),
            r.seconds.toFixed(2),
            fmtInt(head / r.seconds),
            fmtInt(r.handled / r.seconds),
            r.entry.kind === 'store' ? fmtInt(r.calls) : '-',
            `${fmtRatio(head / r.seconds / GOAL)} ${head / r.seconds >= GOAL ? 'met' : 'NOT met'}`,
          ]),
          [
            'all, one after another',
            '',
            total.toFixed(2),
            fmtInt(head / total),
            '',
            '',
            `${fmtRatio(head / total / GOAL)} ${head / total >= GOAL ? 'met' : 'NOT met'}`,
          ],
        ],
      ),
    );
    console.log(
      'log ev/s = events in the log ÷ seconds of rebuild(tenant): the rate at which the projection replays the log, skipped events included ' +
        '(the goal figure). handled ev/s counts only the events the projection applies. "all, one after another" = every read model ' +
        'rebuilt in turn: events in the log ÷ the summed seconds.',
    );
    const slow = results.filter((r) => head / r.seconds < GOAL);
    for (const r of slow) {
      const perEvent = r.handled > 0 ? r.storeSql / r.handled : 0;
      const viewSql = r.handled > 0 ? r.projectorSql / r.handled : 0;
      console.log(
        `Below the goal: ${r.entry.label}: ` +
          (r.entry.kind === 'store'
            ? `${fmtInt(r.handled)} handled events cost ${fmtInt(r.calls)} store calls (${(r.calls / Math.max(1, r.handled)).toFixed(1)} per event, ` +
              `${perEvent.toFixed(1)} store-pool statements per event, each call its own transaction), ${((100 * r.callMs) / 1000 / r.seconds).toFixed(0)}% of its time inside store calls`
            : `${fmtInt(r.handled)} handled events cost ${fmtInt(r.projectorSql)} statements on the projector pool (${viewSql.toFixed(2)} per handled event)`) +
          '.',
      );
    }
    if (slow.length === 0) console.log(`Every projection rebuilds at ≥ ${fmtInt(GOAL)} ev/s of log.`);
  });
}

runMain(main);
