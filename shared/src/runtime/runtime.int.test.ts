import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { type Server, Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { backendMissing } from '../testing/backends.ts';
import { SETTLE_MS, eventually } from '../testing/eventually.ts';
import { TransportUnavailableError } from '../transport/event-transport.ts';
import type { EventTransport } from '../transport/event-transport.ts';
import { createJetStreamTransport } from '../transport/jetstream.ts';
import { EmbeddedPostgresError, startEmbeddedPostgres } from './embedded-postgres.ts';
import { startNatsCluster } from './nats-cluster.ts';
import { NatsServerStartError, findNatsServer, startNatsServer } from './nats-server.ts';

const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mandant-runtime-'));
  // When run as root, Postgres runs as the `postgres` user and must traverse this directory.
  await chmod(dir, 0o711);
  dirs.push(dir);
  return dir;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
  });
}

/** A listener on a port of 127.0.0.1 the OS picked: a port some other process holds. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, server };
}

function received(transport: EventTransport, subject: string) {
  const texts: string[] = [];
  let notify = (): void => undefined;
  const ready = transport.consume({ durable: `d${randomUUID().slice(0, 8)}`, filterSubject: subject }, async (e) => {
    texts.push(new TextDecoder().decode(e.payload));
    notify();
  });
  const until = async (done: (xs: string[]) => boolean): Promise<string[]> => {
    while (!done(texts))
      await new Promise<void>((r) => {
        notify = r;
      });
    return texts;
  };
  return { ready, until };
}

const natsBinary = findNatsServer();
backendMissing('nats', natsBinary === null ? 'no nats-server binary on PATH, /usr/sbin or /usr/local/bin' : null);

describe.skipIf(natsBinary === null)('startNatsServer', () => {
  const binary = natsBinary ?? 'nats-server';
  const publish = (t: EventTransport, text: string) =>
    t.publish({ subject: 'events.t1._.x.v1', msgId: randomUUID(), payload: new TextEncoder().encode(text) });

  it('runs a JetStream server on a free port that a transport can publish to and consume from', async () => {
    const server = await startNatsServer({ binary, storeDir: await tempDir(), log });
    const transport = await createJetStreamTransport({ servers: server.url, log });
    try {
      const inbox = received(transport, 'events.t1.>');
      await inbox.ready;
      await publish(transport, 'hello');
      expect(await inbox.until((xs) => xs.length >= 1)).toEqual(['hello']);
    } finally {
      await transport.close();
      await server.stop();
    }
    expect(await accepts(server.port)).toBe(false);
  });

  it(
    'fails publish with TransportUnavailableError during an outage; publish and consume recover after a restart',
    async () => {
      const storeDir = await tempDir();
      const first = await startNatsServer({ binary, storeDir, log });
      const transport = await createJetStreamTransport({ servers: first.url, log, requestTimeoutMs: 1_000 });
      let second: Awaited<ReturnType<typeof startNatsServer>> | undefined;
      try {
        const inbox = received(transport, 'events.t1.>');
        await inbox.ready;
        await publish(transport, 'before');
        await inbox.until((xs) => xs.includes('before'));
        await first.stop();
        await expect(publish(transport, 'during')).rejects.toBeInstanceOf(TransportUnavailableError);

        second = await startNatsServer({ binary, storeDir, port: first.port, log });
        await eventually(() => publish(transport, 'after').then(() => true), 'a publish to the restarted server');
        // The consumer started before the outage resumes on its own; 'during' may or may not be
        // stored (the client buffers it and may send it on reconnect), but nothing is repeated.
        const texts = await inbox.until((xs) => xs.includes('after'));
        expect(texts.filter((t) => t !== 'during')).toEqual(['before', 'after']);
      } finally {
        await transport.close();
        await second?.stop();
        await first.stop();
      }
    },
    2 * SETTLE_MS,
  );

  it('binds its port itself, and a start on a port another process holds fails instead of taking that process for the server', async () => {
    const held = await occupiedPort();
    try {
      const server = await startNatsServer({ binary, storeDir: await tempDir(), log });
      try {
        expect(server.port).not.toBe(held.port);
        expect(await accepts(server.port)).toBe(true);
      } finally {
        await server.stop();
      }
      await expect(startNatsServer({ binary, storeDir: await tempDir(), port: held.port, log })).rejects.toBeInstanceOf(
        NatsServerStartError,
      );
    } finally {
      held.server.close();
    }
  });
});

describe.skipIf(natsBinary === null)('a transport starting beside a NATS cluster', () => {
  it(
    'waits while the cluster has no quorum, says so, and starts once it has; the process lives on meanwhile',
    async () => {
      const cluster = await startNatsCluster({ binary: natsBinary ?? 'nats-server', dir: await tempDir(), size: 3, log });
      const lines: string[] = [];
      const watched = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
      let transport: EventTransport | undefined;
      try {
        // two of three nodes down: no metadata leader, so JetStream's API cannot answer
        await cluster.kill(1);
        await cluster.kill(2);
        let outcome: { transport: EventTransport } | { failed: unknown } | undefined;
        const starting = createJetStreamTransport({
          servers: cluster.url.split(','),
          streamName: `START_${randomUUID().slice(0, 8)}`,
          subjects: ['starting.>'],
          replicas: 3,
          requestTimeoutMs: 500,
          log: watched,
        }).then(
          (t) => (outcome = { transport: t }),
          (err: unknown) => (outcome = { failed: err }),
        );
        await eventually(
          () => outcome !== undefined || lines.filter((l) => l.includes('JetStream not answering yet')).length >= 2,
          'two warnings of waiting',
        );
        expect(outcome).toBeUndefined();

        await cluster.restart(1);
        await cluster.restart(2);
        await starting;
        if (!outcome || !('transport' in outcome)) throw new Error('the transport did not start', { cause: outcome });
        transport = outcome.transport;
        const inbox = received(transport, 'starting.>');
        await inbox.ready;
        // a publish right after the cluster regained quorum may time out (the relay retries such
        // a publish); one message id, so a retry of a publish that was stored is not stored twice
        const sent = { subject: 'starting.t1', msgId: randomUUID(), payload: new TextEncoder().encode('after quorum') };
        const started = transport;
        await eventually(() => started.publish(sent).then(() => true), 'a publish once the cluster has quorum');
        expect(await inbox.until((xs) => xs.length >= 1)).toEqual(['after quorum']);
      } finally {
        await transport?.close();
        await cluster.stop();
      }
    },
    2 * SETTLE_MS,
  );
});

describe('startEmbeddedPostgres', () => {
  it('serves queries and keeps data across a stop and start on the same dataDir', async () => {
    const dataDir = join(await tempDir(), 'pg');
    const first = await startEmbeddedPostgres({ dataDir, log });
    let sql = postgres(first.url, { onnotice: () => undefined });
    try {
      expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
      await sql`create table kept (v text)`;
      await sql`insert into kept values ('survives')`;
    } finally {
      await sql.end();
      await first.stop();
    }
    expect(await accepts(first.port)).toBe(false);
    expect((await stat(join(dataDir, 'superuser-password'))).mode & 0o777).toBe(0o600);

    const second = await startEmbeddedPostgres({ dataDir, log });
    sql = postgres(second.url, { onnotice: () => undefined });
    try {
      expect(await sql`select v from kept`).toEqual([{ v: 'survives' }]);
    } finally {
      await sql.end();
      await second.stop();
    }
  });

  it('fails promptly on a port another process holds (so a free port taken before the bind is tried again on another)', async () => {
    const held = await occupiedPort();
    try {
      await expect(startEmbeddedPostgres({ dataDir: join(await tempDir(), 'pg'), port: held.port, log })).rejects.toBeInstanceOf(
        EmbeddedPostgresError,
      );
    } finally {
      held.server.close();
    }
  });
});
