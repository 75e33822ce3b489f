import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { EventEnvelope } from '@mandant/contracts';
import { GENESIS_HASH, contentHash } from '@mandant/shared/eventstore';

/**
 * The auditor's check of one tenant's log, from an NDJSON export or from the database: order
 * (tenant_seq 1..n, no gap, no repeat), one tenant, envelope shape, and the hash chain with every
 * content hash recomputed. Incremental and allocation-light, so a file of millions of events is
 * checked in constant memory. Names the FIRST broken position only: everything after a break is
 * unanchored and says nothing more.
 */
export type BreakKind = 'malformed' | 'foreign tenant' | 'gap' | 'repeat' | 'order' | 'chain link' | 'content hash' | 'empty';

export interface LogBreak {
  kind: BreakKind;
  /** the position that does not hold (for a gap: the first missing one); null when unknown (malformed line) */
  tenant_seq: number | null;
  /** 1-based line of the file, when verifying a file */
  line: number | null;
  message: string;
}

export interface LogReport {
  ok: boolean;
  checked: number;
  tenant_id: string | null;
  head_seq: number;
  head_hash: string;
  broken: LogBreak | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HASH = /^[0-9a-f]{64}$/;
const TYPE = /^[a-z][a-z_]*(\.[a-z][a-z_]*)+\.v[1-9][0-9]*$/;
const FIELDS = [
  'id',
  'type',
  'tenant_id',
  'project_id',
  'stream',
  'version',
  'tenant_seq',
  'occurred_at',
  'actor',
  'correlation_id',
  'causation_id',
  'traceparent',
  'data',
  'prev_hash',
  'hash',
] as const;
const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
const isStrOrNull = (v: unknown): boolean => v === null || typeof v === 'string';

/**
 * The envelope's shape without zod: zod per line costs more than the hashing. Same rules as
 * `EventEnvelope` in contracts/ for what the chain depends on; returns the first problem, or null.
 */
export function envelopeProblem(v: unknown): string | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const e = v as Record<string, unknown>;
  let n = 0;
  for (const k in e) {
    n++;
    if (!(FIELDS as readonly string[]).includes(k)) return `unknown field "${k}"`;
  }
  if (n !== FIELDS.length) for (const f of FIELDS) if (!(f in e)) return `field "${f}" missing`;
  if (typeof e.id !== 'string' || !UUID.test(e.id)) return 'field "id" is not a uuid';
  if (typeof e.type !== 'string' || !TYPE.test(e.type)) return 'field "type" is not domain.name.vN';
  if (typeof e.tenant_id !== 'string' || !UUID.test(e.tenant_id)) return 'field "tenant_id" is not a uuid';
  if (e.project_id !== null && (typeof e.project_id !== 'string' || !UUID.test(e.project_id)))
    return 'field "project_id" is not a uuid or null';
  if (typeof e.stream !== 'string' || e.stream.length === 0) return 'field "stream" is empty';
  if (!isPosInt(e.version)) return 'field "version" is not a positive integer';
  if (!isPosInt(e.tenant_seq)) return 'field "tenant_seq" is not a positive integer';
  if (typeof e.occurred_at !== 'string' || Number.isNaN(Date.parse(e.occurred_at))) return 'field "occurred_at" is not a date-time';
  if (typeof e.actor !== 'string' || e.actor.length === 0) return 'field "actor" is empty';
  if (typeof e.correlation_id !== 'string') return 'field "correlation_id" is not a string';
  if (!isStrOrNull(e.causation_id)) return 'field "causation_id" is not a string or null';
  if (!isStrOrNull(e.traceparent)) return 'field "traceparent" is not a string or null';
  if (e.data === null || typeof e.data !== 'object' || Array.isArray(e.data)) return 'field "data" is not an object';
  if (typeof e.prev_hash !== 'string' || !HASH.test(e.prev_hash)) return 'field "prev_hash" is not 64 hex digits';
  if (typeof e.hash !== 'string' || !HASH.test(e.hash)) return 'field "hash" is not 64 hex digits';
  return null;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Feeds events in log order; `push` answers false from the first break on. */
export function createLogVerifier(expectedTenant: string | null = null) {
  let tenant = expectedTenant?.toLowerCase() ?? null;
  let expectedSeq = 1;
  let lastHash = GENESIS_HASH;
  let checked = 0;
  let broken: LogBreak | null = null;
  const fail = (kind: BreakKind, tenant_seq: number | null, line: number | null, message: string): false => {
    broken = { kind, tenant_seq, line, message };
    return false;
  };
  return {
    get broken(): LogBreak | null {
      return broken;
    },
    /** a line that is no envelope: `problem` says why */
    malformed(line: number, problem: string): false {
      if (broken) return false;
      return fail('malformed', null, line, `line ${line}: ${problem}`);
    },
    push(e: EventEnvelope, line: number | null = null): boolean {
      if (broken) return false;
      const at = line === null ? '' : ` (line ${line})`;
      const seq = e.tenant_seq;
      const t = e.tenant_id.toLowerCase();
      if (tenant === null) tenant = t;
      else if (t !== tenant)
        return fail('foreign tenant', seq, line, `tenant_seq ${seq}${at}: event of another tenant (${e.tenant_id}, expected ${tenant})`);
      if (seq !== expectedSeq) {
        if (seq > expectedSeq) {
          const missing = seq - expectedSeq === 1 ? `${expectedSeq}` : `${expectedSeq}..${seq - 1}`;
          return fail('gap', expectedSeq, line, `tenant_seq ${expectedSeq}: missing (gap: ${missing} absent, next${at} is ${seq})`);
        }
        if (seq === expectedSeq - 1) return fail('repeat', seq, line, `tenant_seq ${seq}${at}: repeated`);
        return fail('order', expectedSeq, line, `tenant_seq ${expectedSeq}${at}: out of order, got ${seq}`);
      }
      if (e.prev_hash !== lastHash)
        return fail('chain link', seq, line, `tenant_seq ${seq}${at}: chain link broken (prev_hash is not the previous event's hash)`);
      if (sha256(`${e.prev_hash}:${seq}:${e.version}:${contentHash(e)}`) !== e.hash) {
        return fail(
          'content hash',
          seq,
          line,
          `tenant_seq ${seq}${at}: content hash does not match (the event's content, version or position was changed)`,
        );
      }
      lastHash = e.hash;
      expectedSeq += 1;
      checked += 1;
      return true;
    },
    /** `headSeq`, when known (the database's tenant head), catches a log cut short at its end. */
    report(headSeq?: number): LogReport {
      if (!broken && checked === 0 && headSeq === undefined) fail('empty', null, null, 'no events');
      if (!broken && headSeq !== undefined && headSeq !== checked) {
        fail('gap', checked + 1, null, `tenant_seq ${checked + 1}: missing (the log ends at ${checked}, the tenant head is at ${headSeq})`);
      }
      return { ok: broken === null, checked, tenant_id: tenant, head_seq: checked, head_hash: lastHash, broken };
    },
  };
}

/**
 * Lines of a file as strings, split on `\n` over raw chunks (faster than readline; a `\r` before
 * the `\n` is dropped). Constant memory apart from the longest line.
 */
export async function* fileLines(path: string): AsyncGenerator<string> {
  let rest: Buffer | null = null;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      yield buf.toString('utf8', start, end);
      start = nl + 1;
    }
    rest = start < buf.length ? buf.subarray(start) : null;
  }
  if (rest) yield rest.toString('utf8');
}

/** Verifies an NDJSON export; `onProgress` gets the number of lines read so far. */
export async function verifyFile(path: string, onProgress?: (lines: number) => void): Promise<LogReport> {
  const verifier = createLogVerifier();
  let line = 0;
  for await (const text of fileLines(path)) {
    line++;
    if (onProgress && line % 5000 === 0) onProgress(line);
    if (text.length === 0) {
      verifier.malformed(line, 'empty line');
      break;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      verifier.malformed(line, `not JSON (${(err as Error).message})`);
      break;
    }
    const problem = envelopeProblem(value);
    if (problem) {
      verifier.malformed(line, problem);
      break;
    }
    if (!verifier.push(value as EventEnvelope, line)) break;
  }
  onProgress?.(line);
  return verifier.report();
}
