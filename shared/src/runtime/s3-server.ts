// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the ambient types of s3rver, for programs that reach this file by import alone
/// <reference path="./s3rver.d.ts" />
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';

/** s3rver accepts exactly this key pair. */
export const S3RVER_CREDENTIALS = { accessKey: 'S3RVER', secretKey: 'S3RVER' } as const;

export interface RunningS3Server {
  url: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** closes every connection and the server; removes a temporary directory */
  stop(): Promise<void>;
}

/**
 * A real S3-compatible HTTP server (s3rver, single-part uploads only) on a port of 127.0.0.1 the
 * OS picks, for tests and the one-machine stack; deployments use MinIO or S3. It stores objects
 * as files in `directory` (default: a temporary one, removed on stop). Served through our own
 * http.Server rather than s3rver's `run()`, whose promise never settles when listening fails.
 * Resolves once a client has listed the buckets through it.
 */
export async function startS3Server(o: { directory?: string } = {}): Promise<RunningS3Server> {
  const temporary = o.directory === undefined;
  const directory = o.directory ?? (await mkdtemp(join(tmpdir(), 'mandant-s3rver-')));
  await mkdir(directory, { recursive: true });
  // loaded here, not at the top: s3rver is a dev dependency, and the compiled processes share
  // this module with the CLI an image runs (tools/build/build.ts refuses a static import of it)
  const { default: S3rver } = await import('s3rver');
  const http = createServer(new S3rver({ silent: true, directory, vhostBuckets: false }).callback());
  const stop = async (): Promise<void> => {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    if (temporary) await rm(directory, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', () => {
        http.off('error', reject);
        resolve();
      });
    });
    const port = (http.address() as AddressInfo).port;
    // prove the client and server understand each other before anyone relies on it
    await new Client({
      endPoint: '127.0.0.1',
      port,
      useSSL: false,
      region: 'us-east-1',
      pathStyle: true,
      ...S3RVER_CREDENTIALS,
    }).listBuckets();
    return { url: `http://127.0.0.1:${port}`, port, ...S3RVER_CREDENTIALS, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
