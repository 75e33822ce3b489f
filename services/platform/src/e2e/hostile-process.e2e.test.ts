import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOUNDARY, multipartBody, multipartHeaders, rawHttp, splitRandomly } from '@mandant/gateway/testing';
import { createLogger } from '@mandant/shared/log';
import { type RunningNatsServer, findNatsServer, startNatsServer } from '@mandant/shared/runtime';
import { SETTLE_MS, backendMissing, postgresUrls } from '@mandant/shared/testing';
import { ownDatabase } from '@mandant/shared/testing';

const pg = postgresUrls();
const natsBinary = findNatsServer();
const natsMissing = backendMissing('nats', natsBinary ? null : 'no nats-server binary to start a private server');
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const OPERATOR = 'hostile-process-operator-token-0123456789';
const runs = (numRuns: number) => ({ seed: Number(process.env.FC_SEED ?? 20261202), numRuns });

// The platform as its own OS process, as `npm start` runs it: an 'error' event nobody hears, or
// an unhandled rejection, would end it. Generated cut and reset uploads must leave it running
// and serving.
describe.skipIf(!pg || natsMissing)('the platform process under hostile uploads', () => {
  let child: ChildProcess | undefined;
  let nats: RunningNatsServer | undefined;
  let db: { url: string; drop(): Promise<void> } | undefined;
  let dir = '';
  let base = '';
  let key = '';
  let stderr = '';

  beforeAll(async () => {
    if (!pg || !natsBinary) return;
    dir = await mkdtemp(join(tmpdir(), 'mandant-hostile-proc-'));
    db = await ownDatabase(pg.ownerUrl, 'hostileproc');
    nats = await startNatsServer({ binary: natsBinary, storeDir: join(dir, 'nats'), log: createLogger({ level: 'silent' }) });
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      PORT: '0',
      HOST: '127.0.0.1',
      MANDANT_DATA_DIR: dir,
      MANDANT_OPERATOR_TOKEN: OPERATOR,
      MAX_UPLOAD_BYTES: String(64 * 1024),
      UPLOAD_IDLE_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'warn',
      HEALTH_PORT: '0',
      // this suite is about surviving hostile bodies, not about rate limits or uploads in flight (a
      // client's reset returns its upload's place only once the busy server has seen it)
      RATE_LIMIT_RPS: '100000',
      RATE_LIMIT_BURST: '100000',
      RATE_LIMIT_EXPENSIVE_RPS: '100000',
      RATE_LIMIT_EXPENSIVE_BURST: '100000',
      UPLOADS_IN_FLIGHT_PER_TENANT: '1000',
      UPLOADS_IN_FLIGHT: '1000',
    };
    const started = spawn(process.execPath, ['--import', 'tsx', 'services/platform/src/main.ts'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    started.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
    });
    // the bound port is read from the banner the platform prints once it serves
    base = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`platform did not start: ${stderr.slice(-2000)}`)), SETTLE_MS);
      started.stdout?.on('data', (b: Buffer) => {
        out += b.toString('utf8');
        const url = /Mandant is running at (http:\/\/\S+)\/api\/v1/.exec(out)?.[1];
        if (url) {
          clearTimeout(timer);
          resolve(url);
        }
      });
      started.once('exit', (code) => reject(new Error(`platform exited (${code}): ${stderr.slice(-2000)}`)));
    });
    const tenant = await fetch(`${base}/api/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Proc', slug: 'proc' }),
    });
    expect(tenant.status).toBe(201);
    key = ((await tenant.json()) as { admin_api_key: string }).admin_api_key;
  });

  afterAll(async () => {
    const running = child;
    if (running && running.exitCode === null && running.signalCode === null) {
      await new Promise((resolve) => {
        running.once('exit', resolve);
        running.kill('SIGTERM');
      });
    }
    await nats?.stop();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** the process is alive, ready, and answers a normal request */
  const alive = async () => {
    expect(child?.exitCode).toBeNull();
    expect(child?.signalCode).toBeNull();
    expect(child?.pid && process.kill(child.pid, 0)).toBe(true);
    const ready = await fetch(`${base}/api/v1/readyz`);
    expect(ready.status).toBe(200);
    const listed = await fetch(`${base}/api/v1/projects`, { headers: { authorization: `Bearer ${key}` } });
    expect(listed.status).toBe(200);
  };
  const upload = (body: Buffer, o: { chunks?: Buffer[]; length?: number; after?: 'reset' | 'wait' } = {}) =>
    rawHttp(base, {
      method: 'POST',
      path: '/api/v1/documents',
      headers: { ...multipartHeaders(key, o.length ?? body.length), connection: 'close' },
      chunks: o.chunks ?? [body],
      after: o.after,
    });
  const form = fc.uint8Array({ minLength: 1, maxLength: 4096 }).map((bytes) =>
    multipartBody([
      { name: 'title', value: 'T' },
      { name: 'file', filename: 'f.bin', value: Buffer.from(bytes) },
    ]),
  );

  it('keeps running and serving after uploads cut before their closing boundary', async () => {
    const closing = Buffer.byteLength(`--${BOUNDARY}--`);
    const cut = form
      .chain((body) => fc.nat({ max: body.length - closing - 3 }).map((at) => body.subarray(0, at)))
      .chain((body) => splitRandomly(body).map((chunks) => ({ body, chunks })));
    await fc.assert(
      fc.asyncProperty(cut, async ({ body, chunks }) => {
        expect((await upload(body, { chunks })).status).toBe(400);
      }),
      runs(25),
    );
    await alive();
  });

  it('keeps running and serving after uploads whose client resets the connection mid-body', async () => {
    const aborted = form.chain((body) => fc.nat({ max: body.length - 1 }).map((at) => ({ body, sent: body.subarray(0, at) })));
    await fc.assert(
      fc.asyncProperty(aborted, async ({ body, sent }) => {
        const res = await upload(sent, { length: body.length, after: 'reset' });
        expect(res.status === null || (res.status >= 400 && res.status < 500)).toBe(true);
      }),
      runs(25),
    );
    await alive();
  });

  it('keeps running and serving after oversized and silent uploads, deep JSON and invalid UTF-8', async () => {
    const silent = multipartBody([{ name: 'file', filename: 'slow.txt', value: 'slow' }]);
    const idle = await upload(silent.subarray(0, 30), { length: silent.length, after: 'wait' });
    expect([idle.status, idle.headers.connection]).toEqual([408, 'close']);
    expect((await upload(multipartBody([{ name: 'file', filename: 'big.bin', value: Buffer.alloc(64 * 1024 + 1, 2) }]))).status).toBe(413);
    const deep = await fetch(`${base}/api/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: `{"name":"D","settings":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`,
    });
    expect(deep.status).toBe(400);
    const body = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const notUtf8 = await rawHttp(base, {
      method: 'POST',
      path: '/api/v1/projects',
      chunks: [body],
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'content-length': String(body.length),
        connection: 'close',
      },
    });
    expect(notUtf8.status).toBe(400);
    await alive();
    expect(stderr).not.toMatch(/Unexpected end of form|uncaught|unhandled/i);
  });
});
