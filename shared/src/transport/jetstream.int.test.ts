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

    it('acks every message of a burst once without waiting for confirmations, the last ones even when the consumer stops at once', async () => {
      const t = await factory();
      const durable = `acks-${run}-${randomUUID().slice(0, 8)}`;
      const subject = `${subjectRoot}.acks.${durable}`;
      const n = 60;
      try {
        // a burst published at once reaches the consumer in batches
        await Promise.all(Array.from({ length: n }, (_, i) => t.publish({ subject, msgId: randomUUID(), payload: new Uint8Array([i]) })));
        const seen: number[] = [];
        let all: () => void = () => {};
        const done = new Promise<void>((resolve) => (all = resolve));
        const consumer = await t.consume({ durable, filterSubject: subject, confirmAcks: false, ackWaitMs: 60_000 }, async (e) => {
          seen.push(e.payload[0] ?? -1);
          if (seen.length === n) all();
        });
        await done;
        // stopped in the same turn as the last delivery: its ack has not left yet
        await consumer.stop();
        expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
        // every message acked, none pending: nothing will be delivered to this durable again
        const nc = await connect({ servers: url, reconnect: false });
        try {
          const jsm = await jetstreamManager(nc);
          let info = await jsm.consumers.info(streamName, durable);
          for (let tries = 0; info.num_ack_pending > 0 || info.ack_floor.consumer_seq < n; tries++) {
            if (tries > 200) throw new Error(`acks missing: ${JSON.stringify({ pending: info.num_ack_pending, floor: info.ack_floor })}`);
            await new Promise((r) => setTimeout(r, 50));
            info = await jsm.consumers.info(streamName, durable);
          }
          expect(info.ack_floor.consumer_seq).toBe(n);
          expect(info.num_redelivered).toBe(0);
        } finally {
          await nc.close();
        }
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
