import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { backendMissing } from '../testing/backends.ts';
import { describeEventTransport } from './event-transport.contract.ts';
import { TransportUnavailableError } from './event-transport.ts';
import { createJetStreamTransport } from './jetstream.ts';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const run = randomUUID().replaceAll('-', '').slice(0, 10);
const streamName = `MANDANT_TEST_${run}`;
const subjectRoot = `test${run}`;
const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

/** Returns why the suite cannot run, or null when a JetStream-enabled server answers. */
async function unavailableReason(): Promise<string | null> {
  try {
    const nc = await connect({ servers: url, timeout: 10_000, reconnect: false });
    try {
      await jetstreamManager(nc, { timeout: 10_000 });
      return null;
    } catch (err) {
      return `JetStream not enabled at ${url}: ${(err as Error).message}`;
    } finally {
      await nc.close();
    }
  } catch (err) {
    return `cannot connect to ${url} within 10 s: ${(err as Error).message}`;
  }
}

const reason = await unavailableReason();

// Without a JetStream server the suite skips, and the marker makes CI fail on it.
describe.skipIf(backendMissing('nats', reason))(`JetStream transport at ${url}`, () => {
  const factory = () =>
    createJetStreamTransport({ servers: url, streamName, subjects: [`${subjectRoot}.>`], log, requestTimeoutMs: 10_000 });

  afterAll(async () => {
    const nc = await connect({ servers: url, timeout: 10_000, reconnect: false });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete(streamName);
    } finally {
      await nc.close();
    }
  });

  describeEventTransport('JetStream', factory, { subjectRoot });

  describe('JetStream transport specifics', () => {
    it('recreates a stream that vanished and still publishes', async () => {
      const t = await factory();
      try {
        const nc = await connect({ servers: url, reconnect: false });
        await (await jetstreamManager(nc)).streams.delete(streamName);
        await nc.close();
        await expect(
          t.publish({ subject: `${subjectRoot}.t.x`, msgId: randomUUID(), payload: new Uint8Array([1]) }),
        ).resolves.toBeUndefined();
      } finally {
        await t.close();
      }
    });

    it('names the failure TransportUnavailableError after close', async () => {
      const t = await factory();
      await t.close();
      const err = await t
        .publish({ subject: `${subjectRoot}.t.x`, msgId: randomUUID(), payload: new Uint8Array() })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportUnavailableError);
      expect((err as Error).cause).toBeDefined();
    });
  });
});
