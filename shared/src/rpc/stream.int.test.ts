import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { eventually } from '../testing/eventually.ts';
import { createInProcessHub } from './in-process.ts';
import { type RpcClient, type RpcTransport, createRpcClient, serveRpc } from './rpc.ts';
import {
  type OpenStream,
  type RpcStreamEvent,
  RpcStreamError,
  consumeStream,
  natsStream,
  serveNatsStreams,
  streamSubject,
  streamingHandler,
} from './stream.ts';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const meta = { correlation_id: 'rpc-stream-test', traceparent: null };
const log = createLogger({ level: 'silent' });

/** A gate a test opens once a condition it observed holds: the handler waits on it, never on a timer. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

const transports: [string, () => RpcTransport][] = [
  ['in-process', () => ({ kind: 'in-process', hub: createInProcessHub() })],
  ['NATS', () => ({ kind: 'nats', servers: [url] })],
];

describe.each(transports)('streamed replies over %s', (_name, makeTransport) => {
  // one subject space per run, so suites on one NATS server never meet
  const p = `test.stream.${Math.random().toString(36).slice(2, 10)}`;
  const second = gate();
  const aborted: string[] = [];
  let server: { close(): Promise<void> };
  let client: RpcClient;

  beforeAll(async () => {
    const transport = makeTransport();
    server = await serveRpc({
      service: `stream-test-${p}`,
      transport,
      log,
      handlers: {
        [`${p}.two`]: streamingHandler(async (input, _ctx, emit) => {
          emit({ text: 'first' });
          await second.opened;
          emit({ text: 'second' });
          return { whole: 'first second', input };
        }),
        [`${p}.refuse`]: streamingHandler(async () => {
          throw new DomainError('not_found', 'conversation not found');
        }),
        [`${p}.break`]: streamingHandler(async (_input, _ctx, emit) => {
          emit({ text: 'partial' });
          throw new DomainError('conflict', 'chat model failed mid-answer');
        }),
        [`${p}.endless`]: streamingHandler(async (input, ctx, emit) => {
          const tag = (input as { tag: string }).tag;
          let n = 0;
          while (!ctx.signal.aborted) {
            emit({ n: n++, pad: 'x'.repeat(100) });
            await new Promise((r) => setImmediate(r));
          }
          aborted.push(tag);
          return null;
        }),
      },
    });
    client = await createRpcClient(transport);
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  const collect = async <T>(events: AsyncIterable<RpcStreamEvent<T>>) => {
    const seen: RpcStreamEvent<T>[] = [];
    for await (const e of events) seen.push(e);
    return seen;
  };
  const stream = <T>(pattern: string, input: unknown, opts = {}) => {
    if (!client.stream) throw new Error('client cannot stream');
    return client.stream<T>(pattern, { principal: null, meta, input }, opts);
  };

  it('hands a chunk to the client before the handler has produced the next one', async () => {
    const seen: RpcStreamEvent<unknown>[] = [];
    for await (const e of stream(`${p}.two`, { q: 1 })) {
      seen.push(e);
      // the handler waits for this: the first chunk reached the client while the second did not exist yet
      if (seen.length === 1) second.open();
    }
    expect(seen).toEqual([
      { type: 'chunk', data: { text: 'first' } },
      { type: 'chunk', data: { text: 'second' } },
      { type: 'end', reply: { ok: true, value: { whole: 'first second', input: { q: 1 } } } },
    ]);
  });

  it('answers the same handler whole over plain request/reply', async () => {
    second.open();
    expect(await client.request(`${p}.two`, { principal: null, meta, input: 'x' })).toEqual({
      ok: true,
      value: { whole: 'first second', input: 'x' },
    });
  });

  it('a refusal before any chunk is the only event', async () => {
    expect(await collect(stream(`${p}.refuse`, {}))).toEqual([
      { type: 'end', reply: { ok: false, error: { code: 'not_found', message: 'conversation not found', details: {} } } },
    ]);
  });

  it('a failure after chunks ends the stream with the error', async () => {
    const seen = await collect(stream(`${p}.break`, {}));
    expect(seen[0]).toEqual({ type: 'chunk', data: { text: 'partial' } });
    expect(seen[1]).toMatchObject({ type: 'end', reply: { ok: false, error: { code: 'conflict' } } });
  });

  it('a request that is not an RPC request is refused, not run', async () => {
    const seen = await collect(stream(`${p}.two`, { bad: '\u0000' }));
    expect(seen).toEqual([expect.objectContaining({ type: 'end', reply: expect.objectContaining({ ok: false }) })]);
  });

  it("the caller's signal stops the stream and the handler", async () => {
    const stop = new AbortController();
    let chunks = 0;
    const err = await (async () => {
      for await (const _e of stream(`${p}.endless`, { tag: 'signal' }, { signal: stop.signal })) if (++chunks === 3) stop.abort();
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcStreamError);
    await eventually(() => aborted.includes('signal'), 'the handler sees its signal abort');
  });

  it('a consumer that breaks off stops the handler', async () => {
    for await (const _e of stream(`${p}.endless`, { tag: 'break' })) break;
    await eventually(() => aborted.includes('break'), 'the handler sees its signal abort');
  });

  it('past its size bound the stream fails and the handler stops', async () => {
    const err = await collect(stream(`${p}.endless`, { tag: 'size' }, { maxBytes: 10_000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcStreamError);
    expect((err as Error).message).toMatch(/exceeds 10000 bytes/);
    await eventually(() => aborted.includes('size'), 'the handler sees its signal abort');
  });

  it('no service for the pattern: RpcStreamError, not a hang', async () => {
    const err = await collect(stream(`${p}.nobody`, {}, { startTimeoutMs: 2_000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcStreamError);
  });
});

describe('a streamed reply whose service replica dies mid-stream', () => {
  it('fails once nothing, not even a heartbeat, came for idleMs, instead of waiting for the total deadline', async () => {
    const nc = await connect({ servers: [url] });
    const pattern = `test.stream.${Math.random().toString(36).slice(2, 10)}.mute`;
    // a "replica" that takes the request, says start, then falls silent (as a killed process would)
    const sub = nc.subscribe(streamSubject(pattern), {
      callback: (_err, msg) => {
        if (msg.reply) nc.publish(msg.reply, JSON.stringify({ i: 0, t: 'start' }));
      },
    });
    try {
      const events = consumeStream(pattern, natsStream(nc, pattern, { principal: null, operator: false, meta, input: {} }), {
        idleMs: 300,
      });
      const err = await (async () => {
        for await (const _e of events) {
          // no event is expected
        }
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RpcStreamError);
      expect((err as Error).message).toMatch(/silent for 300 ms/);
    } finally {
      sub.unsubscribe();
      await nc.drain();
    }
  });

  it('a handler silent for longer than idleMs stays alive on heartbeats', async () => {
    const nc = await connect({ servers: [url] });
    const pattern = `test.stream.${Math.random().toString(36).slice(2, 10)}.slow`;
    const go = gate();
    const served = serveNatsStreams(
      nc,
      'stream-test-slow',
      new Map([
        [
          pattern,
          async () => {
            await go.opened;
            return 'late answer';
          },
        ],
      ]),
      log,
      50,
    );
    let beats = 0;
    const open = natsStream(nc, pattern, { principal: null, operator: false, meta, input: {} });
    const counting: OpenStream = (deliver, fail) =>
      open((frame, bytes) => {
        if (frame.t === 'beat' && ++beats === 12) go.open(); // 600 ms of beats, twice the idle bound
        deliver(frame, bytes);
      }, fail);
    try {
      const seen: RpcStreamEvent<unknown>[] = [];
      for await (const e of consumeStream(pattern, counting, { idleMs: 300 })) seen.push(e);
      expect(seen).toEqual([{ type: 'end', reply: { ok: true, value: 'late answer' } }]);
      expect(beats).toBeGreaterThanOrEqual(12);
    } finally {
      await served.close();
      await nc.drain();
    }
  });
});
