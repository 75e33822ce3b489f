import { type EventEnvelope, type EventMeta, type NewEvent, eventSubject } from '@mandant/contracts';
import { type Sql, type Tx, withTenant } from '../db/connect.ts';
import { DomainError, VersionConflictError } from '../errors.ts';
import { type ChainReport, GENESIS_HASH, createChainVerifier, eventHash } from './hash-chain.ts';

/** A number is the exact version the stream must be at (0: must not exist yet). */
export type ExpectedVersion = number | 'any';

export interface AppendResult {
  /** the stream's version after the append */
  version: number;
  /** tenant_seq of the last appended event: wait for projectors to reach it for read-your-writes */
  position: number;
  events: EventEnvelope[];
}

export interface AppendOptions {
  /** Runs inside the append transaction after the version check (e.g. claim a unique slug). Throwing aborts the append. */
  beforeCommit?: (tx: Tx) => Promise<void>;
}

export interface EventStore {
  /**
   * Appends `events` to `stream` if it is at `expected`, giving them the tenant's next gapless
   * positions and extending its hash chain; writes the outbox in the same transaction.
   * Idempotent on event ids: re-appending already stored events returns them unchanged.
   * @throws VersionConflictError when the stream has moved on.
   */
  append(tenantId: string, stream: string, expected: ExpectedVersion, events: NewEvent[], meta: EventMeta, opts?: AppendOptions): Promise<AppendResult>;
  readStream(tenantId: string, stream: string): Promise<{ version: number; events: EventEnvelope[] }>;
  /** Events with tenant_seq > after, in log order. */
  readTenant(tenantId: string, after: number, limit: number): Promise<EventEnvelope[]>;
  /** The tenant's last position (0 for a tenant with no events). */
  head(tenantId: string): Promise<number>;
  verify(tenantId: string): Promise<ChainReport>;
}

export const EVENTS_CHANNEL = 'mandant_events';
const PAGE = 2000;

interface EventRow {
  tenant_id: string; tenant_seq: number; id: string; type: string; project_id: string | null; stream: string;
  version: number; occurred_at: Date; actor: string; correlation_id: string; causation_id: string | null;
  traceparent: string | null; data: Record<string, unknown>; prev_hash: string; hash: string;
}

export function rowToEnvelope(r: EventRow): EventEnvelope {
  return {
    id: r.id, type: r.type, tenant_id: r.tenant_id, project_id: r.project_id, stream: r.stream, version: r.version,
    tenant_seq: r.tenant_seq, occurred_at: r.occurred_at.toISOString(), actor: r.actor, correlation_id: r.correlation_id,
    causation_id: r.causation_id, traceparent: r.traceparent, data: r.data, prev_hash: r.prev_hash, hash: r.hash,
  };
}

export function createEventStore(sql: Sql): EventStore {
  async function readPage(tx: Tx, tenantId: string, after: number, limit: number): Promise<EventEnvelope[]> {
    const rows = await tx<EventRow[]>`
      select * from events where tenant_id = ${tenantId} and tenant_seq > ${after}
      order by tenant_seq limit ${limit}`;
    return rows.map(rowToEnvelope);
  }

  async function readTenant(tenantId: string, after: number, limit: number): Promise<EventEnvelope[]> {
    return withTenant(sql, tenantId, (tx) => readPage(tx, tenantId, after, limit));
  }
  async function head(tenantId: string): Promise<number> {
    return withTenant(sql, tenantId, async (tx) => {
      const [row] = await tx<{ last_seq: number }[]>`select last_seq from tenant_heads where tenant_id = ${tenantId}`;
      return row?.last_seq ?? 0;
    });
  }

  return {
    readTenant,
    head,
    async append(tenantId, stream, expected, events, meta, opts = {}) {
      if (events.length === 0) throw new DomainError('validation.failed', 'append needs at least one event');
      return withTenant(sql, tenantId, async (tx) => {
        // Locking the tenant head serialises this tenant's writers until commit, so positions are
        // handed out in commit order and a rolled-back writer leaves no gap.
        const [head] = await tx<{ last_seq: number; last_hash: string }[]>`
          insert into tenant_heads (tenant_id, last_seq, last_hash) values (${tenantId}, 0, ${GENESIS_HASH})
          on conflict (tenant_id) do update set tenant_id = excluded.tenant_id
          returning last_seq, last_hash`;
        if (!head) throw new Error('tenant head lock returned nothing');
        const ids = events.map((e) => e.id);
        const [state] = await tx<{ version: number; known: number }[]>`
          select coalesce(max(version), 0)::int as version,
                 count(*) filter (where id = any(${ids}::uuid[]))::int as known
          from events where tenant_id = ${tenantId} and stream = ${stream}`;
        const current = state?.version ?? 0;
        if (state && state.known > 0) {
          if (state.known !== events.length) throw new DomainError('conflict', 'some of these event ids are already stored, others not');
          const stored = await tx<EventRow[]>`select * from events where tenant_id = ${tenantId} and id = any(${ids}::uuid[]) order by tenant_seq`;
          const envelopes = stored.map(rowToEnvelope);
          const last = envelopes.at(-1);
          return { version: last?.version ?? current, position: last?.tenant_seq ?? 0, events: envelopes };
        }
        if (expected !== 'any' && expected !== current) throw new VersionConflictError(stream, expected, current);
        if (opts.beforeCommit) await opts.beforeCommit(tx);

        let seq = head.last_seq;
        let prev = head.last_hash;
        const envelopes = events.map((e, i): EventEnvelope => {
          seq += 1;
          const unhashed = {
            id: e.id, type: e.type, tenant_id: tenantId, project_id: e.project_id, stream, version: current + i + 1,
            tenant_seq: seq, occurred_at: new Date(e.occurred_at).toISOString(), actor: meta.actor,
            correlation_id: meta.correlation_id, causation_id: meta.causation_id, traceparent: meta.traceparent,
            data: e.data, prev_hash: prev,
          };
          const hash = eventHash(unhashed);
          prev = hash;
          return { ...unhashed, hash };
        });
        await tx`insert into events ${tx(envelopes.map((e) => ({ ...e, data: tx.json(e.data as never) })))}`;
        await tx`insert into outbox ${tx(envelopes.map((e) => ({ tenant_id: tenantId, tenant_seq: e.tenant_seq, event_id: e.id, subject: eventSubject(e) })))}`;
        await tx`update tenant_heads set last_seq = ${seq}, last_hash = ${prev} where tenant_id = ${tenantId}`;
        await tx`select pg_notify(${EVENTS_CHANNEL}, ${tenantId})`;
        const last = envelopes.at(-1);
        return { version: last?.version ?? current, position: seq, events: envelopes };
      });
    },

    async readStream(tenantId, stream) {
      return withTenant(sql, tenantId, async (tx) => {
        const rows = await tx<EventRow[]>`select * from events where tenant_id = ${tenantId} and stream = ${stream} order by version`;
        const events = rows.map(rowToEnvelope);
        return { version: events.at(-1)?.version ?? 0, events };
      });
    },

    async verify(tenantId) {
      const verifier = createChainVerifier(tenantId);
      let after = 0;
      for (;;) {
        const page = await readTenant(tenantId, after, PAGE);
        for (const e of page) if (!verifier.push(e)) return verifier.report();
        const last = page.at(-1);
        if (!last || page.length < PAGE) break;
        after = last.tenant_seq;
      }
      return verifier.report(await head(tenantId));
    },
  };
}
