import { createHash } from 'node:crypto';
import { EventEnvelope, TENANT_OFFBOARDED } from '@mandant/contracts';
import { type Tx, derivedStateSettings, inProjectorPage, readOfTheLog, withTenant } from '../db/connect.ts';
import { rowToEnvelope } from '../eventstore/event-store.ts';
import { whenAllSettled } from '../in-parallel.ts';
import { safeErrorText } from './dead-letters.ts';
import { PAGE } from './page.ts';
import { type Projection, type Projector, type ProjectorOptions, type Runner, createRunner, drive, startProjector } from './projector.ts';

/**
 * The projections of one process, run as a group: one JetStream durable and one sweep for all of
 * them, and, for a tenant with news, one transaction per page that reads the log once, applies
 * every projection's share of it (each from its own checkpoint) and moves every checkpoint. Nine
 * projections cost one delivery per event and one transaction per page instead of nine.
 *
 * That page is the fast path only. When anything in it fails (an event that does not parse, a
 * projection that throws, a store that is down, the commit), it is rolled back as a whole and
 * each projection catches the tenant up on its own runner (projector.ts): its careful pages,
 * retries and dead letters, exactly as a projector started alone. The group goes on from there
 * with the next news. A page locks the checkpoints it moves in one statement, in the order of
 * their names, so groups in several replicas and single runners never wait on each other in a
 * circle; a checkpoint a projection moved meanwhile is simply where its share of the next page
 * starts.
 *
 * Only projections of one lane (Projection.lane, default `database`) form a group: a projection
 * that writes to an engine of its own runs apart, so a slow engine never holds up the read models
 * in Postgres. A lane of one projection runs it as `startProjector` does.
 *
 * Returns one Projector per projection (in the order given). In a group their `catchUp` (to the
 * head, whatever `upTo` says) and `waitFor` run the group; `rebuild` is each projection's own.
 * Stopping any of them stops its group's driver: a group is stopped as a whole.
 */
export function startProjectors(deps: ProjectorOptions & { projections: readonly Projection[] }): Projector[] {
  const lanes = new Map<string, number[]>();
  for (const [i, p] of deps.projections.entries()) {
    const lane = p.lane ?? 'database';
    lanes.set(lane, [...(lanes.get(lane) ?? []), i]);
  }
  const started: Projector[] = [];
  for (const indices of lanes.values()) {
    const projections = indices.map((i) => deps.projections[i] as Projection);
    const [only] = projections;
    const projectors =
      only && projections.length === 1 ? [startProjector({ ...deps, projection: only })] : startGroup({ ...deps, projections });
    for (const [k, i] of indices.entries()) started[i] = projectors[k] as Projector;
  }
  return started;
}

