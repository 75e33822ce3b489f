import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@mandant/shared/log';
import { findNatsServer } from '@mandant/shared/runtime';
import { type RunningNeo4j, embeddedNeo4jUnavailable, startEmbeddedNeo4j } from '@mandant/shared/stores/graph';
import { backendMissing, meilisearchServer, postgresUrls } from '@mandant/shared/testing';
import { SETTLE_MS, eventually } from '@mandant/shared/testing';
import { meilisearchPlatformEnv } from '@mandant/shared/testing';
import { qdrantPlatformEnv } from '@mandant/shared/testing';
import { qdrantTestUrl } from '@mandant/shared/testing';
// not a declared dependency: @mandant/platform depends on this package, and turbo refuses cycles
import { type Harness, OPERATOR, ok, startHarness, statusOf } from '@mandant/platform/testing';
// types only, from the client the harness hands out (not a declared dependency either, for the same reason)
import type { Schema } from '@mandant/client';

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

    const api = (token: string) => h.client(token);
    const settle = async () => {
      const position = (await ok(api(admin).GET('/events', { params: { query: { after: 0, limit: 1 } } }))).head;
      // a condition, not a pace: on a loaded machine the embedded Neo4j may take well over the default 10 s
      await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(tenantId, position, SETTLE_MS)));
    };
    const processed = (id: string) =>
      eventually(async () => {
        const d = await ok(api(admin).GET('/documents/{id}', { params: { path: { id } } }));
        return d.status === 'processed' && d.embeddings.length > 0 && d;
      }, `document ${id} to be processed with its embeddings`);
    const names = (list: { name: string }[]): string[] => list.map((e) => e.name).sort();
    type EntityQuery = { query?: string; type?: 'person' | 'organisation' | 'place' | 'email' | 'phone' | 'money' | 'url'; limit?: number };
    const projectEntities = (id: string, token: string, query: EntityQuery = {}) =>
      api(token).GET('/projects/{id}/entities', { params: { path: { id }, query } });
    const entities = (token: string, query: EntityQuery = {}) => ok(api(token).GET('/entities', { params: { query } }));
    const entity = (id: string, token: string) => api(token).GET('/entities/{id}', { params: { path: { id } } });
    const entityId = async (name: string): Promise<string> => {
      const found = (await entities(admin, { query: name })).entities.find((e) => e.name === name);
      if (!found) throw new Error(`no entity ${name}`);
      return found.id;
    };
    const crossProject = (token: string) => ok(api(token).GET('/entities/cross-project'));
    const neighbourhood = (id: string, token: string, query: { depth?: number; project_id?: string } = {}) =>
      api(token).GET('/entities/{id}/neighbourhood', { params: { path: { id }, query } });
    const merge = (id: string, token: string, into: string) =>
      api(token).POST('/entities/{id}/merge', { params: { path: { id } }, body: { into } });
    const nodeLabels = (g: Schema<'GraphView'>): string[] => g.nodes.map((n) => n.label).sort();
    const searchDocs = async (entity: string) =>
      [
        ...new Set(
          (await ok(api(admin).POST('/search', { body: { query: tag, filters: { entity }, limit: 50 } }))).hits.map((x) => x.document_id),
        ),
      ].sort();

    beforeAll(async () => {
      h = await startHarness({ ownerUrl: pg?.ownerUrl ?? '', env: await env() });
      admin = (await ok(api(OPERATOR).POST('/tenants', { body: { name: 'Newsroom', slug: `ent-${tag}` } }))).admin_api_key;
      other = (await ok(api(OPERATOR).POST('/tenants', { body: { name: 'Other', slug: `ent-other-${tag}` } }))).admin_api_key;
      tenantId = (await ok(api(admin).GET('/tenant'))).id;
      auditor = (await ok(api(admin).POST('/api-keys', { body: { name: 'audit', role: 'auditor' } }))).secret;
      const user = async (name: string) => {
        const u = await ok(api(admin).POST('/users', { body: { email: `${name}-${tag}@news.example`, name } }));
        return { id: u.id, key: (await ok(api(admin).POST('/api-keys', { body: { name, user_id: u.id } }))).secret };
      };
      [viewerA, editorA, editorAB] = [await user('viewer-a'), await user('editor-a'), await user('editor-ab')];
      projects.a = (await ok(api(admin).POST('/projects', { body: { name: 'Offshore leaks' } }))).id;
      projects.b = (await ok(api(admin).POST('/projects', { body: { name: 'Procurement' } }))).id;
      const member = (id: string, user_id: string) =>
        ok(
          api(admin).PUT('/projects/{id}/members/{user_id}', {
            params: { path: { id, user_id } },
            body: { role: user_id === viewerA.id ? 'viewer' : 'editor' },
          }),
        );
      await member(projects.a, viewerA.id);
      await member(projects.a, editorA.id);
      await member(projects.a, editorAB.id);
      await member(projects.b, editorAB.id);
      const upload = async (id: string, title: string, content: string) =>
        (await ok(api(admin).POST('/projects/{id}/documents', { params: { path: { id } }, body: { title, content } }))).id;
      docs.ledger = await upload(
        projects.a,
        'Offshore ledger',
        `Ledger ${tag}: Acme Holdings paid Maria Gonzalez through a bank in Panama.`,
      );
      docs.tender = await upload(
        projects.b,
        'Tender notes',
        `Tender ${tag}: Acme Holdings won the bridge tender in Berlin after Maria Gonzales signed.`,
      );
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
      const a = await ok(projectEntities(projects.a, viewerA.key));
      expect(a.scope).toBe('project');
      expect(names(a.entities)).toEqual(expect.arrayContaining(['Acme Holdings', 'Maria Gonzalez', 'Panama', 'Zurich']));
      expect(names(a.entities)).not.toContain('Berlin');
      const acme = a.entities.find((e) => e.name === 'Acme Holdings');
      expect(acme).toMatchObject({ type: 'organisation', mentions: 1, documents: 1, project_ids: [projects.a] });
      expect(names((await ok(projectEntities(projects.a, viewerA.key, { query: 'GONZÁLEZ' }))).entities)).toEqual(['Maria Gonzalez']);
      expect(names((await ok(projectEntities(projects.a, viewerA.key, { type: 'place' }))).entities)).toEqual(['Panama', 'Zurich']);
      const page = await ok(projectEntities(projects.a, viewerA.key, { limit: 1 }));
      expect(page.entities).toHaveLength(1);
      expect(page.next_offset).toBe(1);
      expect(await statusOf(projectEntities(projects.b, viewerA.key))).toBe(404);
      expect(await statusOf(projectEntities(projects.a, auditor))).toBe(403);
      expect(await statusOf(projectEntities(projects.a, other))).toBe(404);
      // tenant-wide: only readable projects for members, everything for tenant admins
      expect(names((await entities(viewerA.key)).entities)).not.toContain('Berlin');
      expect(names((await entities(admin)).entities)).toEqual(expect.arrayContaining(['Berlin', 'Maria Gonzales']));
    });

    it('counts cross-project entities over readable projects only, and never reveals hidden projects unless the tenant allows it', async () => {
      const all = await crossProject(admin);
      expect(all.entities.find((e) => e.name === 'Acme Holdings')).toMatchObject({
        project_ids: [projects.a, projects.b].sort(),
        mentions: 2,
      });
      expect((await crossProject(viewerA.key)).entities).toEqual([]);
      const acme = await entityId('Acme Holdings');
      const seen = await ok(entity(acme, viewerA.key));
      expect(seen).toEqual({
        id: acme,
        name: 'Acme Holdings',
        type: 'organisation',
        aliases: ['Acme Holdings'],
        projects: [{ project_id: projects.a, mentions: 1, documents: 1 }],
        mentions: 1,
        documents: 1,
      });
      const reveal = (value: true | null) =>
        ok(api(admin).PATCH('/tenant/settings', { body: { settings: { reveal_hidden_project_counts: value } } }));
      await reveal(true);
      expect((await ok(entity(acme, viewerA.key))).hidden_projects).toBe(1);
      expect((await ok(entity(acme, admin))).hidden_projects).toBe(0);
      await reveal(null);
      expect((await ok(entity(acme, viewerA.key))).hidden_projects).toBeUndefined();
      // only in B, or in another tenant: not there at all
      expect(await statusOf(entity(await entityId('Berlin'), viewerA.key))).toBe(404);
      expect(await statusOf(entity(acme, other))).toBe(404);
      expect(await statusOf(entity(randomUUID(), admin))).toBe(404);
      expect(await statusOf(entity(acme, auditor))).toBe(403);
    });

    it('draws graphs and neighbourhoods from readable evidence only, bounded', async () => {
      const graph = (token: string, limit?: number) => ok(api(token).GET('/graph', { params: { query: { limit } } }));
      const a = await ok(api(viewerA.key).GET('/projects/{id}/graph', { params: { path: { id: projects.a } } }));
      expect(nodeLabels(a)).toEqual(expect.arrayContaining(['Acme Holdings', 'Maria Gonzalez']));
      expect(nodeLabels(a)).not.toContain('Berlin');
      expect(a.edges.length).toBeGreaterThan(0);
      const ids = new Set(a.nodes.map((n) => n.id));
      for (const e of a.edges) expect(ids.has(e.source) && ids.has(e.target) && e.kind === 'RELATED_TO').toBe(true);
      expect(a.truncated).toBe(false);
      expect(nodeLabels(await graph(viewerA.key))).toEqual(nodeLabels(a));
      expect(nodeLabels(await graph(admin))).toEqual(expect.arrayContaining(['Berlin', 'Maria Gonzales']));
      expect(await graph(admin, 1)).toMatchObject({ truncated: true, edges: [] });
      expect(await statusOf(api(viewerA.key).GET('/projects/{id}/graph', { params: { path: { id: projects.b } } }))).toBe(404);

      const acme = await entityId('Acme Holdings');
      const mine = await ok(neighbourhood(acme, viewerA.key, { depth: 2 }));
      expect(mine.nodes[0]).toMatchObject({ id: acme, label: 'Acme Holdings', kind: 'entity' });
      expect(nodeLabels(mine)).toContain('Maria Gonzalez');
      expect(nodeLabels(mine)).not.toContain('Berlin');
      expect(nodeLabels(await ok(neighbourhood(acme, admin)))).toContain('Berlin');
      expect(nodeLabels(await ok(neighbourhood(acme, admin, { project_id: projects.b })))).not.toContain('Maria Gonzalez');
      expect(await statusOf(neighbourhood(acme, viewerA.key, { project_id: projects.b }))).toBe(404);
    });

    // waits for every projector after the merge: more than the default 30 s test timeout on a loaded machine
    it(
      'merges a duplicate: only for editors of every project involved; search, graph and cross-project follow; a second merge is a conflict',
      { timeout: 2 * SETTLE_MS },
      async () => {
        const [gonzalez, gonzales] = [await entityId('Maria Gonzalez'), await entityId('Maria Gonzales')];
        expect(await searchDocs('Maria Gonzalez')).toEqual([docs.ledger, docs.wire].sort());
        // not visible to A's editor (only in B), not enough rights for A's viewer, no merge into itself
        expect(await statusOf(merge(gonzales, editorA.key, gonzalez))).toBe(404);
        expect(await statusOf(merge(await entityId('Panama'), viewerA.key, gonzalez))).toBe(403);
        expect(await statusOf(merge(gonzalez, editorAB.key, gonzalez))).toBe(409);
        expect(await statusOf(merge(gonzalez, other, gonzales))).toBe(404);

        expect(await ok(merge(gonzales, editorAB.key, gonzalez))).toMatchObject({ from_entity_id: gonzales, into_entity_id: gonzalez });
        expect(await statusOf(merge(gonzales, editorAB.key, gonzalez))).toBe(409);
        expect(await statusOf(merge(gonzalez, admin, gonzales))).toBe(409);
        await settle();

        const merged = await ok(entity(gonzales, admin));
        expect(merged).toMatchObject({ id: gonzalez, name: 'Maria Gonzalez', aliases: ['Maria Gonzales', 'Maria Gonzalez'] });
        expect(merged.projects.map((p) => p.project_id).sort()).toEqual([projects.a, projects.b].sort());
        expect((await ok(entity(gonzalez, viewerA.key))).projects.map((p) => p.project_id)).toEqual([projects.a]);
        // the search filter on the survivor's name now finds the misspelt mention too
        expect(await searchDocs('Maria Gonzalez')).toEqual(Object.values(docs).sort());
        const cross = await crossProject(admin);
        expect(cross.entities.find((e) => e.id === gonzalez)).toMatchObject({ project_ids: [projects.a, projects.b].sort() });
        expect(cross.entities.some((e) => e.id === gonzales)).toBe(false);
        expect((await crossProject(viewerA.key)).entities).toEqual([]);
        const g = await ok(api(admin).GET('/graph'));
        expect(nodeLabels(g)).not.toContain('Maria Gonzales');
        expect(g.nodes.find((n) => n.id === gonzalez)?.weight).toBe(3);
        expect(names((await entities(admin, { query: 'gonzales' })).entities)).toEqual(['Maria Gonzalez']);
      },
    );
  });
}

