import { Client } from 'minio';
import type { BucketItem } from 'minio';
import { BlobStoreError, byKey, checkKey, checkPrefix, tenantBucket } from './port.ts';
import type { BlobEntry, BlobStore } from './port.ts';

export interface S3BlobStoreOptions {
  /** `http(s)://host:port`, the form `S3_ENDPOINT` takes; or give `endPoint`/`port`/`useSSL` */
  url?: string;
  endPoint?: string;
  port?: number;
  useSSL?: boolean;
  accessKey: string;
  secretKey: string;
  /** default `us-east-1`; given explicitly so the client never asks the server for it */
  region?: string;
  /** default true: `host/bucket/key`, which MinIO and IP endpoints need */
  pathStyle?: boolean;
  /**
   * Delete up to 1,000 objects per request (DeleteObjects); default true. False sends one
   * DELETE per object, in sequence, for engines that lack the call or get it wrong.
   */
  batchDelete?: boolean;
}

/** S3's limit for one PUT, and the largest part size the minio client accepts. */
export const S3_SINGLE_PUT_LIMIT = 5 * 1024 * 1024 * 1024;

// Codes differ between engines: S3 and MinIO say BucketAlreadyOwnedByYou, s3rver BucketAlreadyExists.
const BUCKET_TAKEN = new Set(['BucketAlreadyOwnedByYou', 'BucketAlreadyExists']);
// HEAD requests carry no body, so the client reports a bare 'NotFound' for them.
const MISSING = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound']);

/**
 * BlobStore on any S3-compatible service through the official `minio` client: one bucket per
 * tenant (`tenant-{id}`), created on the first put that finds it missing.
 *
 * - Single-part uploads only: the part size is set to the 5 GiB maximum, so `putObject` with a
 *   Buffer always sends one PUT, which S3 applies atomically; no multipart upload is ever left
 *   behind to clean up. Larger objects are refused.
 * - `deletePrefix` and `dropTenant` list, then delete in batches. They are not atomic:
 *   a put racing with them may survive (and `dropTenant` then retries a few times before it
 *   reports the bucket as not empty).
 * - Buckets are never versioned by this adapter, so deleting removes the bytes.
 */
