import { EventEnvelope, TENANT_OFFBOARDED } from '@mandant/contracts';
import { type Sql, type Tx, ahead, derivedStateSettings, inProjectorPage, readOfTheLog, withTenant } from '../db/connect.ts';
import { isTransient } from '../errors.ts';
import { rowToEnvelope } from '../eventstore/event-store.ts';
import type { EventRef } from './dead-letters.ts';
import type { Projection } from './projector.ts';

/**
 * One page of a projector's run: lock the tenant's checkpoint, read the events after it, apply
 * them (fast, or carefully in savepoints), move the checkpoint, all in one transaction. What to
 * do with a failure (retry, dead-letter) is the runner's (projector.ts).
 */

export const PAGE = 500;
/**
 * Events per page while a projection rebuilds a tenant from scratch: fewer, larger transactions
 * (a page's writes are set-based, so a larger page costs less per event), and a projection that
 * folds a page writes each row once per page. A failure is isolated as on any page.
 */
export const REBUILD_PAGE = 5_000;
/** Which event of a page applied in turn failed, and why. */
class InTurnFailure extends Error {
  constructor(
    readonly index: number,
    override readonly cause: unknown,
  ) {
    super('an event of the page failed', { cause });
  }
}

/**
 * The fast path's failure to apply a page: which event failed when the events were applied in
 * turn (null when a batch failed as a whole), so the careful try of the same page does not try
 * again what is known to fail (a poison event is tried once per attempt).
 */
export class FastPathFailure extends Error {
  constructor(
    readonly index: number | null,
    override readonly cause: unknown,
  ) {
    super('the page failed on the fast path', { cause });
  }
}

/** `apply` on each event in turn; a failure names the event's index. */
async function applyInTurn(projection: Projection, tx: Tx, events: readonly EventEnvelope[]): Promise<void> {
  for (const [index, event] of events.entries()) {
    try {
      await projection.apply(tx, event);
    } catch (err) {
      throw new InTurnFailure(index, err);
    }
  }
}

/**
 * Runs `fn` in a savepoint of postgres.js's own (`tx.savepoint`): when `fn` or any statement it
 * sent fails, rolls back to it and rethrows, and the page's transaction goes on.
 *
 * Why not a plain `savepoint` statement (sent ahead, no round trip), as this runner once did:
 * postgres.js remembers the first failed statement of a transaction scope even when the caller
 * caught it, and fails that scope with it at the end. A projection statement the database refused
 * (a NUL in a text column: 22021) was rolled back to the savepoint, then failed the whole page
 * transaction again at its commit, before the event was counted: never dead-lettered, retried for
 * ever, the tenant's views stalled. Only a nested scope keeps the error to itself. It costs a
 * round trip, so only a page applied carefully (see `run` in projector.ts) uses savepoints at all.
 */
function inSavepoint<T>(tx: Tx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return tx.savepoint((sp) => fn(sp)) as Promise<T>;
}

export type Failure = { event: EventRef; err: unknown };
export type Page = { position: number; more: boolean; failed?: Failure };
/** What a page read before it failed: lets `run` blame an event when the page itself threw. */
export type Seen = { start: number; first?: EventRef; last: number };
/** How the fast path failed on the page that starts after `start`. */
export type Known = { start: number; index: number | null; err: unknown };

