import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, createGateway } from '@mandant/gateway';
import { createLogger } from '@mandant/shared/log';
import { type RpcClient, createRpcClient } from '@mandant/shared/rpc';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, eventually, postgresUrls } from '@mandant/shared/testing';
import { type Harness, OPERATOR, startHarness } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

/**
 * Two gateway replicas on one platform (one database, one NATS): the platform's own gateway and
 * a second one built the same way in this process. A tenant's limit is per tenant, not per
 * replica: both together admit at most burst + rate·t.
 */
describe.skipIf(!pg || natsMissing)('rate limits across two gateway replicas', () => {
  let h: Harness;
  let second: Gateway;
  let rpc: RpcClient;
  let apis: string[] = [];
  const limited = { id: '', admin: '' };
  const neighbour = { id: '', admin: '' };

  const get = async (api: string, path: string, token: string) =>
    (await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${token}` } })).status;

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { USAGE_FLUSH_MS: '100' } });
    rpc = await createRpcClient(h.platform.runtime.rpc);
    second = await createGateway({
      config: {
        operatorToken: OPERATOR,
        jwt: {},
        singleTenantPrincipal: null,
        bodyLimitBytes: 1024 * 1024,
        limits: { leaseMs: 1000, usageFlushMs: 100 },
      },
      rpc,
      log: createLogger({ level: 'silent' }),
      ready: async () => ({ ok: true, checks: {} }),
    });
    apis = [h.api, `${await second.listen(0, '127.0.0.1')}/api/v1`];
    for (const t of [limited, neighbour]) {
      const res = await h.call('POST', '/tenants', {
        token: OPERATOR,
        body: { name: 'Replicas', slug: `replicas-${randomUUID().slice(0, 6)}` },
      });
      t.id = res.body.tenant.id;
      t.admin = res.body.admin_api_key;
    }
    // 20 requests a minute, burst 20
    const set = await h.call('PUT', `/tenants/${limited.id}/limits`, {
      token: OPERATOR,
      body: { requests_per_second: 20 / 60, burst: 20 },
    });
    expect(set.status).toBe(200);
  });
  afterAll(async () => {
    await second?.close();
    await rpc?.close();
    await h?.stop();
  });

  it('admits at most burst + refill over both replicas together, and the rest get 429; a neighbour is served meanwhile', async () => {
    const started = Date.now();
    const statuses: number[] = [];
    // 60 requests, 10 at a time, spread over both replicas
    for (let wave = 0; wave < 6; wave++) {
      statuses.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => get(apis[i % 2] ?? h.api, '/projects', limited.admin)))));
      // the neighbour is not slowed or refused by the limited tenant's refusals, on either replica
      expect(await get(apis[wave % 2] ?? h.api, '/projects', neighbour.admin)).toBe(200);
    }
    const elapsed = (Date.now() - started) / 1000;
    const admitted = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(admitted).toBeLessThanOrEqual(Math.floor(20 + (20 / 60) * elapsed));
    // a lease's unused tokens may expire in one replica while the other is refused, but not many
    expect(admitted).toBeGreaterThanOrEqual(15);
    expect(statuses.filter((s) => s === 429).length).toBe(60 - admitted);
  });

  it('counts usage from both replicas into the same per-tenant figures', async () => {
    // the neighbour made 6 calls above, 3 on each replica; 6 more now
    for (let i = 0; i < 6; i++) expect(await get(apis[i % 2] ?? h.api, '/tenant', neighbour.admin)).toBe(200);
    let calls = 0;
    await eventually(async () => {
      calls = (await h.call('GET', `/tenants/${neighbour.id}/usage`, { token: OPERATOR })).body.api_calls;
      return calls >= 12;
    }, "both replicas' calls to be counted");
    expect(calls).toBe(12);
  });
});
