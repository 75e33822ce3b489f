import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportUnavailableError } from './event-transport.ts';
import type { DeliveredEvent, EventTransport } from './event-transport.ts';
import { SETTLE_MS } from '../testing/eventually.ts';

/**
 * The behaviour every EventTransport adapter must show. Each test uses its own random tenant
 * token and durable names, so suites of several adapters (or several CI jobs) can share one
 * server. `subjectRoot` is the first subject token the adapter's stream accepts.
 */
export interface EventTransportContractOptions {
  subjectRoot?: string;
  /** per-test timeout; real servers need more than memory */
  timeoutMs?: number;
}

interface Received {
  subject: string;
  text: string;
  redelivered: boolean;
}

/** Collects deliveries and lets a test await a condition on them instead of sleeping. */
function createInbox() {
  const items: Received[] = [];
  const waiters = new Set<() => void>();
  return {
    items,
    push(e: DeliveredEvent): void {
      items.push({ subject: e.subject, text: new TextDecoder().decode(e.payload), redelivered: e.redelivered });
      for (const w of waiters) w();
    },
    async until(pred: (xs: Received[]) => boolean, timeoutMs = SETTLE_MS): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      while (!pred(items)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting; received: ${JSON.stringify(items)}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          const w = (): void => {
            clearTimeout(t);
            waiters.delete(w);
            resolve();
          };
          waiters.add(w);
        });
      }
      return items;
    },
  };
}

const texts = (xs: Received[]): string[] => xs.map((x) => x.text);
const token = (): string => randomUUID().replaceAll('-', '').slice(0, 12);