/** The page step of one projection's runner; `stopped` tells it that the runner is stopping. */
export function createPageApplier(deps: { sql: Sql; projection: Projection; key: string; stopped: () => boolean }) {
  const { sql, projection, key } = deps;
  /**
   * Types this projection was asked about and does not handle (never the tombstone): their
   * payloads are not read again, since only an ignored event's type and position are used. Learnt
   * as pages go; `handles` depends on the type alone.
   */
  const ignored = new Set<string>();
  const handlesOrTombstone = (type: string): boolean => {
    if (ignored.has(type)) return false;
    const read = type === TENANT_OFFBOARDED || projection.handles(type);
    if (!read) ignored.add(type);
    return read;
  };

  /**
   * Locks the tenant's checkpoint and reads the page after it, in one statement: one row per
   * event, or one row with no event when the projection is already at `upTo`. No row at all means
   * there is no checkpoint yet. Of an event whose type is known to be ignored, only the id, type
   * and positions are read (the rest stays in the database).
   */
  async function lockAndRead(tx: Tx, tenantId: string, upTo: number, limit: number) {
    const kept = (column: string) => tx`case when e.ignored then null else e.${tx(column)} end as ${tx(column)}`;
    return readOfTheLog(
      tx,
      tx<(Record<string, unknown> & { checkpoint: number; id: string | null; tenant_seq: number; type: string })[]>`
      with cp as (select position from projection_checkpoints where tenant_id = ${tenantId} and projector = ${key} for update)
      select cp.position as checkpoint, e.id, e.type, e.tenant_id, e.tenant_seq, e.version, e.occurred_at,
             ${kept('project_id')}, ${kept('stream')}, ${kept('actor')}, ${kept('correlation_id')}, ${kept('causation_id')},
             ${kept('traceparent')}, ${kept('prev_hash')}, ${kept('hash')}, ${kept('data')}
      from cp left join lateral (
        select *, type = any(${[...ignored]}::text[]) as ignored from events
        where tenant_id = ${tenantId} and tenant_seq > cp.position and tenant_seq <= ${upTo}
        order by tenant_seq limit ${limit}) e on true`,
    );
  }

  /**
   * The page's events up to the first one this projection must read but whose envelope does not
   * parse (a row written around the contracts): that one is the page's failure. An event the
   * projection ignores holds nothing up, whatever its shape (only its type and position are read).
   */
  function parsePage(rows: { id: string | null; tenant_seq: number; type: string }[]): { page: EventEnvelope[]; failed?: Failure } {
    const page: EventEnvelope[] = [];
    for (const row of rows) {
      const ref = { tenant_seq: Number(row.tenant_seq), id: String(row.id), type: String(row.type) };
      // unchecked, but only its type and position are read
      if (!handlesOrTombstone(ref.type)) {
        page.push(rowToEnvelope(row as never));
        continue;
      }
      const parsed = EventEnvelope.safeParse(rowToEnvelope(row as never));
      if (parsed.success) page.push(parsed.data);
      else return { page, failed: { event: ref, err: parsed.error } };
    }
    return { page };
  }

  /** Applies up to a page; a failing event ends the page with everything before it committed. */
  async function applyPage(tenantId: string, upTo: number, limit: number, seen: Seen, careful: boolean, known?: Known): Promise<Page> {
    // the embedded stores the projection writes join the page's transaction (inProjectorPage):
    // their rows commit with the checkpoint, and a savepoint rolled back takes them back too
    return withTenant(sql, tenantId, (tx) =>
      inProjectorPage(tenantId, tx, async () => {
        // A read model and its checkpoint commit together, and both follow from the log: the commit
        // does not wait for the disk (sent ahead, no round trip).
        let read = await ahead(derivedStateSettings(tx), () => lockAndRead(tx, tenantId, upTo, limit));
        if (read.length === 0) {
          await tx`insert into projection_checkpoints (tenant_id, projector) values (${tenantId}, ${key}) on conflict do nothing`;
          read = await lockAndRead(tx, tenantId, upTo, limit);
        }
        const start = read[0]?.checkpoint ?? 0;
        const rows = read.filter((r) => r.id !== null);
        const firstRow = rows[0];
        seen.start = start;
        seen.first = firstRow && { tenant_seq: Number(firstRow.tenant_seq), id: String(firstRow.id), type: String(firstRow.type) };
        seen.last = Number(rows.at(-1)?.tenant_seq ?? start);
        if (rows.length === 0) return { position: start, more: false };
        const { page, failed: unparsed } = parsePage(rows);
        const handled = page.filter((e) => projection.handles(e.type));
        const last = page.at(-1);
        let position = start;
        let failed: Page['failed'];
        let batched = false;
        // A projection without its own batch applies the page's events in turn.
        const applyAll = projection.applyBatch ?? ((sp: Tx, events: EventEnvelope[]) => applyInTurn(projection, sp, events));
        if (handled.length > 0 && last && !careful) {
          // The fast path, no savepoint: any failure fails the page's transaction, and `run` applies
          // the same page again carefully.
          try {
            await applyAll(tx, handled);
          } catch (err) {
            throw err instanceof InTurnFailure ? new FastPathFailure(err.index, err.cause) : new FastPathFailure(null, err);
          }
          position = last.tenant_seq;
          batched = true;
        } else if (handled.length > 0 && last) {
          // Carefully: the page's events in one savepoint (not one each). When one of them fails,
          // the ones before it are applied again and the page ends at it: the failing event is
          // tried once per attempt, as event by event.
          const hint = known?.start === start ? known : undefined;
          try {
            // what failed on the fast path a moment ago, on this same page, is not tried again
            if (hint) throw hint.index === null ? hint.err : new InTurnFailure(hint.index, hint.err);
            await inSavepoint(tx, (sp) => applyAll(sp, handled));
            position = last.tenant_seq;
            batched = true;
          } catch (caught) {
            const inTurn = caught instanceof InTurnFailure ? caught : null;
            const err = inTurn ? inTurn.cause : caught;
            const first = handled[0];
            const culprit = inTurn ? handled[inTurn.index] : undefined;
            if ((isTransient(err) || deps.stopped()) && first) {
              // a store that is down fails every event alike: no point in going one by one
              failed = { event: first, err };
            } else if (inTurn && culprit) {
              try {
                await inSavepoint(tx, (sp) => applyInTurn(projection, sp, handled.slice(0, inTurn.index)));
                position = culprit.tenant_seq - 1;
                failed = { event: culprit, err };
              } catch {
                // not deterministic after all: event by event below
              }
            }
            // otherwise (poison somewhere in a batch): fall through, one event at a time
          }
        } else if (last) {
          position = last.tenant_seq;
        }
        if (!batched && !failed && handled.length > 0) {
          position = start;
          for (const event of page) {
            if (projection.handles(event.type)) {
              try {
                await inSavepoint(tx, (sp) => projection.apply(sp, event));
              } catch (err) {
                failed = { event, err };
                break;
              }
            }
            position = event.tenant_seq;
          }
        }
        // an event that does not parse comes after the whole prefix: it fails only once that applied
        if (!failed && unparsed) failed = unparsed;
        // A tenant's tombstone empties every read model of it, whatever the projection handles;
        // nothing follows a tombstone in the log, so emptying at the end of its page is the same.
        const tombstone = page.find((e) => e.type === TENANT_OFFBOARDED && e.tenant_seq <= position);
        if (tombstone && !careful) {
          await projection.reset(tx, tenantId);
        } else if (tombstone) {
          try {
            await inSavepoint(tx, (sp) => projection.reset(sp, tenantId));
          } catch (err) {
            failed ??= { event: tombstone, err };
            position = Math.min(position, tombstone.tenant_seq - 1);
          }
        }
        if (position > start)
          await tx`update projection_checkpoints set position = ${position}, updated_at = now() where tenant_id = ${tenantId} and projector = ${key}`;
        return { position, more: !failed && rows.length === limit && position < upTo, failed };
      }),
    );
  }

  return applyPage;
}
