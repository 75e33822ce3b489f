import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiRoute, apiRoutes } from '@mandant/gateway';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { SETTLE_MS, eventually } from '@mandant/shared/testing';
import { type Harness, OPERATOR, startHarness } from '../e2e/harness.ts';
import { type TenantWorld, buildTenant } from './fixture.ts';
import { type Hostile, type Role, hostileRequest } from './hostile-requests.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

/** Replay a run with HOSTILE_SEED; HOSTILE_RUNS sets the requests per route. */
const SEED = Number(process.env.HOSTILE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.HOSTILE_RUNS ?? 30);

const tagOf = () => Array.from({ length: 8 }, () => 'ghijkmnpqrstuvwxyz'[Math.floor(Math.random() * 18)]).join('');

interface Answer {
  status: number;
  type: string | null;
  body: any;
  closed: boolean;
}

describe.skipIf(!pg || natsMissing)('hostile input to every route with every role', () => {
  let h: Harness;
  let w: TenantWorld;
  /** correlation ids of the requests refused: none of them may appear in the log */
  const refused = new Set<string>();
  const statuses = new Map<string, number>();
  const rolesSeen = new Set<Role>();

  beforeAll(async () => {
    if (!pg) return;
    // the harness's rate limits are generous: this suite probes validation, not the limiter
    h = await startHarness({ ownerUrl: pg.ownerUrl });
    w = await buildTenant(h, tagOf(), 'Ottilie Brandvold', 'Quorvane Shipping');
    process.stdout.write(`hostile seed ${SEED} (replay with HOSTILE_SEED=${SEED}), ${RUNS} requests per route\n`);
  });
  afterAll(async () => {
    await h?.stop();
  });

  const tokenOf = (role: Role): string | null => {
    if (role === 'operator') return OPERATOR;
    if (role === 'none') return null;
    if (role === 'junk') return `mnd_${randomUUID()}`;
    return w.tokens[role];
  };

  /** the request sent before, named when an answer is missing (a connection left unusable shows on the next one) */
  let previous = 'none';
  let answeredAt = Date.now();
  async function send(r: Hostile): Promise<Answer> {
    const before = `${previous}, answered ${Date.now() - answeredAt} ms earlier`;
    previous = `${r.role} ${r.route.method} ${r.path.slice(0, 100)} (${r.note})`;
    const headers: Record<string, string> = { 'x-correlation-id': r.correlationId, ...r.headers };
    const token = tokenOf(r.role);
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | Uint8Array | undefined;
    if (r.body?.kind === 'json') {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(r.body.value);
    } else if (r.body) {
      headers['content-type'] = r.body.contentType;
      body = r.body.bytes;
    }
    const ctl = new AbortController();
    try {
      const res = await fetch(`${h.api}${r.path}`, { method: r.route.method, headers, body, signal: ctl.signal });
      const type = res.headers.get('content-type');
      // a status stream that opened stays open until the document is final: its first bytes are enough
      const text = type?.startsWith('text/event-stream') ? '' : await res.text();
      ctl.abort();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: kept as text
      }
      answeredAt = Date.now();
      return { status: res.status, type, body: parsed, closed: false };
    } catch (err) {
      // the server may answer a truncated or oversized upload by closing the connection
      if (r.mayClose) return { status: 0, type: null, body: String(err), closed: true };
      throw new Error(`${r.role} ${r.route.method} ${r.path.slice(0, 200)} (${r.note}): no answer; the request before was ${before}`, {
        cause: err,
      });
    }
  }

  /** What must hold for every answer, whatever was sent. */
  function check(r: Hostile, a: Answer): void {
    const what = `${r.role} ${r.route.method} ${r.path} (${r.note}) -> ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`;
    statuses.set(`${r.route.name} ${a.status}`, (statuses.get(`${r.route.name} ${a.status}`) ?? 0) + 1);
    rolesSeen.add(r.role);
    if (a.closed) return;
    if (a.status >= 500) throw new Error(`a 5xx: ${what}`);
    if (a.status >= 400) {
      refused.add(r.correlationId);
      if (!a.type?.startsWith('application/problem+json')) throw new Error(`a ${a.status} without problem+json: ${what}`);
      if (typeof a.body?.type !== 'string' || a.body.status !== a.status) throw new Error(`a malformed problem: ${what}`);
    }
    if (r.fault && a.status < 400) throw new Error(`accepted input with a fault at ${r.fault.path} (${r.fault.kind}): ${what}`);
    if (r.fault && a.status === 400 && r.fault.named) {
      const paths: string[] = (a.body.issues ?? []).map((i: { path: string }) => i.path);
      const target = r.fault.path;
      if (!paths.some((p) => p === target || target.startsWith(`${p}.`) || p.startsWith(`${target}.`))) {
        throw new Error(`400 without naming ${JSON.stringify(target)} (named ${JSON.stringify(paths)}): ${what}`);
      }
    }
  }

  const world = () => w;
  apiRoutes.forEach((route: ApiRoute, index) => {
    it(`${route.method} ${route.path}: never a 5xx, problem+json on every 4xx, every fault refused`, async () => {
      await fc.assert(
        fc.asyncProperty(hostileRequest(route, world()), async (r) => check(r, await send(r))),
        {
          seed: SEED + index,
          numRuns: RUNS,
          endOnFailure: true,
        },
      );
    });
  });

  /** The tenant's head once every upload so far is processed: nothing moves it but a request. */
  async function quietHead(): Promise<number> {
    return eventually(
      async () => {
        const busy = await Promise.all(
          ['pending', 'processing'].map(
            async (status) =>
              (await h.call('GET', `/documents?status=${status}&limit=1`, { token: w.tokens.admin })).body.documents.length as number,
          ),
        );
        const head = (await h.call('GET', '/events?after=0&limit=1', { token: w.tokens.auditor })).body.head as number;
        return busy.every((n) => n === 0) && { head };
      },
      'every upload so far to be processed',
      SETTLE_MS,
      200,
    ).then(({ head }) => head);
  }

  it("a burst of faulty writes to every route leaves the tenant's head where it was", async () => {
    const writes = apiRoutes.filter((r) => r.method !== 'GET');
    const faulty = fc.oneof(...writes.map((r) => hostileRequest(r, world()))).filter((r) => r.fault !== undefined);
    const before = await quietHead();
    // generated one at a time, as sent: a client that computed for seconds between two requests
    // could pick a keep-alive connection the server closed meanwhile (a reset that says nothing of the server)
    await fc.assert(
      fc.asyncProperty(faulty, async (r) => check(r, await send(r))),
      { seed: SEED, numRuns: 300, endOnFailure: true },
    );
    expect(await quietHead()).toBe(before);
  }, 180_000);

  it('afterwards: every role was tried, the platform is ready, the chain verifies, no refused request wrote, no projection dead-lettered', async () => {
    expect([...rolesSeen].sort()).toEqual(['admin', 'auditor', 'editor', 'junk', 'none', 'operator', 'outsider', 'padmin', 'viewer']);
    expect((await h.call('GET', '/readyz')).status).toBe(200);
    const verify = await h.call('GET', '/events/verify', { token: w.tokens.auditor });
    expect(verify.status).toBe(200);
    expect(verify.body.ok).toBe(true);
    const written: string[] = [];
    let head = 0;
    for (let after = 0; ;) {
      const page = await h.call('GET', `/events?after=${after}&limit=1000`, { token: w.tokens.auditor });
      expect(page.status).toBe(200);
      head = page.body.head;
      const events = page.body.events as { tenant_seq: number; correlation_id: string | null }[];
      for (const e of events) if (e.correlation_id && refused.has(e.correlation_id)) written.push(`${e.tenant_seq} ${e.correlation_id}`);
      if (events.length === 0) break;
      after = events.at(-1)?.tenant_seq ?? after;
    }
    expect(written).toEqual([]);
    // every accepted value, however odd, is projected: nothing is dead-lettered
    await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(w.id, head, SETTLE_MS)));
    const status = await h.call('GET', '/projections/status', { token: w.tokens.auditor });
    expect(status.status).toBe(200);
    const dead = (status.body.projectors as { name: string; dead_letters: number }[]).filter((p) => p.dead_letters > 0);
    expect(dead).toEqual([]);
    process.stdout.write(
      `hostile answers by route and status:\n${[...statuses]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, n]) => `${String(n).padStart(5)}  ${k}`)
        .join('\n')}\n`,
    );
  }, 180_000);
});
