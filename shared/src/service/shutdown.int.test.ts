import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { type RpcClient, createRpcClient } from '../rpc/rpc.ts';
import { backendMissing, postgresUrls } from '../testing/backends.ts';
import { SETTLE_MS, eventually } from '../testing/eventually.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const natsReachable = await connect({ servers: natsUrl, timeout: 5_000, reconnect: false }).then(
  async (nc) => {
    await nc.close();
    return true;
  },
  () => false,
);
const pg = postgresUrls();
const natsMissing = backendMissing('nats', natsReachable ? null : `no NATS at ${natsUrl}`);

/** Resolves with the error code of a TCP connection attempt, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

describe.skipIf(natsMissing)('drain on SIGTERM', () => {
  let child: ChildProcess | undefined;
  let client: RpcClient | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await client?.close();
  });

  it(
    'stops taking connections, answers the HTTP and NATS requests in flight, and exits 0',
    async () => {
      const pattern = `drain${randomUUID().slice(0, 8)}.hold`;
      const proc = spawn(process.execPath, ['--import', 'tsx', 'shared/src/service/drain.fixture.ts', natsUrl, pattern], {
        cwd: root,
        env: { ...process.env },
      });
      child = proc;
      let out = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

      const port = Number((await eventually(() => /READY (\d+)/.exec(out)?.[1], 'the process to start')) ?? 0);
      client = await createRpcClient({ kind: 'nats', servers: [natsUrl] });
      const http = fetch(`http://127.0.0.1:${port}/slow`);
      const reply = client.request<{ done: boolean }>(
        pattern,
        { principal: null, meta: { correlation_id: 'drain', traceparent: null }, input: {} },
        SETTLE_MS,
      );
      await eventually(() => out.includes('IN_FLIGHT http') && out.includes('IN_FLIGHT rpc'), 'both requests to be in flight');

      proc.kill('SIGTERM');
      await eventually(() => out.includes('shutting down'), 'the drain to start');
      // taking no new connection while the held ones are still being answered
      expect(await tryConnect(port)).toBe('ECONNREFUSED');
      expect(proc.exitCode).toBeNull();

      proc.kill('SIGUSR2');
      const res = await http;
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('done');
      expect(await reply).toEqual({ ok: true, value: { done: true } });
      expect(await exited).toBe(0);
    },
    2 * SETTLE_MS,
  );

  it(
    'a service process turns not ready, answers the request in flight, closes its connections and exits 0',
    async () => {
      if (!pg) return;
      const id = randomUUID().slice(0, 8);
      const pattern = `drain${id}.hold`;
      const proc = spawn(process.execPath, ['--import', 'tsx', 'shared/src/service/drain-service.fixture.ts', `drain${id}`, pattern], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: '', DATABASE_APP_URL: pg.appUrl, NATS_URL: natsUrl, HEALTH_PORT: '0', LOG_LEVEL: 'info' },
      });
      child = proc;
      let out = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

      const port = Number(await eventually(() => /"health_port":(\d+)/.exec(out)?.[1], 'the service to start'));
      const readiness = async (): Promise<number> => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
      expect(await readiness()).toBe(200);
      client ??= await createRpcClient({ kind: 'nats', servers: [natsUrl] });
      const reply = client.request<{ done: boolean }>(
        pattern,
        { principal: null, meta: { correlation_id: 'drain', traceparent: null }, input: {} },
        SETTLE_MS,
      );
      await eventually(() => out.includes('IN_FLIGHT rpc'), 'the request to be in flight');

      proc.kill('SIGTERM');
      // not ready while it still holds the request, so a load balancer sends nothing new
      await eventually(async () => (await readiness()) === 503, 'readiness to turn 503');
      expect(proc.exitCode).toBeNull();

      proc.kill('SIGUSR2');
      expect(await reply).toEqual({ ok: true, value: { done: true } });
      expect(await exited).toBe(0);
      expect(await tryConnect(port)).toBe('ECONNREFUSED');
    },
    2 * SETTLE_MS,
  );
});