/** The projections of one lane as one group (see startProjectors). */
function startGroup(deps: ProjectorOptions & { projections: readonly Projection[] }): Projector[] {
  const { sql, log } = deps;
  const runners = [...deps.projections].map((projection) => createRunner({ ...deps, projection }));
  if (runners.length === 0) return [];
  const byKey = [...runners].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const keys = byKey.map((r) => r.key);
  const names = keys.join(',');
  const lowest = (tenantId: string): number => Math.min(...runners.map((r) => r.position(tenantId)));
  let stopped = false;

  /** Types no projection of the group handles (never the tombstone): their payloads stay in the database. */
  const ignored = new Set<string>();
  const someoneHandles = (type: string): boolean => {
    if (ignored.has(type)) return false;
    const read = type === TENANT_OFFBOARDED || runners.some((r) => r.projection.handles(type));
    if (!read) ignored.add(type);
    return read;
  };

  /** Where a page left a projection: `applied` events applied by it, `moved` when its checkpoint moved. */
  type Share = { runner: Runner; to: number; applied: number; moved: boolean };

  /**
   * One page for every projection of the group, in one transaction; throws on any failure (the
   * whole page rolls back). Returns where it left each projection (one whose checkpoint another
   * process moved past the page stays there) and whether the log holds more.
   */
  async function groupPage(tenantId: string): Promise<{ shares: Share[]; more: boolean }> {
    return withTenant(sql, tenantId, async (tx) => {
      const lock = () =>
        tx<{ projector: string; position: number }[]>`
          select projector, position from projection_checkpoints
          where tenant_id = ${tenantId} and projector = any(${keys}::text[]) order by projector for update`;
      const kept = (column: string) => tx`case when e.ignored then null else e.${tx(column)} end as ${tx(column)}`;
      // the page starts after the lowest of the checkpoints just locked (0 while one is missing)
      const read = tx<(Record<string, unknown> & { tenant_seq: number; type: string })[]>`
        select e.id, e.type, e.tenant_id, e.tenant_seq, e.version, e.occurred_at,
               ${kept('project_id')}, ${kept('stream')}, ${kept('actor')}, ${kept('correlation_id')}, ${kept('causation_id')},
               ${kept('traceparent')}, ${kept('prev_hash')}, ${kept('hash')}, ${kept('data')}
        from (select *, type = any(${[...ignored]}::text[]) as ignored from events
              where tenant_id = ${tenantId}
                and tenant_seq > (select case when count(*) = ${keys.length} then min(position) else 0 end
                                  from projection_checkpoints where tenant_id = ${tenantId} and projector = any(${keys}::text[]))
              order by tenant_seq limit ${PAGE}) e
        order by e.tenant_seq`;
      // the settings, the lock and the read (planned for its values) in one round trip
      const [, locked, rows] = await Promise.all([derivedStateSettings(tx).execute(), lock().execute(), readOfTheLog(tx, read)]);
      let held = locked;
      if (held.length < keys.length) {
        await tx`insert into projection_checkpoints (tenant_id, projector)
                 select ${tenantId}, k from unnest(${keys}::text[]) k on conflict do nothing`;
        held = await lock();
      }
      const at = new Map(held.map((h) => [h.projector, Number(h.position)]));
      const last = rows.at(-1);
      const standing = (): Share[] => byKey.map((runner) => ({ runner, to: at.get(runner.key) ?? 0, applied: 0, moved: false }));
      if (!last) return { shares: standing(), more: false };
      const page = rows.map((row) => {
        const unchecked = rowToEnvelope(row as never);
        // only the type and position of an event no projection handles are read
        return someoneHandles(String(row.type)) ? EventEnvelope.parse(unchecked) : unchecked;
      });
      const end = Number(last.tenant_seq);
      const work = byKey
        .map((runner) => {
          const start = at.get(runner.key) ?? 0;
          const events = page.filter((e) => e.tenant_seq > start);
          return { runner, events, handled: events.filter((e) => runner.projection.handles(e.type)) };
        })
        .filter((w) => w.events.length > 0);
      // The checkpoints move first, in the same write as the shares' first statements (no round
      // trip of its own): nothing outside the transaction sees the order of its statements, and a
      // share that fails rolls the move back with everything else.
      const moved = tx`
        update projection_checkpoints set position = ${end}, updated_at = now()
        where tenant_id = ${tenantId} and projector = any(${work.map((w) => w.runner.key)}::text[])`.execute();
      // Each projection's share at once, side by side on the one transaction (its statements
      // pipeline, the embedded stores' too: inProjectorPage; an engine is written meanwhile).
      // Every share is waited for before the page fails, so nothing is sent on the transaction
      // after it ended.
      await whenAllSettled([
        moved,
        ...work.map((w) => inProjectorPage(tenantId, tx, () => applyShare(tx, tenantId, w.runner.projection, w.events, w.handled))),
      ]);
      for (const w of work) at.set(w.runner.key, end);
      const applied = new Map(work.map((w) => [w.runner.key, w.handled.length]));
      const shares = standing().map((s) => ({ ...s, applied: applied.get(s.runner.key) ?? 0, moved: applied.has(s.runner.key) }));
      return { shares, more: rows.length === PAGE };
    });
  }

  /** A projection's share of a page: its handled events in log order, then the tombstone's reset. */
  async function applyShare(tx: Tx, tenantId: string, projection: Projection, events: EventEnvelope[], handled: EventEnvelope[]) {
    if (handled.length > 0) {
      if (projection.applyBatch) await projection.applyBatch(tx, handled);
      else for (const e of handled) await projection.apply(tx, e);
    }
    if (events.some((e) => e.type === TENANT_OFFBOARDED)) await projection.reset(tx, tenantId);
  }

  /** Group pages to the head; on a failure, every projection catches up on its own runner. */
  async function run(tenantId: string): Promise<void> {
    for (;;) {
      let page: Awaited<ReturnType<typeof groupPage>>;
      try {
        page = await groupPage(tenantId);
      } catch (err) {
        if (stopped) throw err;
        log.warn(
          { tenant_id: tenantId, projector: names, error: safeErrorText(err) },
          'group page failed; each projection applies it on its own',
        );
        await whenAllSettled(runners.map((r) => r.catchUp(tenantId)));
        return;
      }
      for (const s of page.shares) {
        s.runner.advanced(tenantId, s.to);
        if (!s.moved) continue;
        deps.metrics?.projectorPages.inc(s.runner.labels);
        deps.metrics?.projectorEventsApplied.inc(s.runner.labels, s.applied);
      }
      if (!page.more) return;
    }
  }

  // A tenant's runs are serialised; requests arriving while one is queued fold into it, and a run
  // that fails is asked for again after a pause (the log, not the message, is what must be applied).
  const chains = new Map<string, Promise<void>>();
  const requested = new Set<string>();
  function chain(tenantId: string, step: () => Promise<void>): Promise<void> {
    const next = (chains.get(tenantId) ?? Promise.resolve()).catch(() => {}).then(step);
    chains.set(tenantId, next);
    void next
      .finally(() => {
        if (chains.get(tenantId) === next) chains.delete(tenantId);
      })
      .catch(() => {});
    return next;
  }
  function request(tenantId: string): void {
    if (requested.has(tenantId) || stopped) return;
    requested.add(tenantId);
    chain(tenantId, () => {
      requested.delete(tenantId);
      return run(tenantId);
    }).catch((err: unknown) => {
      log.warn({ err, tenant_id: tenantId, projector: names }, 'catch-up failed; asking again');
      setTimeout(() => request(tenantId), 1_000).unref();
    });
  }

  const catchUpAll = (tenantId: string): Promise<void> => chain(tenantId, () => run(tenantId));
  const stopDriver = drive({
    ...deps,
    durable: `projectors-${createHash('sha256').update(names).digest('hex').slice(0, 16)}`,
    runners,
    behind: (tenantId, position) => lowest(tenantId) < position,
    request,
    catchUp: (tenantId) => catchUpAll(tenantId),
  });
  let stopping: Promise<void> | undefined;
  const stopGroup = (): Promise<void> =>
    (stopping ??= (async () => {
      stopped = true;
      await stopDriver();
      await Promise.allSettled([...chains.values()]);
    })());
  return runners.map((r) => r.projector(stopGroup, catchUpAll));
}
