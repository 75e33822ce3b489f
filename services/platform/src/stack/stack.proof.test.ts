import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DocumentStores, documentProjections } from '@mandant/projectors';
import { createSql } from '@mandant/shared/db';
import { createLogger } from '@mandant/shared/log';
import { findMeilisearchBinary } from '@mandant/shared/runtime';
import { findNatsServer } from '@mandant/shared/runtime';
import { NO_QDRANT_BINARY, findQdrantServer } from '@mandant/shared/runtime';
import { embeddedNeo4jUnavailable } from '@mandant/shared/stores/graph';
import { backendMissing, eventually, ownDatabase, postgresUrls } from '@mandant/shared/testing';
import { type Answer, type Client, createClient } from './load.ts';
import { SERVICES, type Stack, startStack } from './stack.ts';
import { buildDist } from '../../../../tools/build/build.ts';

/**
 * The proof of the production topology: every service in two replicas on a 3-node NATS
 * cluster with Qdrant, Meilisearch, Neo4j and S3, driven by clients through both gateways
 * while a fault schedule kills a NATS node, one replica of every service in turn, Qdrant and
 * Meilisearch. Afterwards nothing accepted is lost, nothing is applied twice, every store
 * agrees with the log and every chain verifies. The services and the CLI run compiled
 * (`npm run build`), as images run them.
 */
const pg = postgresUrls();
const missing = [
  backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the cluster'),
  backendMissing('qdrant', findQdrantServer() ? null : NO_QDRANT_BINARY),
  backendMissing('meilisearch', findMeilisearchBinary() ? null : 'no meilisearch binary'),
  backendMissing('neo4j', embeddedNeo4jUnavailable()),
].some(Boolean);
const root = fileURLToPath(new URL('../../../../', import.meta.url));

interface TenantUnderLoad {
  slug: string;
  id: string;
  key: string;
  projects: { id: string; name: string }[];
}

/** What the clients were told was done (2xx), by Idempotency-Key. */
interface Accepted {
  projects: Map<string, { tenant: string; name: string; id: string | null }>;
  documents: Map<string, { tenant: string; title: string; id: string | null; project: string }>;
  links: { tenant: string; project: string; document: string }[];
  searches: number;
  refusedCleanly: Answer[];
}

