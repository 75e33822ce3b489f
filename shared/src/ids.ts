import { createHash, randomFillSync } from 'node:crypto';

/**
 * Random bytes for ids, drawn from the CSPRNG a block at a time (as Node's own randomUUID does)
 * rather than one call and one buffer per id: every event appended needs one.
 */
const POOL = 16 * 256;
const pool = Buffer.alloc(POOL);
let pooled = POOL;

/** UUIDv7 (RFC 9562): 48-bit unix milliseconds, then random bits; sorts by creation time. */
export function uuidv7(now: number = Date.now()): string {
  if (pooled === POOL) {
    randomFillSync(pool);
    pooled = 0;
  }
  const b = Buffer.from(pool.subarray(pooled, pooled + 16));
  pooled += 16;
  b.writeUIntBE(now, 0, 6);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Any RFC 9562 uuid in its canonical text form, either case. */
export const isUuid = (value: string): boolean => UUID.test(value);

/**
 * A name-based UUID (version 8, RFC 9562) from SHA-256 of the parts: the same parts always give
 * the same id, so chunk and entity ids can be derived again on every rebuild instead of stored.
 */
export function nameUuid(...parts: string[]): string {
  const b = createHash('sha256').update(parts.join('\u0000')).digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x80;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A chunk's id: its document and position. */
export const chunkId = (documentId: string, index: number): string => nameUuid('chunk', documentId.toLowerCase(), String(index));

/** An entity's id in a tenant: its type and normalised name (the dedup key). */
export const entityId = (tenantId: string, type: string, normalised: string): string =>
  nameUuid('entity', tenantId.toLowerCase(), type.toLowerCase(), normalised);
