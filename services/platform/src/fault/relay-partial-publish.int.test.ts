import { randomUUID } from 'node:crypto';
import { EventEnvelope, type EventMeta } from '@mandant/contracts';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { createEventStore } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import { createLogger } from '@mandant/shared/log';
import { outboxPositions, startOutboxRelay } from '@mandant/shared/outbox';
import { postgresUrls } from '@mandant/shared/testing';
import { type EventTransport, TransportUnavailableError } from '@mandant/shared/transport';
import { createInProcessTransport } from '@mandant/shared/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultDatabase, SETTLE_MS, faultDatabase, until } from './helpers.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const meta: EventMeta = { actor: 'user:fault', correlation_id: 'fault-relay', causation_id: null, traceparent: null };
const DEDUPE_WINDOW_MS = 120_000;

describe.skipIf(!pg)('fault: the transport fails in the middle of a relay batch', () => {
  let db: FaultDatabase;
  let sql: Sql;

  beforeAll(async () => {
    if (!pg) return;
    db = await faultDatabase(pg.ownerUrl, 'fault_relay', log);
    sql = createSql(db.appUrl, { max: 4, appName: 'mandant-fault-relay' });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await db?.drop();
  });

  it('keeps the events acknowledged before the failure published, so an outage longer than the dedupe window stores none twice', async () => {
    const store = createEventStore(sql);
    const tenant = randomUUID();
    for (let i = 1; i <= 6; i++) {
      await store.append(
        tenant,
        `s${i}`,
        0,
        [{ id: uuidv7(), type: 'fault.relayed.v1', project_id: null, occurred_at: new Date().toISOString(), data: { i } }],
        meta,
      );
    }
    let clock = Date.now();
    const inner = createInProcessTransport({ duplicateWindowMs: DEDUPE_WINDOW_MS, now: () => clock });
    // the 4th publish meets a transport that just went away
    let publishes = 0;
    let down = false;
    const transport: EventTransport = {
      ...inner,
      async publish(e) {
        publishes++;
        if (publishes === 4) down = true;
        if (down) throw new TransportUnavailableError('publish: NATS unavailable (injected)');
        return inner.publish(e);
      },
    };
    const got: EventEnvelope[] = [];
    const consumer = await inner.consume({ durable: 'fault-relay-witness', filterSubject: `events.${tenant}.>` }, async (m) => {
      got.push(EventEnvelope.parse(JSON.parse(new TextDecoder().decode(m.payload))));
    });
    const relay = startOutboxRelay({ sql, transport, log, pollMs: 3_600_000 });
    try {
      await relay.drain();
      await until(() => got.length >= 3, SETTLE_MS, 'the three events published before the failure');
      const pending = await withTenant(sql, tenant, (tx) => outboxPositions(tx, tenant));
      expect(pending).toEqual([4, 5, 6]);

      // the transport is back only after longer than its dedupe window
      clock += DEDUPE_WINDOW_MS * 5;
      down = false;
      await relay.drain();
      await until(() => got.length >= 6, SETTLE_MS, 'the remaining events');
      await relay.drain();
      expect(got.map((e) => e.tenant_seq)).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      await relay.stop();
      await consumer.stop();
      await inner.close();
    }
  });
});
