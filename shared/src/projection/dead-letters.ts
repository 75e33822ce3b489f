import { EventEnvelope, TENANT_OFFBOARDED } from '@mandant/contracts';
import type { Sql, Tx } from '../db/connect.ts';
import { withTenant } from '../db/connect.ts';
import { rowToEnvelope } from '../eventstore/event-store.ts';
import type { Projection } from './projector.ts';

/** An event a projector gave up on, as the status views show it. */
export interface DeadLetter {
  projector: string;
  tenant_seq: number;
  event_id: string;
  /** the event's type, read from the log */
  type: string;
  /** safe text (see safeErrorText): never the event's content */
  error: string;
  attempts: number;
  /** when it was first dead-lettered, and when it last failed (a retry that failed again) */
  created_at: string;
  last_failed_at: string;
  /** a retry asked for over the API and not carried out yet, or null */
  retry_requested_at: string | null;
}

const MAX_ERROR_CHARS = 300;
/** A quoted part of a message that looks like a name (relation, column, constraint, encoding) is kept. */
const NAME_LIKE = /^[A-Za-z_][A-Za-z0-9_.$-]{0,62}$/;
const QUOTED = /"([^"\n]*)"|'([^'\n]*)'/g;
const CONTROL = /[\u0000-\u001f\u007f]+/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The text a dead letter keeps of an error: its message with quoted values blanked (Postgres and
 * JSON messages quote the offending input, which may be document content), a ZodError as its
 * issue paths and messages (never the input), no control characters or lone surrogates (the
 * insert of the text itself must never fail: a NUL in it would), at most 300 characters.
 */
export function safeErrorText(err: unknown): string {
  const e = (err ?? {}) as { name?: unknown; message?: unknown; issues?: unknown };
  let message: string;
  if (e.name === 'ZodError' && Array.isArray(e.issues)) {
    message = (e.issues as { path?: unknown[]; message?: unknown }[])
      .map((i) => `${(i.path ?? []).map(String).join('.') || '(root)'}: ${String(i.message)}`)
      .join('; ');
  } else {
    message = typeof e.message === 'string' ? e.message : typeof err === 'string' ? err : 'unknown error';
  }
  const redacted = message.replace(QUOTED, (whole, dq: string | undefined, sq: string | undefined) => {
    const inner = dq ?? sq ?? '';
    return NAME_LIKE.test(inner) ? whole : dq !== undefined ? '"…"' : "'…'";
  });
  const clean = redacted.replace(CONTROL, ' ').replace(LONE_SURROGATE, '\uFFFD').trim() || 'unknown error';
  return clean.length <= MAX_ERROR_CHARS ? clean : `${clean.slice(0, MAX_ERROR_CHARS - 1).replace(LONE_SURROGATE, '')}…`;
}

/** The identity of an event in the log: enough to dead-letter it even when its envelope does not parse. */
export interface EventRef {
  tenant_seq: number;
  id: string;
  type: string;
}

/** Records (or refreshes) a dead letter and moves the checkpoint past it, in the tenant's transaction. */
export async function recordDeadLetter(
  tx: Tx,
  tenantId: string,
  projector: string,
  event: EventRef,
  err: unknown,
  attempts: number,
): Promise<void> {
  const error = safeErrorText(err);
  await tx`insert into projection_dead_letters (tenant_id, projector, tenant_seq, event_id, error, attempts)
           values (${tenantId}, ${projector}, ${event.tenant_seq}, ${event.id}, ${error}, ${attempts})
           on conflict (tenant_id, projector, tenant_seq) do update set error = excluded.error, attempts = excluded.attempts, last_failed_at = now()`;
  await tx`insert into projection_checkpoints (tenant_id, projector, position) values (${tenantId}, ${projector}, ${event.tenant_seq})
           on conflict (tenant_id, projector) do update set position = greatest(projection_checkpoints.position, excluded.position), updated_at = now()`;
}

/** The tenant's dead letters (of one projector, or all), by projector and in log order; at most `limit`. */
export async function listDeadLetters(tx: Tx, tenantId: string, opts: { projector?: string; limit?: number } = {}): Promise<DeadLetter[]> {
  const { projector, limit } = opts;
  const rows = await tx<
    (Omit<DeadLetter, 'created_at' | 'last_failed_at' | 'retry_requested_at'> & {
      created_at: Date;
      last_failed_at: Date;
      retry_requested_at: Date | null;
    })[]
  >`
    select d.projector, d.tenant_seq, d.event_id, coalesce(e.type, '') as type, d.error, d.attempts, d.created_at, d.last_failed_at, d.retry_requested_at
    from projection_dead_letters d left join events e on e.tenant_id = d.tenant_id and e.tenant_seq = d.tenant_seq
    where d.tenant_id = ${tenantId} ${projector === undefined ? tx`` : tx`and d.projector = ${projector}`}
    order by d.projector, d.tenant_seq ${limit === undefined ? tx`` : tx`limit ${limit}`}`;
  return rows.map((r) => ({
    ...r,
    created_at: r.created_at.toISOString(),
    last_failed_at: r.last_failed_at.toISOString(),
    retry_requested_at: r.retry_requested_at?.toISOString() ?? null,
  }));
}