export function describeEventTransport(
  name: string,
  factory: () => Promise<EventTransport>,
  options: EventTransportContractOptions = {},
): void {
  const root = options.subjectRoot ?? 'events';
  const timeout = options.timeoutMs ?? 2 * SETTLE_MS;

  describe(`EventTransport contract: ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function setup() {
      const transport = await factory();
      cleanups.push(() => transport.close());
      const tenant = `t${token()}`;
      const subject = (suffix = 'item.created.v1', t = tenant): string => `${root}.${t}._.${suffix}`;
      const publish = (text: string, msgId: string = randomUUID(), subj = subject()) =>
        transport.publish({ subject: subj, msgId, payload: new TextEncoder().encode(text) });
      const consume = async (
        handler: (e: DeliveredEvent) => Promise<void>,
        o: { durable?: string; filterSubject?: string; ackWaitMs?: number; maxDeliver?: number } = {},
      ) => {
        const c = await transport.consume(
          { durable: o.durable ?? `d_${token()}`, filterSubject: o.filterSubject ?? `${root}.${tenant}.>`, ...o },
          handler,
        );
        cleanups.push(() => c.stop());
        return c;
      };
      return { transport, tenant, subject, publish, consume };
    }

    it(
      'delivers a published event with its subject and payload',
      async () => {
        const { publish, consume, subject } = await setup();
        const inbox = createInbox();
        await publish('hello');
        await consume(async (e) => inbox.push(e));
        const [first] = await inbox.until((xs) => xs.length >= 1);
        expect(first).toEqual({ subject: subject(), text: 'hello', redelivered: false });
      },
      timeout,
    );

    it(
      'drops a re-publish with the same msgId',
      async () => {
        const { publish, consume } = await setup();
        const inbox = createInbox();
        const id = randomUUID();
        await publish('first', id);
        await publish('again', id);
        await publish('marker');
        await consume(async (e) => inbox.push(e));
        // Stream order puts a duplicate before the marker, so the marker bounds the wait.
        expect(texts(await inbox.until((xs) => xs.some((x) => x.text === 'marker')))).toEqual(['first', 'marker']);
      },
      timeout,
    );

    it(
      'redelivers a nak-ed event, flagged as redelivered',
      async () => {
        const { publish, consume } = await setup();
        const inbox = createInbox();
        await publish('retry-me');
        await consume(async (e) => {
          inbox.push(e);
          if (!e.redelivered) await e.nak();
        });
        const xs = await inbox.until((ys) => ys.length >= 2);
        expect(xs.slice(0, 2).map((x) => [x.text, x.redelivered])).toEqual([
          ['retry-me', false],
          ['retry-me', true],
        ]);
      },
      timeout,
    );

    it(
      'redelivers an event whose handler threw',
      async () => {
        const { publish, consume } = await setup();
        const inbox = createInbox();
        await publish('flaky');
        await consume(async (e) => {
          inbox.push(e);
          if (!e.redelivered) throw new Error('projector store down');
        });
        const xs = await inbox.until((ys) => ys.length >= 2);
        expect(xs[1]).toMatchObject({ text: 'flaky', redelivered: true });
      },
      timeout,
    );

    it(
      'resumes a durable after stop without redelivering acked events',
      async () => {
        const { publish, consume } = await setup();
        const durable = `d_${token()}`;
        const before = createInbox();
        await publish('a');
        await publish('b');
        const c1 = await consume(
          async (e) => {
            before.push(e);
            if (new TextDecoder().decode(e.payload) === 'a') await e.ack(); // b is acked implicitly
          },
          { durable },
        );
        await before.until((xs) => xs.length >= 2);
        await c1.stop();

        await publish('c');
        await publish('d');
        const after = createInbox();
        await consume(async (e) => after.push(e), { durable });
        expect(texts(await after.until((xs) => xs.some((x) => x.text === 'd')))).toEqual(['c', 'd']);
      },
      timeout,
    );

    it(
      'delivers only subjects matching the filter',
      async () => {
        const { publish, consume, subject, tenant } = await setup();
        const other = `t${token()}`;
        await publish('other-1', undefined, subject('item.created.v1', other));
        await publish('mine-1');
        await publish('other-2', undefined, subject('item.created.v1', other));
        await publish('mine-2', undefined, subject('item.deleted.v1'));
        const inbox = createInbox();
        await consume(async (e) => inbox.push(e), { filterSubject: `${root}.${tenant}.>` });
        const xs = await inbox.until((ys) => ys.some((y) => y.text === 'mine-2'));
        expect(texts(xs)).toEqual(['mine-1', 'mine-2']);
      },
      timeout,
    );

    it(
      'gives every durable its own copy of each event',
      async () => {
        const { publish, consume } = await setup();
        const one = createInbox();
        const two = createInbox();
        await consume(async (e) => one.push(e));
        await consume(async (e) => two.push(e));
        await publish('x');
        await publish('y');
        expect(texts(await one.until((xs) => xs.length >= 2))).toEqual(['x', 'y']);
        expect(texts(await two.until((xs) => xs.length >= 2))).toEqual(['x', 'y']);
      },
      timeout,
    );

    it(
      'stops redelivering after maxDeliver attempts',
      async () => {
        const { publish, consume } = await setup();
        const inbox = createInbox();
        await publish('poison');
        await publish('healthy');
        await consume(
          async (e) => {
            inbox.push(e);
            if (new TextDecoder().decode(e.payload) === 'poison') await e.nak();
          },
          { maxDeliver: 2, ackWaitMs: 1_000 },
        );
        await inbox.until((xs) => xs.filter((x) => x.text === 'poison').length >= 2 && xs.some((x) => x.text === 'healthy'));
        // Absence can only be shown over a bounded window: longer than ack wait plus nak delay.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect(inbox.items.filter((x) => x.text === 'poison')).toHaveLength(2);
      },
      timeout,
    );

    it(
      'rejects publish after close',
      async () => {
        const { transport, publish } = await setup();
        await transport.close();
        await expect(publish('late')).rejects.toBeInstanceOf(TransportUnavailableError);
      },
      timeout,
    );
  });
}
