import { hash } from 'node:crypto';
import type { EventEnvelope } from '@mandant/contracts';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON: object keys sorted by code point at every depth, no whitespace, arrays in
 * order, `undefined` members dropped. jsonb round-trips give the same text, so a hash computed at
 * append time can be recomputed from what the log returns.
 */
export function canonicalJson(value: unknown, note?: JsonNote): string {
  // written for speed (an auditor re-hashes whole logs): no intermediate arrays per object
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('non-finite number in event');
      if (note && value === 0 && 1 / value < 0) note.inexact = true;
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      if (note) note.inexact = true;
      return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const v: unknown = value[i];
      if (note && v === undefined) note.inexact = true;
      out += canonicalJson(v ?? null, note);
    }
    return `${out}]`;
  }
  if (note) {
    const proto = Object.getPrototypeOf(value) as unknown;
    if ((proto !== Object.prototype && proto !== null) || typeof (value as { toJSON?: unknown }).toJSON === 'function') note.inexact = true;
  }
  const record = value as Record<string, unknown>;
  // sort() without a comparator orders strings by UTF-16 code units, as the original comparison did
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = record[k];
    if (v === undefined) {
      if (note) note.inexact = true;
      continue;
    }
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(k)}:${canonicalJson(v, note)}`;
  }
  return `${out}}`;
}

/** one-shot hashing: about half the time of a Hash object per call for an event's few hundred bytes */
const sha256 = (text: string): string => hash('sha256', text, 'hex');

/** The fields an event has before the log gives it a place: everything but positions and hashes. */
export type EventContent = Pick<
  EventEnvelope,
  | 'id'
  | 'type'
  | 'tenant_id'
  | 'project_id'
  | 'stream'
  | 'occurred_at'
  | 'actor'
  | 'correlation_id'
  | 'causation_id'
  | 'traceparent'
  | 'data'
>;

/**
 * What canonicalJson found on its way: `inexact` when the value holds something JSON does not
 * keep as it is (-0, an undefined, a function, an object that is not a plain one: a Date, a class
 * instance), so that JSON.parse(JSON.stringify(value)) is not the same value.
 */
export interface JsonNote {
  inexact: boolean;
}

/** SHA-256 over the canonical JSON of the event's content (computed by the writer before appending). */
export function contentHash(e: EventContent, note?: JsonNote): string {
  return sha256(contentJson(e, note));
}

const field = (v: unknown): v is string | null => v === null || typeof v === 'string';

/**
 * The canonical JSON of an event's content. Its fields are known, so when each is a string or
 * null and `data` is present (every event the store writes), the object is written out in their
 * sorted order without sorting or walking it; `data` still goes through canonicalJson. Any other
 * shape takes canonicalJson whole: the text is the same either way (hash-chain.unit.test.ts).
 */
function contentJson(e: EventContent, note?: JsonNote): string {
  const { id, type, tenant_id, project_id, stream, occurred_at, actor, correlation_id, causation_id, traceparent, data } = e;
  if (
    data === undefined ||
    !field(id) ||
    !field(type) ||
    !field(tenant_id) ||
    !field(project_id) ||
    !field(stream) ||
    !field(occurred_at) ||
    !field(actor) ||
    !field(correlation_id) ||
    !field(causation_id) ||
    !field(traceparent)
  ) {
    return canonicalJson(
      { id, type, tenant_id, project_id, stream, occurred_at, actor, correlation_id, causation_id, traceparent, data },
      note,
    );
  }
  const j = JSON.stringify;
  return (
    `{"actor":${j(actor)},"causation_id":${j(causation_id)},"correlation_id":${j(correlation_id)},"data":${canonicalJson(data, note)},` +
    `"id":${j(id)},"occurred_at":${j(occurred_at)},"project_id":${j(project_id)},"stream":${j(stream)},` +
    `"tenant_id":${j(tenant_id)},"traceparent":${j(traceparent)},"type":${j(type)}}`
  );
}

/**
 * The chain link: `sha256("{prev_hash}:{tenant_seq}:{version}:{content_hash}")`. Positions are
 * bound in by the log itself at append time (see the `mandant_append_v4` function), so the writer
 * needs no lock to hash, and any change to content, position or order breaks the chain.
 */
export function eventHash(e: EventContent & Pick<EventEnvelope, 'prev_hash' | 'tenant_seq' | 'version'>): string {
  return sha256(`${e.prev_hash}:${e.tenant_seq}:${e.version}:${contentHash(e)}`);
}

export interface ChainReport {
  ok: boolean;
  checked: number;
  last_seq: number;
  last_hash: string;
  /** the first position where order, continuity or a hash does not hold */
  first_broken: { tenant_seq: number; reason: string } | null;
}

/**
 * Checks one tenant's events in log order: positions gapless from 1, each `prev_hash` equal to
 * the previous `hash`, each `hash` equal to the recomputed one. Incremental, so a caller can
 * feed millions of events in pages without holding them.
 */
export function createChainVerifier(tenantId: string) {
  let expectedSeq = 1;
  let lastHash = GENESIS_HASH;
  let checked = 0;
  let broken: ChainReport['first_broken'] = null;
  return {
    push(e: EventEnvelope): boolean {
      if (broken) return false;
      const fail = (reason: string) => {
        broken = { tenant_seq: e.tenant_seq, reason };
        return false;
      };
      if (e.tenant_id !== tenantId) return fail(`event of another tenant (${e.tenant_id})`);
      if (e.tenant_seq !== expectedSeq) {
        broken = {
          tenant_seq: expectedSeq,
          reason: e.tenant_seq > expectedSeq ? 'missing event (gap)' : `out of order: got ${e.tenant_seq}`,
        };
        return false;
      }
      if (e.prev_hash !== lastHash) return fail('prev_hash does not match the previous event');
      if (eventHash(e) !== e.hash) return fail('hash does not match the event content');
      lastHash = e.hash;
      expectedSeq += 1;
      checked += 1;
      return true;
    },
    /** `headSeq`, when known, catches a log cut short at its end. */
    report(headSeq?: number): ChainReport {
      if (!broken && headSeq !== undefined && headSeq !== checked) {
        broken = { tenant_seq: checked + 1, reason: `log ends at ${checked} but the tenant head is at ${headSeq}` };
      }
      return { ok: broken === null, checked, last_seq: checked, last_hash: lastHash, first_broken: broken };
    },
  };
}
