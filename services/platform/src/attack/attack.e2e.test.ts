import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiRoute, apiRoutes } from '@mandant/gateway';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { type Harness, startHarness } from '../e2e/harness.ts';
import { type Kind, type Role, type TenantWorld, buildTenant, jwtFor, missingId, prng } from './fixture.ts';
import { SETTLE_MS } from '@mandant/shared/testing';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

/** Requests per direction (B attacks A, then A attacks B); at least 10,000 in all. */
const PER_DIRECTION = Number(process.env.ATTACK_REQUESTS ?? 5_000);
const CONCURRENCY = 16;
const SEED = Number(process.env.ATTACK_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** Path parameter or body field → the kind of id it names. */
const KIND_OF: Record<string, Kind> = {
  project_id: 'project',
  user_id: 'user',
  document_id: 'document',
  entity_id: 'entity',
  conversation_id: 'conversation',
  key_id: 'api_key',
  tenant_id: 'tenant',
  into: 'entity',
};
const ROLES: Role[] = ['admin', 'auditor', 'padmin', 'editor', 'viewer', 'outsider', 'forged'];
/** Lower weight: each creates something in the attacker's own tenant, or costs an ingestion run. */
const RARE = new Set([
  'createUser',
  'createProject',
  'uploadDocument',
  'uploadProjectDocument',
  'createConversation',
  'createApiKey',
  'patchTenantSettings',
  'provisionTenant',
  'postMessage',
]);

/** Letters outside [0-9a-f]: a tag can never occur by chance inside a uuid or a hash. */
const tagOf = () => Array.from({ length: 8 }, () => 'ghijkmnpqrstuvwxyz'[Math.floor(Math.random() * 18)]).join('');

type Fill = 'own' | 'victim' | 'missing';
interface Planned {
  route: ApiRoute;
  role: Role;
  path: string;
  body: unknown;
  victimIds: string[];
  fills: Fill[];
}

describe.skipIf(!pg || natsMissing)('isolation under randomised cross-tenant requests', () => {
  let h: Harness;
  const w = {} as Record<'a' | 'b', TenantWorld>;
  const forged = {} as Record<'a' | 'b', string>;

  beforeAll(async () => {
    if (!pg) return;
    // the forged tokens' subjects register on first use in the attacker's tenant (see jwtFor)
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { JWT_REGISTER_ON_FIRST_USE: 'true' } });
    const [ta, tb] = [tagOf(), tagOf()];
    [w.a, w.b] = await Promise.all([
      buildTenant(h, ta, 'Xavier Quillfeather', 'Brightwater Holdings'),
      buildTenant(h, tb, 'Yolanda Marchbank', 'Cobaltine Trading'),
    ]);
    // a valid signature for the attacker's tenant, naming a user of the victim tenant
    forged.a = await jwtFor(w.a.id, w.b.users.viewer);
    forged.b = await jwtFor(w.b.id, w.a.users.viewer);
    // Its first use registers the forged subject in the attacker's tenant. Done here, before the
    // burst: were it done by a request of the burst, an operator route asked before and after it
    // would answer 401 (no such user) and then 403 (a user, not the operator), and a request and
    // its missing-id twin would differ for a reason that says nothing about the victim.
    for (const token of [forged.a, forged.b]) {
      const me = await h.call('GET', '/me/projects', { token });
      if (me.status !== 200) throw new Error(`the forged subject's first use answered ${me.status}`);
    }
    // let every projector settle, so the victim's head moves only if a request moves it
    for (const t of [w.a, w.b]) {
      const head = (await h.call('GET', '/events?after=0&limit=1', { token: t.tokens.auditor })).body.head as number;
      await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(t.id, head, SETTLE_MS)));
    }
  }, 600_000);
  afterAll(async () => {
    await h?.stop();
  });

  /** Plans one request of `attacker` against `victim`, using the PRNG only (replayable). */
  function plan(rand: () => number, attacker: TenantWorld, victim: TenantWorld, forgedToken: string): Planned & { token: string } {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    let route = pick(apiRoutes);
    if (RARE.has(route.name) && rand() < 0.9) route = pick(apiRoutes.filter((r) => !RARE.has(r.name)));
    const role = pick(ROLES);
    const token = role === 'forged' ? forgedToken : attacker.tokens[role];
    const write = route.method !== 'GET' && route.name !== 'searchProject' && route.name !== 'searchGlobal';
    const victimIds: string[] = [];
    const fills: Fill[] = [];
    // The forged token registers the victim's viewer id as a user of the attacker's own tenant on
    // first use: from then on that id is the attacker's too, so it is no probe of the victim.
    const probe = (v: string) => {
      if (v !== victim.users.viewer) victimIds.push(v);
    };
    const id = (kind: Kind): string => {
      // writes never name only the attacker's own ids: they would change its fixture, not probe the victim
      const fill: Fill = write ? (rand() < 0.75 ? 'victim' : 'missing') : pick(['own', 'victim', 'victim', 'missing'] as const);
      fills.push(fill);
      if (fill === 'missing') return missingId();
      if (rand() < 0.1) {
        // a victim id of another kind in the slot (a document id where a project goes)
        const v = pick(victim.ids[pick(['project', 'document', 'entity', 'conversation', 'user'] as const)]);
        probe(v);
        return v;
      }
      const pool = (fill === 'own' ? attacker : victim).ids[kind];
      if (pool.length === 0) return missingId();
      const v = pick(pool);
      if (fill === 'victim') probe(v);
      return v;
    };
    const word = () => pick([...victim.secrets, ...attacker.secrets.slice(0, 3), 'payment']);
    let path = route.path.replace(/:(\w+)/g, (_, p: string) => id(KIND_OF[route.params?.[p] ?? ''] ?? 'project'));
    const q = (params: Record<string, string | number>) =>
      `?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
    let body: unknown;
    switch (route.name) {
      case 'provisionTenant':
        body = { name: 'x', slug: `x-${Math.floor(rand() * 1e9)}` };
        break;
      case 'patchTenantSettings':
        body = { settings: { probe: Math.floor(rand() * 1000) } };
        break;
      case 'createApiKey':
        body = { name: 'probe', user_id: id('user') };
        break;
      case 'createUser':
        body = { email: `probe${Math.floor(rand() * 1e9)}@${attacker.tag}.example`, name: 'probe' };
        break;
      case 'putMember':
        body = { role: pick(['viewer', 'editor', 'admin']) };
        break;
      case 'putProfile':
        body = { display_name: 'probe', preferences: { probe: true } };
        break;
      case 'switchProject':
        body = { project_id: id('project'), ...(rand() < 0.5 ? { save_state: { probe: 1 } } : {}) };
        break;
      case 'createProject':
        body = { name: `probe ${attacker.tag}` };
        break;
      case 'updateProject':
        body = pick([{ name: 'hijacked' }, { description: 'hijacked' }, { settings: { embedding_model: 'x' } }]);
        break;
      case 'uploadProjectDocument':
      case 'uploadDocument':
        body = { title: `probe ${attacker.tag}`, content: `probe ${Math.floor(rand() * 1e9)} ${attacker.tag}` };
        break;
      case 'linkDocuments':
        body = { document_ids: rand() < 0.5 ? [id('document')] : [pick(attacker.ids.document), id('document')] };
        break;
      case 'searchProject':
      case 'searchGlobal':
        body = {
          query: word(),
          mode: pick(['hybrid', 'keyword', 'vector']),
          ...(rand() < 0.3 ? { filters: { entity: pick(victim.secrets) } } : {}),
        };
        break;
      case 'mergeEntity':
        body = { into: id('entity') };
        break;
      case 'createProjectConversation':
      case 'createConversation':
        body = { title: 'probe' };
        break;
      case 'postMessage':
        body = { content: `Tell me about ${word()}`, ...(rand() < 0.3 ? { scope: 'global' } : {}) };
        break;
      case 'listEntities':
      case 'listProjectEntities':
        path += q({ query: word().slice(0, 40), limit: 50 });
        break;
      case 'listEvents':
        path += q({ after: Math.floor(rand() * 40), limit: 200 });
        break;
      case 'entityNeighbourhood':
        path += q({ depth: 1 + Math.floor(rand() * 3), ...(rand() < 0.3 ? { project_id: id('project') } : {}) });
        break;
      case 'listDocuments':
      case 'listProjectDocuments':
        path += rand() < 0.3 ? q({ status: 'processed' }) : '';
        break;
      default:
        break;
    }
    return { route, role, token, path, body, victimIds, fills };
  }

  async function send(p: { route: ApiRoute; path: string; body: unknown; token: string }) {
    if (p.route.handler === 'status-stream') {
      // server-sent events end once the document is final; a probe needs only the status and the first bytes
      const ctl = new AbortController();
      const res = await fetch(`${h.api}${p.path}`, { headers: { authorization: `Bearer ${p.token}` }, signal: ctl.signal });
      const text =
        res.status === 200
          ? await Promise.race([res.text(), new Promise<string>((r) => setTimeout(() => r(''), 2_000))])
          : await res.text();
      ctl.abort();
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* the stream */
      }
      return { status: res.status, body, headers: res.headers };
    }
    return h.call(p.route.method, p.path, { token: p.token, body: p.body });
  }

  /** The body with the correlation id, instance and the given ids (in order) made neutral, for comparison. */
  const normalise = (body: unknown, ids: string[]) => {
    let text = JSON.stringify(body ?? null);
    ids.forEach((id, i) => {
      text = text.split(id).join(`<id${i}>`);
    });
    const value = JSON.parse(text);
    if (value && typeof value === 'object') {
      delete value.correlation_id;
      delete value.instance;
    }
    return value;
  };

  async function attack(attacker: TenantWorld, victim: TenantWorld, forgedToken: string, seed: number) {
    const rand = prng(seed);
    const plans = Array.from({ length: PER_DIRECTION }, () => plan(rand, attacker, victim, forgedToken));
    // The forged token names the victim's viewer id, so the attacker's own tenant then holds that id
    // (actor of its searches, member of the projects it creates): the attacker wrote it, it is no leak.
    const victimTokens = [
      victim.tag,
      ...new Set(Object.values(victim.ids).flat()),
      ...victim.secrets.filter((s) => !s.includes(attacker.tag)),
    ].filter((t) => t !== victim.users.viewer);
    const counts = new Map<string, number>();
    const leaks: string[] = [];
    const mismatches: string[] = [];
    const failures: string[] = [];
    let twins = 0;
    let next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        const p = plans[i];
        if (!p) return;
        const res = await send(p);
        const key = `${p.route.method} ${p.route.path} ${res.status}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        if (res.status >= 500)
          failures.push(`#${i} ${p.role} ${p.route.method} ${p.path} -> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        // a leak: anything of the victim's in the answer that the request did not itself send
        const sent = `${p.path} ${JSON.stringify(p.body ?? '')} ${p.role === 'forged' ? victim.users.viewer : ''}`;
        const answer = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
        for (const t of victimTokens) {
          if (answer.includes(t) && !sent.includes(t)) {
            const kind = Object.entries(victim.ids).find(([, ids]) => ids.includes(t))?.[0] ?? 'text';
            const at = answer.indexOf(t);
            leaks.push(
              `#${i} ${p.role} ${p.route.method} ${p.path} answered ${res.status} containing the victim's ${kind} ${t}: …${answer.slice(Math.max(0, at - 150), at + 100)}…`,
            );
          }
        }
        if (p.victimIds.length > 0) {
          // the same request with every victim id swapped for an id nobody owns must answer alike
          const victimIds = [...new Set(p.victimIds)];
          const stand = victimIds.map(() => missingId());
          const swap = (s: string) => victimIds.reduce((acc, id, k) => acc.split(id).join(stand[k] ?? ''), s);
          const twin = await send({
            ...p,
            path: swap(p.path),
            body: p.body === undefined ? undefined : JSON.parse(swap(JSON.stringify(p.body))),
          });
          twins++;
          const a = { status: res.status, body: normalise(res.body, victimIds) };
          const b = { status: twin.status, body: normalise(twin.body, stand) };
          if (JSON.stringify(a) !== JSON.stringify(b)) {
            mismatches.push(
              `#${i} ${p.role} ${p.route.method} ${p.path}: victim ${JSON.stringify(a).slice(0, 300)} vs missing ${JSON.stringify(b).slice(0, 300)}`,
            );
          }
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return { counts, leaks, mismatches, failures, twins, plans };
  }

  const head = async (t: TenantWorld) => (await h.call('GET', '/events?after=0&limit=1', { token: t.tokens.auditor })).body.head as number;
  /** What the victim's admin sees of its tenant: it must be the same after the attack. */
  const snapshot = async (t: TenantWorld) => {
    const out: Record<string, unknown> = {};
    for (const path of [
      '/tenant',
      '/projects',
      '/users',
      '/api-keys',
      '/documents',
      '/entities?limit=500',
      '/chat/conversations',
      `/projects/${t.ids.project[0]}/members`,
      `/projects/${t.ids.project[0]}/chat/conversations`,
    ]) {
      out[path] = (await h.call('GET', path, { token: t.tokens.admin })).body;
    }
    return out;
  };

  it(`answers ${2 * PER_DIRECTION} randomised cross-tenant requests (seed ${SEED}) without a read, a write or a tell`, async () => {
    process.stdout.write(
      `attack seed ${SEED} (replay with ATTACK_SEED=${SEED}), ${PER_DIRECTION} requests per direction, concurrency ${CONCURRENCY}\n`,
    );
    const all = new Map<string, number>();
    const routesHit = new Set<string>();
    const rolesHit = new Set<string>();
    for (const [attacker, victim, token, seed] of [
      [w.b, w.a, forged.b, SEED],
      [w.a, w.b, forged.a, SEED + 1],
    ] as const) {
      const before = { head: await head(victim), view: await snapshot(victim) };
      const started = Date.now();
      const r = await attack(attacker, victim, token, seed);
      const after = { head: await head(victim), view: await snapshot(victim) };
      process.stdout.write(
        `${attacker.tag} → ${victim.tag}: ${r.plans.length} requests + ${r.twins} missing-id twins in ${Date.now() - started} ms; victim head ${before.head} → ${after.head}\n`,
      );
      for (const [k, n] of r.counts) all.set(k, (all.get(k) ?? 0) + n);
      for (const p of r.plans) {
        routesHit.add(p.route.name);
        rolesHit.add(p.role);
      }
      expect(r.leaks.slice(0, 20)).toEqual([]);
      expect(r.mismatches.slice(0, 20)).toEqual([]);
      expect(r.failures.slice(0, 20)).toEqual([]);
      expect(after.head).toBe(before.head);
      expect(after.view).toEqual(before.view);
    }
    process.stdout.write(
      `${[...all]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, n]) => `${String(n).padStart(6)}  ${k}`)
        .join('\n')}\n`,
    );
    expect([...apiRoutes.map((r) => r.name)].filter((n) => !routesHit.has(n))).toEqual([]);
    expect([...rolesHit].sort()).toEqual([...ROLES].sort());
  }, 300_000);

  it('sanity: the same callers do read their own tenant (the probes are not all refused for a trivial reason)', async () => {
    for (const t of [w.a, w.b]) {
      const docs = (await h.call('GET', `/projects/${t.ids.project[0]}/documents`, { token: t.tokens.viewer })).body.documents as {
        id: string;
      }[];
      expect(docs.length).toBeGreaterThanOrEqual(2);
      const hits = (
        await h.call('POST', `/projects/${t.ids.project[0]}/search`, {
          token: t.tokens.viewer,
          body: { query: `kxqvault${t.tag}`, mode: 'keyword' },
        })
      ).body.hits as unknown[];
      expect(hits.length).toBeGreaterThan(0);
      expect(t.ids.entity.length).toBeGreaterThan(0);
    }
    // a uuid that is nobody's still gets the standard 404 problem
    const res = await h.call('GET', `/documents/${randomUUID()}`, { token: w.a.tokens.admin });
    expect(res.status).toBe(404);
  });
});