/**
 * Marks the tenant's dead letters for a retry (all, or one projector's): the projector that owns
 * each read model carries it out on its next retry poll, in whichever process it runs. Returns
 * how many were marked.
 */
export async function requestRetry(tx: Tx, tenantId: string, projector?: string): Promise<number> {
  const rows = await tx`update projection_dead_letters set retry_requested_at = now()
    where tenant_id = ${tenantId} ${projector === undefined ? tx`` : tx`and projector = ${projector}`} returning tenant_seq`;
  return rows.length;
}

export interface RetryOutcome {
  projector: string;
  /** dead letters that applied now and are gone */
  applied: number[];
  /** dead letters that failed again: still there, attempts incremented */
  failed: { tenant_seq: number; error: string }[];
}

/**
 * Applies a projection's dead-lettered events of one tenant again (all, or the one at `seq`), in
 * log order, on top of the current read model, under the checkpoint's row lock (so never beside
 * a page of the live projector). Each one runs in a savepoint: when it applies, its dead letter is
 * deleted; when it fails, it stays, with its attempts incremented and its error updated. Nothing
 * is applied for an offboarded tenant (its read models stay empty).
 *
 * Why applying it late is sound: projections are idempotent, keyed upserts (applying an event
 * again changes nothing). Events of the same stream that followed it were applied without it
 * (e.g. "processed" updated no row because "uploaded" had not made one), so they are applied
 * again after it, in order, which leaves that aggregate's rows as a projection in log order
 * would. Rows that other streams' events derived from the missing one (a rare cross-stream
 * read) are only right again after `projections rebuild`, the complete remedy.
 */
export async function retryDeadLetters(deps: {
  sql: Sql;
  projection: Projection;
  tenantId: string;
  seq?: number;
  requestedOnly?: boolean;
}): Promise<RetryOutcome> {
  const { sql, projection, tenantId } = deps;
  const key = `${projection.name}@v${projection.version}`;
  return withTenant(sql, tenantId, async (tx) => {
    const outcome: RetryOutcome = { projector: key, applied: [], failed: [] };
    const [cp] = await tx<
      { position: number }[]
    >`select position from projection_checkpoints where tenant_id = ${tenantId} and projector = ${key} for update`;
    const dead = await tx<{ tenant_seq: number; attempts: number }[]>`
      select tenant_seq, attempts from projection_dead_letters where tenant_id = ${tenantId} and projector = ${key}
      ${deps.seq === undefined ? tx`` : tx`and tenant_seq = ${deps.seq}`} ${deps.requestedOnly ? tx`and retry_requested_at is not null` : tx``}
      order by tenant_seq for update`;
    if (!cp || dead.length === 0) return outcome;
    // an offboarded tenant's read models were emptied for good: nothing of it is applied again
    const [gone] = await tx`select 1 from events where tenant_id = ${tenantId} and type = ${TENANT_OFFBOARDED} limit 1`;
    if (gone) {
      await tx`update projection_dead_letters set retry_requested_at = null where tenant_id = ${tenantId} and projector = ${key}`;
      return outcome;
    }
    const pending = new Set(dead.map((d) => d.tenant_seq));
    for (const d of dead) {
      try {
        await tx.savepoint(async (sp) => {
          const [row] = await sp`select * from events where tenant_id = ${tenantId} and tenant_seq = ${d.tenant_seq}`;
          const event = EventEnvelope.parse(rowToEnvelope(row as never));
          await projection.apply(sp, event);
          const later = await sp`select * from events where tenant_id = ${tenantId} and stream = ${event.stream}
                                 and tenant_seq > ${d.tenant_seq} and tenant_seq <= ${cp.position} order by tenant_seq`;
          for (const r of later) {
            const next = EventEnvelope.parse(rowToEnvelope(r as never));
            if (projection.handles(next.type) && !pending.has(next.tenant_seq)) await projection.apply(sp, next);
          }
          await sp`delete from projection_dead_letters where tenant_id = ${tenantId} and projector = ${key} and tenant_seq = ${d.tenant_seq}`;
        });
        pending.delete(d.tenant_seq);
        outcome.applied.push(d.tenant_seq);
      } catch (err) {
        const error = safeErrorText(err);
        await tx`update projection_dead_letters set attempts = attempts + 1, error = ${error}, last_failed_at = now(), retry_requested_at = null
                 where tenant_id = ${tenantId} and projector = ${key} and tenant_seq = ${d.tenant_seq}`;
        outcome.failed.push({ tenant_seq: d.tenant_seq, error });
      }
    }
    return outcome;
  });
}