describe.skipIf(!pg || missing)(
  'the production topology (every service ×2, NATS cluster of 3, Qdrant, Meilisearch, Neo4j, S3) under faults',
  () => {
    let stack: Stack;
    let db: { url: string; drop(): Promise<void> };
    let dir = '';
    let compiled = '';
    let client: Client;
    const tenants: TenantUnderLoad[] = [];
    const accepted: Accepted = { projects: new Map(), documents: new Map(), links: [], searches: 0, refusedCleanly: [] };
    const faults: string[] = [];

    beforeAll(async () => {
      if (!pg) return;
      dir = await mkdtemp(join(tmpdir(), 'mandant-stack-'));
      // a build of its own (inside the repository, so its imports find node_modules), never another run's dist/
      compiled = (await buildDist({ outdir: join(root, 'node_modules', '.cache', `mandant-build-${randomUUID()}`), quiet: true })).dir;
      db = await ownDatabase(pg.ownerUrl, 'stack');
      stack = await startStack({ dir, databaseUrl: db.url, compiled, log: createLogger({ level: 'warn' }), env: { LOG_LEVEL: 'warn' } });
      client = createClient(stack.gateways, stack.operatorToken);
      for (const name of ['north', 'south']) {
        const slug = `${name}-${randomUUID().slice(0, 6)}`;
        const made = await client.call('POST', '/tenants', { body: { name, slug } });
        expect(made.status).toBe(201);
        tenants.push({ slug, id: made.body.tenant.id, key: made.body.admin_api_key, projects: [] });
      }
    }, 600_000);

    let failed = false;
    afterEach((ctx) => {
      if (ctx.task.result?.state === 'fail') failed = true;
    });
    afterAll(async () => {
      await stack?.stop();
      await db?.drop();
      if (compiled) await rm(compiled, { recursive: true, force: true });
      // a failed run keeps every process's log for the post-mortem
      if (failed) process.stderr.write(`stack proof failed: logs kept in ${join(dir, 'logs')}\n`);
      else if (dir) await rm(dir, { recursive: true, force: true });
    });

    const as = (t: TenantUnderLoad) => ({
      call: (method: string, path: string, o: { body?: unknown; key?: string } = {}) => client.call(method, path, { ...o, token: t.key }),
    });

    it('serves the e2e flows through both gateways: tenant, project, upload, link, search, entities, chat', async () => {
      const t = tenants[0];
      if (!t) throw new Error('no tenant');
      const a = await as(t).call('POST', '/projects', { body: { name: 'Harbour deals' } });
      const b = await as(t).call('POST', '/projects', { body: { name: 'Shell companies' } });
      expect([a.status, b.status]).toEqual([201, 201]);
      t.projects.push({ id: a.body.id, name: 'Harbour deals' }, { id: b.body.id, name: 'Shell companies' });
      const upload = await as(t).call('POST', `/projects/${a.body.id}/documents`, {
        body: { title: 'Harbour memo', content: 'Acme Holdings paid Maria Gonzalez for the harbour contract in Panama.' },
      });
      expect(upload.status).toBe(202);
      const docId = upload.body.id as string;
      await until(async () => (await as(t).call('GET', `/documents/${docId}`)).body.status === 'processed', 'the memo is processed');
      const linked = await as(t).call('POST', `/projects/${b.body.id}/documents/link`, { body: { document_ids: [docId] } });
      expect(linked.status).toBe(200);
      await settled(t);
      const found = await as(t).call('POST', `/projects/${b.body.id}/search`, { body: { query: 'harbour contract' } });
      expect(found.status).toBe(200);
      expect(found.body.hits.map((h: { document_id: string }) => h.document_id)).toContain(docId);
      // both engines answered: the hybrid hit was found by keyword (Meilisearch) and vector (Qdrant)
      expect(found.body.hits[0].found_by).toEqual(expect.arrayContaining(['keyword', 'vector']));
      const cross = await as(t).call('GET', '/entities/cross-project');
      expect(cross.body.entities.map((e: { name: string }) => e.name)).toContain('Acme Holdings');
      const conversation = await as(t).call('POST', `/projects/${b.body.id}/chat/conversations`, { body: { title: 'Who paid?' } });
      const answer = await as(t).call('POST', `/chat/conversations/${conversation.body.id}/messages`, {
        body: { content: 'Who did Acme Holdings pay?' },
      });
      expect(answer.status).toBe(201);
      expect(answer.body.citations.map((c: { document_id: string }) => c.document_id)).toContain(docId);
      // the other tenant sees none of it
      const other = tenants[1];
      if (!other) throw new Error('no second tenant');
      expect((await as(other).call('GET', `/documents/${docId}`)).status).toBe(404);
      // every request went through both gateways
      expect(client.stats.answered.every((n) => n > 0)).toBe(true);
    }, 300_000);

    it('loses nothing accepted and applies nothing twice while NATS nodes, service replicas, Qdrant and Meilisearch are killed', async () => {
      let running = true;
      let progress = 0;
      // answers a client following the contract would not expect (kept, to be shown all at once)
      const unexpected: string[] = [];
      const workers = tenants.flatMap((t) => [0, 1].map((w) => load(t, w)));

      async function load(t: TenantUnderLoad, worker: number): Promise<void> {
        for (let i = 0; running; i++) {
          const step = i % 4;
          if (step === 0 || t.projects.length === 0) {
            const key = `p-${t.slug}-${worker}-${i}`;
            const name = `Inquiry ${worker}.${i}`;
            accepted.projects.set(key, { tenant: t.id, name, id: null });
            const r = await as(t).call('POST', '/projects', { body: { name }, key });
            if (r.status === 201) {
              accepted.projects.set(key, { tenant: t.id, name, id: r.body.id });
              t.projects.push({ id: r.body.id, name });
            } else if (isReplyLost(r)) {
              accepted.refusedCleanly.push(r);
            } else {
              unexpected.push(`create project ${name}: ${r.status} ${JSON.stringify(r.body)}`);
            }
          } else if (step === 1 || step === 2) {
            const project = t.projects[(i * 7 + worker) % t.projects.length];
            if (!project) continue;
            const key = `d-${t.slug}-${worker}-${i}`;
            const title = `Filing ${worker}.${i}`;
            accepted.documents.set(key, { tenant: t.id, title, id: null, project: project.id });
            const r = await as(t).call('POST', `/projects/${project.id}/documents`, {
              key,
              body: {
                title,
                content: `Filing ${worker}.${i} of ${t.slug}: Acme Holdings wired ${1000 + i} USD to Nordlicht Trading via Maria Gonzalez.`,
              },
            });
            if (r.status === 202) accepted.documents.set(key, { tenant: t.id, title, id: r.body.id, project: project.id });
            else if (isReplyLost(r)) accepted.refusedCleanly.push(r);
            else unexpected.push(`upload ${title}: ${r.status} ${JSON.stringify(r.body)}`);
          } else {
            const docs = [...accepted.documents.values()].filter((d) => d.tenant === t.id && d.id !== null);
            const doc = docs[(i * 5 + worker) % Math.max(1, docs.length)];
            const target = t.projects[(i * 3 + worker + 1) % t.projects.length];
            if (doc?.id && target) {
              const r = await as(t).call('POST', `/projects/${target.id}/documents/link`, {
                body: { document_ids: [doc.id] },
                key: `l-${t.slug}-${worker}-${i}`,
              });
              if (r.status === 200) accepted.links.push({ tenant: t.id, project: target.id, document: doc.id });
              else if (!isReplyLost(r)) unexpected.push(`link ${doc.title} to ${target.name}: ${r.status} ${JSON.stringify(r.body)}`);
            }
            const s = await as(t).call('POST', `/projects/${(target ?? t.projects[0])?.id}/search`, {
              body: { query: 'Acme Holdings wired' },
            });
            if (s.status === 200) accepted.searches++;
          }
          progress++;
        }
      }

      /** Lets the load run until `n` more client operations finished (whatever the fault just did). */
      async function advance(n: number, what: string): Promise<void> {
        const target = progress + n;
        await until(async () => progress >= target, `${n} operations after ${what}`, 180_000);
      }

      try {
        await advance(8, 'the start');
        // a NATS node dies; the cluster (2 of 3) keeps accepting, then it comes back
        for (const node of [2, 0]) {
          await stack.nats.kill(node);
          faults.push(`SIGKILL nats-${node + 1}`);
          await advance(8, `killing nats-${node + 1}`);
          await stack.nats.restart(node);
        }
        // one replica of every service in turn; its twin carries on
        for (const [n, service] of SERVICES.entries()) {
          const replica = n % 2;
          await stack.kill(service, replica);
          faults.push(`SIGKILL ${service}-${replica + 1}`);
          await advance(4, `killing ${service}-${replica + 1}`);
          await stack.restart(service, replica);
        }
        // the read engines die and come back: their projectors wait and catch up
        await stack.qdrant.kill();
        faults.push('SIGKILL qdrant');
        await advance(4, 'killing qdrant');
        await stack.qdrant.restart();
        await stack.meilisearch.kill();
        faults.push('SIGKILL meilisearch');
        await advance(4, 'killing meilisearch');
        await stack.meilisearch.restart();
        await advance(4, 'the last restart');
      } finally {
        running = false;
        await Promise.all(workers);
      }
      expect(faults).toHaveLength(2 + SERVICES.length + 2);
      expect(unexpected).toEqual([]);

      for (const t of tenants) await settled(t);

      // nothing accepted is lost, nothing is there twice
      for (const t of tenants) {
        const projects = (await as(t).call('GET', '/projects')).body.projects as { id: string; name: string }[];
        const names = projects.map((p) => p.name);
        expect(new Set(names).size, `a project was created twice in ${t.slug}`).toBe(names.length);
        for (const p of [...accepted.projects.values()].filter((p) => p.tenant === t.id)) {
          if (p.id !== null) expect(projects.find((q) => q.id === p.id)?.name).toBe(p.name);
          // an answer lost to a dead process: applied once (found by name) or not at all, never twice
          expect(names.filter((n) => n === p.name).length).toBeLessThanOrEqual(1);
        }
        const log = await events(t);
        const uploadsByTitle = new Map<string, number>();
        for (const d of [...accepted.documents.values()].filter((d) => d.tenant === t.id)) uploadsByTitle.set(d.title, 0);
        const docs = (await as(t).call('GET', '/documents?limit=500')).body.documents as { id: string; title: string; status: string }[];
        for (const d of docs) if (uploadsByTitle.has(d.title)) uploadsByTitle.set(d.title, (uploadsByTitle.get(d.title) ?? 0) + 1);
        for (const [title, n] of uploadsByTitle) expect(n, `${title} uploaded ${n} times`).toBeLessThanOrEqual(1);
        for (const d of [...accepted.documents.values()].filter((d) => d.tenant === t.id && d.id !== null)) {
          const doc = docs.find((x) => x.id === d.id);
          expect(doc?.status, `document ${d.title}`).toBe('processed');
        }
        expect(log.filter((e) => e.type === 'project.created.v1').length).toBe(projects.length);
        // the log's chain holds
        const verified = await as(t).call('GET', '/events/verify');
        expect(verified.body.ok).toBe(true);
      }

      // no acknowledged event lost: the replicated stream holds every event of each tenant's log, once
      const nc = await connect({ servers: stack.nats.nodes.map((n) => n.url) });
      try {
        const jsm = await jetstreamManager(nc);
        const info = await jsm.streams.info('MANDANT_EVENTS');
        expect(info.config.num_replicas).toBe(3);
        for (const t of tenants) {
          const head = (await as(t).call('GET', '/events?after=0&limit=1')).body.head as number;
          const subjects = (await jsm.streams.info('MANDANT_EVENTS', { subjects_filter: `events.${t.id}.>` })).state.subjects ?? {};
          expect(
            Object.values(subjects).reduce((a, b) => a + b, 0),
            `stream copy of ${t.slug}'s log`,
          ).toBe(head);
        }
      } finally {
        await nc.close();
      }
      const owner = createSql(stack.ownerUrl, { max: 1, appName: 'stack-proof' });
      try {
        const [outbox] = await owner<{ n: number }[]>`select count(*)::int as n from outbox`;
        expect(outbox?.n, 'events left unpublished in the outbox').toBe(0);
      } finally {
        await owner.end({ timeout: 5 });
      }

      // every store agrees with the log: the operator's own check finds no drift
      const verify = await cli(['projections', 'verify', '--json']);
      expect(verify.code, `${verify.out}\n${verify.err}`).toBe(0);
      const report = JSON.parse(verify.out) as {
        tenant: string;
        store: string;
        missing: string[];
        stale: string[];
        wrong_projects: string[];
      }[];
      expect(report.filter((r) => tenants.some((t) => t.slug === r.tenant)).length).toBeGreaterThanOrEqual(tenants.length * 3);
      for (const r of report) expect([r.missing, r.stale, r.wrong_projects].flat(), `${r.tenant} ${r.store}`).toEqual([]);
      expect(accepted.documents.size).toBeGreaterThan(0);
    }, 900_000);

    it('never applies an event twice with two projector replicas: their applied counts add up to the events', async () => {
      const applied = async () => {
        const totals: Record<string, number>[] = [];
        for (const i of [0, 1]) {
          const text = await (await fetch(`${stack.replica('projectors', i).healthUrl}/metrics`)).text();
          const per: Record<string, number> = {};
          for (const m of text.matchAll(/^mandant_projector_events_applied_total\{projector="([^"]+)"\} (\d+)/gm))
            per[m[1] ?? ''] = Number(m[2]);
          totals.push(per);
        }
        return totals;
      };
      for (const t of tenants) await settled(t);
      const before = await applied();
      const from = new Map<string, number>();
      for (const t of tenants) from.set(t.id, (await as(t).call('GET', '/events?after=0&limit=1')).body.head as number);
      for (const t of tenants) {
        const project = t.projects[0];
        for (let i = 0; i < 6; i++) {
          const r = await as(t).call('POST', `/projects/${project?.id}/documents`, {
            body: { title: `Quiet ${i}`, content: `Quiet filing ${i} for ${t.slug}: Nordlicht Trading.` },
          });
          expect(r.status).toBe(202);
        }
      }
      for (const t of tenants) await settled(t);
      const after = await applied();
      const fresh = (
        await Promise.all(tenants.map(async (t) => (await events(t)).filter((e) => e.tenant_seq > (from.get(t.id) ?? 0))))
      ).flat();
      expect(fresh.length).toBeGreaterThan(0);
      // which events each store's projector handles: the projections themselves say (no store is touched to ask)
      const projections = documentProjections({} as DocumentStores);
      for (const [name, projection] of Object.entries(projections)) {
        const key = `${name}@v${projection.version}`;
        const [d0 = 0, d1 = 0] = [0, 1].map((i) => (after[i]?.[key] ?? 0) - (before[i]?.[key] ?? 0));
        // each replica applies what it took; together exactly the new events, none twice
        expect(d0 + d1, `${key}: ${d0} + ${d1}`).toBe(fresh.filter((e) => projection.handles(e.type)).length);
      }
    }, 300_000);

    function isReplyLost(r: Answer): boolean {
      return r.status === 409 && String(r.body?.type ?? '').endsWith('idempotency-reply-lost');
    }

    async function events(t: TenantUnderLoad): Promise<{ type: string; tenant_seq: number }[]> {
      const all: { type: string; tenant_seq: number }[] = [];
      for (let after = 0; ;) {
        const page = (await as(t).call('GET', `/events?after=${after}&limit=1000`)).body as {
          events: { type: string; tenant_seq: number }[];
        };
        all.push(...page.events);
        if (page.events.length < 1000) return all;
        after = page.events.at(-1)?.tenant_seq ?? after;
      }
    }

    /** Every document of the tenant processed or failed, and every projector caught up with no dead letter. */
    async function settled(t: TenantUnderLoad): Promise<void> {
      await until(
        async () => {
          const docs = (await as(t).call('GET', '/documents?limit=500')).body.documents as { status: string }[] | undefined;
          if (!docs || docs.some((d) => d.status !== 'processed' && d.status !== 'failed')) return false;
          const status = (await as(t).call('GET', '/projections/status')).body as {
            head: number;
            projectors: { name: string; lag: number; dead_letters: number }[];
          };
          expect(status.projectors.flatMap((p) => (p.dead_letters > 0 ? [p.name] : []))).toEqual([]);
          return status.projectors.length > 0 && status.projectors.every((p) => p.lag === 0);
        },
        `${t.slug} settles`,
        240_000,
      );
    }

    async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
      const child = spawn(process.execPath, ['--enable-source-maps', join(compiled, 'mandant.js'), ...args], {
        cwd: root,
        env: { ...process.env, ...stack.env, LOG_LEVEL: 'warn', DATABASE_POOL_MAX: '2' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
      child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
      const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
      return { code, out, err };
    }
  },
);

/** Waits for `check` (a condition, polled every 250 ms) with the shared helper's generous deadline. */
const until = (check: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<true> =>
  eventually(async () => (await check()) || null, what, timeoutMs, 250);
