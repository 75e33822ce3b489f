import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { createInProcessHub } from './in-process.ts';
import { type RpcClient, createRpcClient, serveRpc } from './rpc.ts';

const runs = { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 100 };
const meta = { correlation_id: 'rpc-input-test', traceparent: null };

// The services' own entry refuses what Postgres cannot store, whoever sent it: the gateway is
// not their only caller. The in-process transport carries the same packets NATS would.
describe('RPC input entry', () => {
  const received: unknown[] = [];
  let server: { close(): Promise<void> };
  let client: RpcClient;
  beforeAll(async () => {
    const hub = createInProcessHub();
    server = await serveRpc({
      service: 'test',
      transport: { kind: 'in-process', hub },
      log: createLogger({ level: 'silent' }),
      handlers: {
        'test.echo': async (input) => {
          received.push(input);
          return input;
        },
      },
    });
    client = await createRpcClient({ kind: 'in-process', hub });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  const poisoned = fc
    .tuple(
      fc.array(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }),
      fc.string(),
      fc.constantFrom('\u0000', '\ud800', '\udfff'),
      fc.boolean(),
    )
    .map(([path, prefix, bad, asKey]) => {
      const leaf = asKey ? { [`${prefix}${bad}`]: 1 } : `${prefix}${bad}`;
      const input = path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), leaf);
      return { input, path: [...path, ...(asKey ? [`${prefix}${bad}`] : [])].join('.') };
    })
    .filter(({ path }) => !/(^|\.)(__proto__|constructor|prototype)(\.|$)/.test(path));

  it('answers validation.failed naming the field, before the handler runs, for a NUL or lone surrogate at any depth', async () => {
    await fc.assert(
      fc.asyncProperty(poisoned, async ({ input, path }) => {
        received.length = 0;
        const reply = await client.request('test.echo', { principal: null, meta, input });
        expect(reply.ok).toBe(false);
        if (reply.ok) return;
        expect(reply.error.code).toBe('validation.failed');
        expect(reply.error.details.issues).toEqual([expect.objectContaining({ path })]);
        expect(received).toEqual([]);
      }),
      runs,
    );
  });

  it('refuses input nested too deep and an unstorable principal, and passes clean input through', async () => {
    const deep = JSON.parse(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`);
    const tooDeep = await client.request('test.echo', { principal: null, meta, input: deep });
    expect(tooDeep.ok ? null : tooDeep.error.message).toMatch(/nested deeper than 32 levels$/);
    const actor = await client.request('test.echo', {
      principal: { tenant_id: '01938a3e-7f00-7000-8000-000000000001', user_id: null, tenant_role: 'tenant_admin', actor: 'api_key:\u0000' },
      meta,
      input: {},
    });
    expect(actor.ok ? null : actor.error.message).toMatch(/^principal\.actor: contains U\+0000/);
    expect(await client.request('test.echo', { principal: null, meta, input: { title: 'Straße 日本 👩‍👩‍👧' } })).toEqual({
      ok: true,
      value: { title: 'Straße 日本 👩‍👩‍👧' },
    });
  });
});
