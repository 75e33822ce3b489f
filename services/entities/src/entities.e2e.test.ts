import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@mandant/shared/log.ts';
import { findNatsServer } from '@mandant/shared/runtime/nats-server.ts';
import { type RunningNeo4j, embeddedNeo4jUnavailable, startEmbeddedNeo4j } from '@mandant/shared/stores/graph/neo4j-server.ts';
import { backendMissing, meilisearchServer, postgresUrls } from '@mandant/shared/testing/backends.ts';
import { meilisearchPlatformEnv } from '@mandant/shared/testing/meilisearch-index.ts';
import { qdrantPlatformEnv } from '@mandant/shared/testing/qdrant-index.ts';
import { qdrantTestUrl } from '@mandant/shared/testing/qdrant.ts';
// not a declared dependency: @mandant/platform depends on this package, and turbo refuses cycles
import { type Harness, OPERATOR, startHarness } from '@mandant/platform/e2e/harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

type Key = { id: string; key: string };

/**
 * The entity and graph routes over HTTP, on the stores `stores` names: one tenant with
 * projects A and B, a viewer of A only, an editor of A only and an editor of both. A names Maria
 * Gonzalez, B a misspelt Maria Gonzales; Acme Holdings is in both; Berlin only in B.
 */
function describeEntities(stores: string, env: () => Promise<Record<string, string>>, skip: boolean) {
  describe.skipIf(skip)(`entities and graph over HTTP (${stores})`, () => {
    let h: Harness;
    let admin = '';
    let other = '';
    let auditor = '';
    let tenantId = '';
    let viewerA: Key = { id: '', key: '' };
    let editorA: Key = { id: '', key: '' };
    let editorAB: Key = { id: '', key: '' };
    const projects = { a: '', b: '' };
    const docs = { ledger: '', tender: '', wire: '' };
    const tag = randomUUID().slice(0, 8);

    const ok = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await h.call(method, path, { token, body });
      if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const status = async (method: string, path: string, token: string, body?: unknown) => (await h.call(method, path, { token, body })).status;
    const settle = async () => {
      const position = (await ok('GET', '/events?after=0&limit=1', admin)).head as number;
      // a condition, not a pace: on a loaded machine the embedded Neo4j may take well over the default 10 s
      await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(tenantId, position, 60_000)));
    };
    const processed = async (id: string) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const d = await ok('GET', `/documents/${id}`, admin);
        if (d.status === 'processed' && d.embeddings.length > 0) return d;
        if (Date.now() > deadline) throw new Error(`document ${id} stuck at ${d.status}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const names = (list: { name: string }[]): string[] => list.map((e) => e.name).sort();
    const entityId = async (name: string): Promise<string> => {
      const found = (await ok('GET', `/entities?query=${encodeURIComponent(name)}`, admin)).entities.find((e: any) => e.name === name);
      if (!found) throw new Error(`no entity ${name}`);
      return found.id;
    };
    const nodeLabels = (g: any): string[] => g.nodes.map((n: any) => n.label).sort();
    const searchDocs = async (entity: string) =>
      [...new Set<string>((await ok('POST', '/search', admin, { query: tag, filters: { entity }, limit: 50 })).hits.map((x: any) => x.document_id))].sort();

    beforeAll(async () => {
      h = await startHarness({ ownerUrl: pg?.ownerUrl ?? '', env: await env() });
      admin = (await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Newsroom', slug: `ent-${tag}` } })).body.admin_api_key;
      other = (await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Other', slug: `ent-other-${tag}` } })).body.admin_api_key;
      tenantId = (await ok('GET', '/tenant', admin)).id;
      auditor = (await ok('POST', '/api-keys', admin, { name: 'audit', role: 'auditor' })).secret;
      const user = async (name: string) => {
        const u = await ok('POST', '/users', admin, { email: `${name}-${tag}@news.example`, name });
        return { id: u.id as string, key: (await ok('POST', '/api-keys', admin, { name, user_id: u.id })).secret as string };
      };
      [viewerA, editorA, editorAB] = [await user('viewer-a'), await user('editor-a'), await user('editor-ab')];
      projects.a = (await ok('POST', '/projects', admin, { name: 'Offshore leaks' })).id;
      projects.b = (await ok('POST', '/projects', admin, { name: 'Procurement' })).id;
      await ok('PUT', `/projects/${projects.a}/members/${viewerA.id}`, admin, { role: 'viewer' });
      await ok('PUT', `/projects/${projects.a}/members/${editorA.id}`, admin, { role: 'editor' });
      await ok('PUT', `/projects/${projects.a}/members/${editorAB.id}`, admin, { role: 'editor' });
      await ok('PUT', `/projects/${projects.b}/members/${editorAB.id}`, admin, { role: 'editor' });
      const upload = async (projectId: string, title: string, content: string) =>
        (await ok('POST', `/projects/${projectId}/documents`, admin, { title, content })).id as string;
      docs.ledger = await upload(projects.a, 'Offshore ledger', `Ledger ${tag}: Acme Holdings paid Maria Gonzalez through a bank in Panama.`);
      docs.tender = await upload(projects.b, 'Tender notes', `Tender ${tag}: Acme Holdings won the bridge tender in Berlin after Maria Gonzales signed.`);
      docs.wire = await upload(projects.a, 'Wire memo', `Wire ${tag}: Maria Gonzalez wired funds to a trust in Zurich.`);
      for (const id of Object.values(docs)) await processed(id);
      await settle();
    }, 600_000);
    afterAll(async () => {
      await h?.stop();
    });

    it("lists a project's entities to its viewers, searchable by name (any case, accents) and type; 404 to others", async () => {
      expect(h.platform.stores.describe.graph).toMatch(stores.startsWith('Neo4j') ? /^neo4j/ : /^postgres/);
      expect(h.platform.stores.describe.text).toMatch(stores.includes('Meilisearch') ? /^meilisearch/ : /^postgres/);
      expect(h.platform.stores.describe.vectors).toMatch(stores.includes('Qdrant') ? /^qdrant/ : /^postgres/);
      const a = await ok('GET', `/projects/${projects.a}/entities`, viewerA.key);
      expect(a.scope).toBe('project');
      expect(names(a.entities)).toEqual(expect.arrayContaining(['Acme Holdings', 'Maria Gonzalez', 'Panama', 'Zurich']));
      expect(names(a.entities)).not.toContain('Berlin');
      const acme = a.entities.find((e: any) => e.name === 'Acme Holdings');
      expect(acme).toMatchObject({ type: 'organisation', mentions: 1, documents: 1, project_ids: [projects.a] });
      expect(names((await ok('GET', `/projects/${projects.a}/entities?query=GONZÁLEZ`, viewerA.key)).entities)).toEqual(['Maria Gonzalez']);
      expect(names((await ok('GET', `/projects/${projects.a}/entities?type=place`, viewerA.key)).entities)).toEqual(['Panama', 'Zurich']);
      const page = await ok('GET', `/projects/${projects.a}/entities?limit=1`, viewerA.key);
      expect(page.entities).toHaveLength(1);
      expect(page.next_offset).toBe(1);
      expect(await status('GET', `/projects/${projects.b}/entities`, viewerA.key)).toBe(404);
      expect(await status('GET', `/projects/${projects.a}/entities`, auditor)).toBe(403);
      expect(await status('GET', `/projects/${projects.a}/entities`, other)).toBe(404);
      // tenant-wide: only readable projects for members, everything for tenant admins
      expect(names((await ok('GET', '/entities', viewerA.key)).entities)).not.toContain('Berlin');
      expect(names((await ok('GET', '/entities', admin)).entities)).toEqual(expect.arrayContaining(['Berlin', 'Maria Gonzales']));
    });

    it('counts cross-project entities over readable projects only, and never reveals hidden projects unless the tenant allows it', async () => {
      const all = await ok('GET', '/entities/cross-project', admin);
      expect(all.entities.find((e: any) => e.name === 'Acme Holdings')).toMatchObject({ project_ids: [projects.a, projects.b].sort(), mentions: 2 });
      expect((await ok('GET', '/entities/cross-project', viewerA.key)).entities).toEqual([]);
      const acme = await entityId('Acme Holdings');
      const seen = await ok('GET', `/entities/${acme}`, viewerA.key);
      expect(seen).toEqual({ id: acme, name: 'Acme Holdings', type: 'organisation', aliases: ['Acme Holdings'], projects: [{ project_id: projects.a, mentions: 1, documents: 1 }], mentions: 1 });
      await ok('PATCH', '/tenant/settings', admin, { settings: { reveal_hidden_project_counts: true } });
      expect((await ok('GET', `/entities/${acme}`, viewerA.key)).hidden_projects).toBe(1);
      expect((await ok('GET', `/entities/${acme}`, admin)).hidden_projects).toBe(0);
      await ok('PATCH', '/tenant/settings', admin, { settings: { reveal_hidden_project_counts: null } });
      expect((await ok('GET', `/entities/${acme}`, viewerA.key)).hidden_projects).toBeUndefined();
      // only in B, or in another tenant: not there at all
      expect(await status('GET', `/entities/${await entityId('Berlin')}`, viewerA.key)).toBe(404);
      expect(await status('GET', `/entities/${acme}`, other)).toBe(404);
      expect(await status('GET', `/entities/${randomUUID()}`, admin)).toBe(404);
      expect(await status('GET', `/entities/${acme}`, auditor)).toBe(403);
    });

    it('draws graphs and neighbourhoods from readable evidence only, bounded', async () => {
      const a = await ok('GET', `/projects/${projects.a}/graph`, viewerA.key);
      expect(nodeLabels(a)).toEqual(expect.arrayContaining(['Acme Holdings', 'Maria Gonzalez']));
      expect(nodeLabels(a)).not.toContain('Berlin');
      expect(a.edges.length).toBeGreaterThan(0);
      const ids = new Set(a.nodes.map((n: any) => n.id));
      for (const e of a.edges) expect(ids.has(e.source) && ids.has(e.target) && e.kind === 'RELATED_TO').toBe(true);
      expect(a.truncated).toBe(false);
      expect(nodeLabels(await ok('GET', '/graph', viewerA.key))).toEqual(nodeLabels(a));
      expect(nodeLabels(await ok('GET', '/graph', admin))).toEqual(expect.arrayContaining(['Berlin', 'Maria Gonzales']));
      expect((await ok('GET', '/graph?limit=1', admin))).toMatchObject({ truncated: true, edges: [] });
      expect(await status('GET', `/projects/${projects.b}/graph`, viewerA.key)).toBe(404);

      const acme = await entityId('Acme Holdings');
      const mine = await ok('GET', `/entities/${acme}/neighbourhood?depth=2`, viewerA.key);
      expect(mine.nodes[0]).toMatchObject({ id: acme, label: 'Acme Holdings', kind: 'entity' });
      expect(nodeLabels(mine)).toContain('Maria Gonzalez');
      expect(nodeLabels(mine)).not.toContain('Berlin');
      expect(nodeLabels(await ok('GET', `/entities/${acme}/neighbourhood`, admin))).toContain('Berlin');
      expect(nodeLabels(await ok('GET', `/entities/${acme}/neighbourhood?project_id=${projects.b}`, admin))).not.toContain('Maria Gonzalez');
      expect(await status('GET', `/entities/${acme}/neighbourhood?project_id=${projects.b}`, viewerA.key)).toBe(404);
    });

    it('merges a duplicate: only for editors of every project involved; search, graph and cross-project follow; a second merge is a conflict', async () => {
      const [gonzalez, gonzales] = [await entityId('Maria Gonzalez'), await entityId('Maria Gonzales')];
      expect(await searchDocs('Maria Gonzalez')).toEqual([docs.ledger, docs.wire].sort());
      // not visible to A's editor (only in B), not enough rights for A's viewer, no merge into itself
      expect(await status('POST', `/entities/${gonzales}/merge`, editorA.key, { into: gonzalez })).toBe(404);
      expect(await status('POST', `/entities/${await entityId('Panama')}/merge`, viewerA.key, { into: gonzalez })).toBe(403);
      expect(await status('POST', `/entities/${gonzalez}/merge`, editorAB.key, { into: gonzalez })).toBe(409);
      expect(await status('POST', `/entities/${gonzalez}/merge`, other, { into: gonzales })).toBe(404);

      await ok('POST', `/entities/${gonzales}/merge`, editorAB.key, { into: gonzalez });
      expect(await status('POST', `/entities/${gonzales}/merge`, editorAB.key, { into: gonzalez })).toBe(409);
      expect(await status('POST', `/entities/${gonzalez}/merge`, admin, { into: gonzales })).toBe(409);
      await settle();

      const merged = await ok('GET', `/entities/${gonzales}`, admin);
      expect(merged).toMatchObject({ id: gonzalez, name: 'Maria Gonzalez', aliases: ['Maria Gonzales', 'Maria Gonzalez'] });
      expect(merged.projects.map((p: any) => p.project_id).sort()).toEqual([projects.a, projects.b].sort());
      expect((await ok('GET', `/entities/${gonzalez}`, viewerA.key)).projects.map((p: any) => p.project_id)).toEqual([projects.a]);
      // the search filter on the survivor's name now finds the misspelt mention too
      expect(await searchDocs('Maria Gonzalez')).toEqual(Object.values(docs).sort());
      const cross = await ok('GET', '/entities/cross-project', admin);
      expect(cross.entities.find((e: any) => e.id === gonzalez)).toMatchObject({ project_ids: [projects.a, projects.b].sort() });
      expect(cross.entities.some((e: any) => e.id === gonzales)).toBe(false);
      expect((await ok('GET', '/entities/cross-project', viewerA.key)).entities).toEqual([]);
      const g = await ok('GET', '/graph', admin);
      expect(nodeLabels(g)).not.toContain('Maria Gonzales');
      expect(g.nodes.find((n: any) => n.id === gonzalez)?.weight).toBe(3);
      expect(names((await ok('GET', '/entities?query=gonzales', admin)).entities)).toEqual(['Maria Gonzalez']);
    });
  });
}

describeEntities('Postgres graph', async () => ({}), !pg || natsMissing);
// the search filter by entity on the run's Meilisearch (MEILI_URL when set; else the one the global setup started)
const meili = meilisearchServer();
describeEntities('Postgres graph, Meilisearch text', async () => (meili ? meilisearchPlatformEnv(meili) : {}), !pg || natsMissing || meili === null);
// entity names on the chunks' vectors, renamed by merges, on the run's Qdrant (QDRANT_URL when set; else the one the global setup started)
const qdrant = qdrantTestUrl();
describeEntities('Postgres graph, Qdrant vectors', async () => (qdrant ? qdrantPlatformEnv(qdrant) : {}), !pg || natsMissing || qdrant === null);

const neo4jReason = process.env.NEO4J_URL ? null : await embeddedNeo4jUnavailable();
let server: RunningNeo4j | undefined;
afterAll(async () => {
  await server?.stop();
});
// NEO4J_URL when set (with NEO4J_USER / NEO4J_PASSWORD); else a real Neo4j 5 started here (auth disabled).
describeEntities('Neo4j graph', async () => {
  const { NEO4J_URL, NEO4J_USER, NEO4J_PASSWORD } = process.env;
  if (NEO4J_URL) return { NEO4J_URL, ...(NEO4J_USER && { NEO4J_USER, NEO4J_PASSWORD: NEO4J_PASSWORD ?? '' }) };
  server = await startEmbeddedNeo4j({ log: createLogger({ level: process.env.TEST_LOG ?? 'silent' }) });
  return { NEO4J_URL: server.url };
}, !pg || natsMissing || backendMissing('neo4j', neo4jReason));