describeEntities('Postgres graph', async () => ({}), !pg || natsMissing);
// the search filter by entity on the run's Meilisearch (MEILI_URL when set; else the one the global setup started)
const meili = meilisearchServer();
describeEntities(
  'Postgres graph, Meilisearch text',
  async () => (meili ? meilisearchPlatformEnv(meili) : {}),
  !pg || natsMissing || meili === null,
);
// entity names on the chunks' vectors, renamed by merges, on the run's Qdrant (QDRANT_URL when set; else the one the global setup started)
const qdrant = qdrantTestUrl();
describeEntities(
  'Postgres graph, Qdrant vectors',
  async () => (qdrant ? qdrantPlatformEnv(qdrant) : {}),
  !pg || natsMissing || qdrant === null,
);

const neo4jReason = process.env.NEO4J_URL ? null : embeddedNeo4jUnavailable();
let server: RunningNeo4j | undefined;
afterAll(async () => {
  await server?.stop();
});
// NEO4J_URL when set (with NEO4J_USER / NEO4J_PASSWORD); else a real Neo4j 5 started here (auth disabled).
describeEntities(
  'Neo4j graph',
  async () => {
    const { NEO4J_URL, NEO4J_USER, NEO4J_PASSWORD } = process.env;
    if (NEO4J_URL) return { NEO4J_URL, ...(NEO4J_USER && { NEO4J_USER, NEO4J_PASSWORD: NEO4J_PASSWORD ?? '' }) };
    server = await startEmbeddedNeo4j({ log: createLogger({ level: process.env.TEST_LOG ?? 'silent' }) });
    return { NEO4J_URL: server.url };
  },
  !pg || natsMissing || backendMissing('neo4j', neo4jReason),
);