export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const region = options.region ?? 'us-east-1';
  const batchDelete = options.batchDelete ?? true;
  const client = new Client({
    ...endpoint(options),
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    region,
    pathStyle: options.pathStyle ?? true,
    partSize: S3_SINGLE_PUT_LIMIT,
  });

  const fail = (op: string, tenantId: string, key: string | null, cause: unknown): BlobStoreError =>
    new BlobStoreError(op, tenantId, key, { cause });

  async function ensureBucket(bucket: string): Promise<void> {
    try {
      await client.makeBucket(bucket, region);
    } catch (err) {
      if (!BUCKET_TAKEN.has(s3Code(err) ?? '')) throw err;
    }
  }

  async function listAll(bucket: string, prefix: string): Promise<BlobEntry[]> {
    const out: BlobEntry[] = [];
    try {
      for await (const item of client.listObjectsV2(bucket, prefix, true) as AsyncIterable<BucketItem>) {
        if (item.name !== undefined) out.push({ key: item.name, size: item.size });
      }
    } catch (err) {
      if (s3Code(err) === 'NoSuchBucket') return [];
      throw err;
    }
    // Sorted here too: S3 lists in key order, but not every compatible server does.
    return out.sort(byKey);
  }

  async function removeAll(bucket: string, keys: string[]): Promise<void> {
    if (!batchDelete) {
      for (const key of keys) await client.removeObject(bucket, key);
      return;
    }
    for (let i = 0; i < keys.length; i += 1000) {
      const results = await client.removeObjects(bucket, keys.slice(i, i + 1000));
      const failed = results.find((r) => r?.Error && !MISSING.has(r.Error.Code ?? ''));
      if (failed?.Error)
        throw new Error(`delete of ${failed.Error.Key ?? '?'} failed: ${failed.Error.Code ?? ''} ${failed.Error.Message ?? ''}`);
    }
  }

  return {
    async put(tenantId, key, bytes, opts) {
      const bucket = tenantBucket(tenantId);
      checkKey(key);
      if (bytes.byteLength > S3_SINGLE_PUT_LIMIT)
        throw fail('put', tenantId, key, new RangeError(`object of ${bytes.byteLength} bytes exceeds the single-PUT limit`));
      // A view, not a copy: the client needs a Buffer to send one PUT with a known length.
      const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const meta = opts?.contentType ? { 'Content-Type': opts.contentType } : {};
      try {
        try {
          await client.putObject(bucket, key, body, body.length, meta);
        } catch (err) {
          if (s3Code(err) !== 'NoSuchBucket') throw err;
          await ensureBucket(bucket);
          await client.putObject(bucket, key, body, body.length, meta);
        }
      } catch (err) {
        throw fail('put', tenantId, key, err);
      }
    },

    async get(tenantId, key) {
      const bucket = tenantBucket(tenantId);
      checkKey(key);
      try {
        const stream = await client.getObject(bucket, key);
        const chunks: Buffer[] = [];
        for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
        const buf = Buffer.concat(chunks);
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (err) {
        if (MISSING.has(s3Code(err) ?? '')) return null;
        throw fail('get', tenantId, key, err);
      }
    },

    async exists(tenantId, key) {
      const bucket = tenantBucket(tenantId);
      checkKey(key);
      try {
        await client.statObject(bucket, key);
        return true;
      } catch (err) {
        if (MISSING.has(s3Code(err) ?? '')) return false;
        throw fail('exists', tenantId, key, err);
      }
    },

    async list(tenantId, prefix) {
      const bucket = tenantBucket(tenantId);
      checkPrefix(prefix, true);
      try {
        return await listAll(bucket, prefix);
      } catch (err) {
        throw fail('list', tenantId, prefix, err);
      }
    },

    async delete(tenantId, key) {
      const bucket = tenantBucket(tenantId);
      checkKey(key);
      try {
        await client.removeObject(bucket, key);
      } catch (err) {
        if (MISSING.has(s3Code(err) ?? '')) return;
        throw fail('delete', tenantId, key, err);
      }
    },

    async deletePrefix(tenantId, prefix) {
      const bucket = tenantBucket(tenantId);
      checkPrefix(prefix, false);
      try {
        await removeAll(
          bucket,
          (await listAll(bucket, prefix)).map((e) => e.key),
        );
      } catch (err) {
        throw fail('deletePrefix', tenantId, prefix, err);
      }
    },

    async dropTenant(tenantId) {
      const bucket = tenantBucket(tenantId);
      try {
        // S3 removes only empty buckets; a put racing with us refills it, so try a few times.
        for (let attempt = 0; ; attempt++) {
          await removeAll(
            bucket,
            (await listAll(bucket, '')).map((e) => e.key),
          );
          try {
            await client.removeBucket(bucket);
            return;
          } catch (err) {
            if (s3Code(err) === 'NoSuchBucket' || s3Code(err) === 'NotFound') return;
            if (s3Code(err) !== 'BucketNotEmpty' || attempt >= 3) throw err;
          }
        }
      } catch (err) {
        throw fail('dropTenant', tenantId, null, err);
      }
    },
  };
}

function endpoint(o: S3BlobStoreOptions): { endPoint: string; port?: number; useSSL: boolean } {
  if (o.url !== undefined) {
    const u = new URL(o.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`S3 url must be http(s), got ${u.protocol}`);
    const useSSL = u.protocol === 'https:';
    // URL keeps IPv6 hosts in brackets; the client wants the bare address.
    const endPoint = u.hostname.replace(/^\[(.*)\]$/, '$1');
    return u.port === '' ? { endPoint, useSSL } : { endPoint, port: Number(u.port), useSSL };
  }
  if (o.endPoint === undefined) throw new TypeError('S3 blob store needs url or endPoint');
  const useSSL = o.useSSL ?? true;
  return o.port === undefined ? { endPoint: o.endPoint, useSSL } : { endPoint: o.endPoint, port: o.port, useSSL };
}

const s3Code = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
