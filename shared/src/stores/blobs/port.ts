import { isUuid } from '../../ids.ts';

/**
 * Blob storage port: raw uploads, extracted text and exports, one bucket per tenant.
 *
 * Layout inside a tenant's bucket (`tenant-{tenant_id}`):
 *   `raw/{document_id}/original.{ext}`, `processed/{document_id}/…`, `exports/{export_id}/…`.
 *
 * Guarantees every adapter gives (checked by `describeBlobStore`):
 * - Isolation: a call for tenant A never reads, lists, changes or deletes an object of tenant B;
 *   each tenant has its own bucket (or directory), never a shared one.
 * - `put` replaces the whole object; a reader sees the old bytes or the new, never a mix.
 * - `get` of a missing object (or of a tenant that has nothing stored) answers `null`.
 * - `list` answers every object under a folder prefix, sorted by key (code-unit order).
 * - Deleting what does not exist is not an error (`delete`, `deletePrefix`, `dropTenant`).
 * - Keys and prefixes are validated before any I/O (`InvalidBlobKeyError`), tenant ids too
 *   (`InvalidTenantIdError`); infrastructure failures are `BlobStoreError` with `cause`.
 *
 * Limits, on purpose:
 * - Keys are lowercase (`a-z 0-9 . _ -`, `/` between segments) so they mean the same object on
 *   a case-insensitive file system as on S3.
 * - A key must never also be the folder of another key (`a` and `a/b`): a directory cannot hold
 *   both. The layout above never does this.
 * - Whole objects in memory: blobs are bounded by the upload size limit, so no streaming here.
 */
export interface BlobStore {
  /** Stores `bytes` under `key`, replacing any object there; creates the tenant's bucket on first use. */
  put(tenantId: string, key: string, bytes: Uint8Array, opts?: PutOptions): Promise<void>;
  /** The object's bytes, or `null` when there is none. */
  get(tenantId: string, key: string): Promise<Uint8Array | null>;
  exists(tenantId: string, key: string): Promise<boolean>;
  /**
   * Every object whose key starts with `prefix`, sorted by key, with its size in bytes.
   * `prefix` is `''` (the whole tenant) or a folder ending in `/`, so `raw/doc-1/` never
   * matches `raw/doc-10/…`.
   */
  list(tenantId: string, prefix: string): Promise<BlobEntry[]>;
  delete(tenantId: string, key: string): Promise<void>;
  /** Deletes every object under a folder prefix (non-empty, ending in `/`). */
  deletePrefix(tenantId: string, prefix: string): Promise<void>;
  /** Removes the tenant's bucket and everything in it; other tenants are untouched. */
  dropTenant(tenantId: string): Promise<void>;
}

export interface PutOptions {
  /** stored with the object where the engine keeps metadata (S3); not returned by `get` */
  contentType?: string;
}

export interface BlobEntry {
  key: string;
  size: number;
}

/** A key or prefix outside the allowed shape. A caller bug, never retried. */
export class InvalidBlobKeyError extends Error {
  override readonly name = 'InvalidBlobKeyError';
  constructor(
    readonly kind: 'key' | 'prefix',
    readonly value: string,
    reason: string,
  ) {
    super(`invalid blob ${kind} ${JSON.stringify(value.slice(0, 80))}: ${reason}`);
  }
}

export class InvalidTenantIdError extends Error {
  override readonly name = 'InvalidTenantIdError';
  constructor(readonly value: string) {
    super(`tenant id must be a uuid, got ${JSON.stringify(String(value).slice(0, 80))}`);
  }
}

/** The engine failed (unreachable, refused, disk error); `cause` holds the original error. */
export class BlobStoreError extends Error {
  override readonly name = 'BlobStoreError';
  constructor(
    readonly operation: string,
    readonly tenantId: string,
    readonly key: string | null,
    options: { cause: unknown },
  ) {
    const detail = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`blob ${operation} failed for tenant ${tenantId}${key === null ? '' : ` key ${key}`}: ${detail}`, options);
  }
}

/** S3 allows 1024 bytes; this leaves room under file-system path limits for the local adapter. */
export const MAX_KEY_LENGTH = 512;
/** Below NAME_MAX (255) with room for the local adapter's temporary-file names. */
const MAX_SEGMENT_LENGTH = 200;
// A segment never starts with '.', which rules out '.', '..' and hidden files in one rule and
// leaves dot-names free for the local adapter's temporary files.
const SEGMENT = /^[a-z0-9_-][a-z0-9._-]*$/;

/** Returns the canonical (lowercase) tenant id or throws `InvalidTenantIdError`. */
export function checkTenantId(tenantId: string): string {
  if (typeof tenantId !== 'string' || !isUuid(tenantId)) throw new InvalidTenantIdError(tenantId);
  return tenantId.toLowerCase();
}

/** The tenant's bucket name: 43 characters, valid on S3 and MinIO. */
export function tenantBucket(tenantId: string): string {
  return `tenant-${checkTenantId(tenantId)}`;
}

function checkSegments(kind: 'key' | 'prefix', value: string, segments: string[]): void {
  for (const s of segments) {
    if (s === '') throw new InvalidBlobKeyError(kind, value, 'empty segment (leading, trailing or double "/")');
    if (s.length > MAX_SEGMENT_LENGTH) throw new InvalidBlobKeyError(kind, value, `segment longer than ${MAX_SEGMENT_LENGTH}`);
    if (!SEGMENT.test(s)) {
      throw new InvalidBlobKeyError(kind, value, 'segments use a-z 0-9 . _ - and do not start with "."');
    }
  }
}

export function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidBlobKeyError('key', String(key), 'empty');
  if (key.length > MAX_KEY_LENGTH) throw new InvalidBlobKeyError('key', key, `longer than ${MAX_KEY_LENGTH}`);
  checkSegments('key', key, key.split('/'));
  return key;
}

/** `''` (only where `allowEmpty`) or a folder path ending in `/`. */
export function checkPrefix(prefix: string, allowEmpty: boolean): string {
  if (typeof prefix !== 'string') throw new InvalidBlobKeyError('prefix', String(prefix), 'not a string');
  if (prefix === '') {
    if (allowEmpty) return prefix;
    throw new InvalidBlobKeyError('prefix', prefix, 'empty (use dropTenant to remove everything)');
  }
  if (!prefix.endsWith('/')) throw new InvalidBlobKeyError('prefix', prefix, 'must end with "/"');
  if (prefix.length > MAX_KEY_LENGTH) throw new InvalidBlobKeyError('prefix', prefix, `longer than ${MAX_KEY_LENGTH}`);
  checkSegments('prefix', prefix, prefix.slice(0, -1).split('/'));
  return prefix;
}

/** Orders keys as S3 lists them (code units, which equals bytes for the allowed charset). */
export const byKey = (a: BlobEntry, b: BlobEntry): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
