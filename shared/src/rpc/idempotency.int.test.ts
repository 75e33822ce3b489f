import { randomBytes, randomUUID } from 'node:crypto';
import type { IdempotencyMeta, Principal, RpcReply } from '@mandant/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql, withTenant } from '../db/connect.ts';
import { DomainError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { postgresUrls } from '../testing/backends.ts';
import { OPERATOR_TENANT, idempotentCorrelationId } from './idempotency.ts';
import { createInProcessHub } from './in-process.ts';
import { type RpcClient, createRpcClient, serveRpc } from './rpc.ts';
import { SETTLE_MS, eventually } from '../testing/eventually.ts';

const pg = postgresUrls();

const hex = () => randomBytes(32).toString('hex');
const meta = (over: Partial<IdempotencyMeta> = {}): IdempotencyMeta => ({
  key: hex(),
  fingerprint: hex(),
  seal: randomBytes(32).toString('base64url'),
  ...over,
});
const principal = (tenant_id = randomUUID()): Principal => ({ tenant_id, user_id: null, tenant_role: 'tenant_admin', actor: 'api_key:1' });

describe.skipIf(!pg)('idempotent requests in serveRpc', () => {
  let owner: Sql;
  let app: Sql;
  let client: RpcClient;
  let server: { close(): Promise<void> };
  const runs = new Map<string, number>();
  const gates = new Map<string, Promise<void>>();
  const seen: string[] = [];
  const started = new Set<string>();

  beforeAll(async () => {
    if (!pg) return;
    owner = createSql(pg.ownerUrl, { max: 2 });
    app = createSql(pg.appUrl, { max: 8 });
    const hub = createInProcessHub();
    const count = (input: unknown) => {
      const tag = (input as { tag: string }).tag;
      runs.set(tag, (runs.get(tag) ?? 0) + 1);
      return { tag, run: runs.get(tag) };
    };
    server = await serveRpc({
      service: 'idem-test',
      transport: { kind: 'in-process', hub },
      log: createLogger({ level: 'silent' }),
      sql: app,
      handlers: {
        'test.count': async (input, ctx) => {
          seen.push(ctx.meta.correlation_id);
          expect(ctx.meta).not.toHaveProperty('idempotency');
          started.add((input as { tag: string }).tag);
          await gates.get((input as { tag: string }).tag);
          return count(input);
        },
        'test.refuse': async (input) => {
          count(input);
          throw new DomainError('slug.taken', 'taken', { field: 'slug' });
        },
        'test.conflict': async (input) => {
          count(input);
          throw new DomainError('version.conflict', 'moved on');
        },
        'test.crash': async (input) => {
          count(input);
          throw new Error('boom');
        },
      },
    });
    client = await createRpcClient({ kind: 'in-process', hub });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await app?.end();
    await owner?.end();
  });

  const send = (
    pattern: string,
    tag: string,
    idempotency: IdempotencyMeta | undefined,
    who: Principal | null = principal(),
  ): Promise<RpcReply> =>
    client.request(pattern, {
      principal: who,
      operator: who === null,
      meta: { correlation_id: randomUUID(), traceparent: null, idempotency },
      input: { tag },
    });

  it('runs a request once per key and answers the retry with the stored reply, marked replayed', async () => {
    const who = principal();
    const id = meta();
    const first = await send('test.count', 'once', id, who);
    const again = await send('test.count', 'once', id, who);
    expect(first).toEqual({ ok: true, value: { tag: 'once', run: 1 } });
    expect(again).toEqual({ ok: true, value: { tag: 'once', run: 1 }, replayed: true });
    expect(runs.get('once')).toBe(1);
    expect(seen).toContain(idempotentCorrelationId(id.key));
    const [row] = await withTenant(
      app,
      who.tenant_id,
      (tx) => tx`select state, lease_until, reply from idempotent_requests where key = ${id.key}`,
    );
    expect(row?.state).toBe('done');
    expect(Buffer.from(row?.reply as Uint8Array).toString('utf8')).not.toContain('once');
  });

  it('runs requests without a key every time', async () => {
    await send('test.count', 'nokey', undefined);
    await send('test.count', 'nokey', undefined);
    expect(runs.get('nokey')).toBe(2);
  });

  it('refuses the same key with another request', async () => {
    const who = principal();
    const id = meta();
    await send('test.count', 'reuse', id, who);
    const other = await send('test.count', 'reuse', { ...id, fingerprint: hex() }, who);
    expect(other).toMatchObject({ ok: false, error: { code: 'idempotency.key_reused' } });
    expect(runs.get('reuse')).toBe(1);
  });

  it('keeps the keys of two tenants apart, even the same lookup key', async () => {
    const id = meta();
    await send('test.count', 'tenants', id, principal());
    const second = await send('test.count', 'tenants', id, principal());
    expect(second).toEqual({ ok: true, value: { tag: 'tenants', run: 2 } });
  });

  it('runs concurrent duplicates once: the others replay or are told it is in progress', async () => {
    const who = principal();
    const id = meta();
    let open = () => {};
    gates.set(
      'concurrent',
      new Promise<void>((resolve) => {
        open = resolve;
      }),
    );
    const sent = Array.from({ length: 5 }, () => send('test.count', 'concurrent', id, who));
    // the first holds the claim until the gate opens
    await eventually(() => started.has('concurrent'), 'the first request to start', SETTLE_MS, 10);
    open();
    const replies = await Promise.all(sent);
    expect(runs.get('concurrent')).toBe(1);
    expect(replies.filter((r) => r.ok && !r.replayed)).toHaveLength(1);
    for (const r of replies) if (!r.ok) expect(r.error.code).toBe('idempotency.in_progress');
  });

  it('stores a refusal for the retry, but not a conflict or a crash, which run again', async () => {
    const who = principal();
    const refused = meta();
    expect(await send('test.refuse', 'refuse', refused, who)).toMatchObject({
      ok: false,
      error: { code: 'slug.taken', details: { field: 'slug' } },
    });
    expect(await send('test.refuse', 'refuse', refused, who)).toMatchObject({ ok: false, error: { code: 'slug.taken' }, replayed: true });
    expect(runs.get('refuse')).toBe(1);
    const conflict = meta();
    await send('test.conflict', 'conflict', conflict, who);
    await send('test.conflict', 'conflict', conflict, who);
    expect(runs.get('conflict')).toBe(2);
    const crash = meta();
    expect(await send('test.crash', 'crash', crash, who)).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(await send('test.crash', 'crash', crash, who)).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(runs.get('crash')).toBe(2);
  });

  const lapse = (tenantId: string, key: string) =>
    owner`update idempotent_requests set state = 'running', reply = null, lease_until = now() - interval '1 second' where tenant_id = ${tenantId} and key = ${key}`;

  it('takes over a claim whose executor died before appending anything, and runs it', async () => {
    const who = principal();
    const id = meta();
    await send('test.count', 'takeover', id, who);
    await lapse(who.tenant_id, id.key);
    expect(await send('test.count', 'takeover', id, who)).toEqual({ ok: true, value: { tag: 'takeover', run: 2 } });
  });

  it('answers reply_lost for a lapsed claim whose request appended events, and does not run it again', async () => {
    const who = principal();
    const id = meta();
    await send('test.count', 'lost', id, who);
    await lapse(who.tenant_id, id.key);
    await owner`insert into events (tenant_id, tenant_seq, id, type, stream, version, occurred_at, actor, correlation_id, data, prev_hash, hash)
                values (${who.tenant_id}, 1, ${randomUUID()}, 'test.happened.v1', 'test', 1, now(), 'api_key:1', ${idempotentCorrelationId(id.key)}, '{}', '', 'x')`;
    const retry = await send('test.count', 'lost', id, who);
    expect(retry).toMatchObject({ ok: false, error: { code: 'idempotency.reply_lost' } });
    expect(runs.get('lost')).toBe(1);
  });

  it('answers reply_lost for the operator too, whichever tenant the request appended to', async () => {
    const id = meta();
    await send('test.count', 'operator', id, null);
    const [row] = await withTenant(app, OPERATOR_TENANT, (tx) => tx`select state from idempotent_requests where key = ${id.key}`);
    expect(row?.state).toBe('done');
    expect(await send('test.count', 'operator', id, null)).toMatchObject({ ok: true, replayed: true });
    await lapse(OPERATOR_TENANT, id.key);
    await owner`insert into events (tenant_id, tenant_seq, id, type, stream, version, occurred_at, actor, correlation_id, data, prev_hash, hash)
                values (${randomUUID()}, 1, ${randomUUID()}, 'test.happened.v1', 'test', 1, now(), 'operator', ${idempotentCorrelationId(id.key)}, '{}', '', 'x')`;
    expect(await send('test.count', 'operator', id, null)).toMatchObject({ ok: false, error: { code: 'idempotency.reply_lost' } });
    expect(runs.get('operator')).toBe(1);
  });

  it('forgets a key after it expired: the next request with it runs', async () => {
    const who = principal();
    const id = meta();
    await send('test.count', 'expired', id, who);
    await owner`update idempotent_requests set expires_at = now() - interval '1 second', created_at = now() - interval '25 hours' where key = ${id.key}`;
    expect(await send('test.count', 'expired', id, who)).toEqual({ ok: true, value: { tag: 'expired', run: 2 } });
  });

  it('purges expired claims of the tenant on its next claim', async () => {
    const who = principal();
    const old = meta();
    await send('test.count', 'purge', old, who);
    await owner`update idempotent_requests set expires_at = now() - interval '1 second' where key = ${old.key}`;
    await send('test.count', 'purge-2', meta(), who);
    expect(await owner`select 1 from idempotent_requests where key = ${old.key}`).toHaveLength(0);
  });

  it("purges an offboarded tenant's claims, and keeps none written afterwards", async () => {
    const who = principal();
    await send('test.count', 'offboard', meta(), who);
    await withTenant(app, who.tenant_id, (tx) => tx`insert into offboarded_tenants (tenant_id) values (${who.tenant_id})`);
    expect(await owner`select 1 from idempotent_requests where tenant_id = ${who.tenant_id}`).toHaveLength(0);
    await send('test.count', 'offboard', meta(), who);
    expect(await owner`select 1 from idempotent_requests where tenant_id = ${who.tenant_id}`).toHaveLength(0);
  });
});
