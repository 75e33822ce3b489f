import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { SETTLE_MS, eventually } from '@mandant/shared/testing';
import { storePlatforms } from '@mandant/shared/testing';
// not a declared dependency: @mandant/platform depends on this package, and turbo refuses cycles
import { type Harness, OPERATOR, ok, startHarness, statusOf } from '@mandant/platform/testing';
// types only, from the client the harness hands out (not a declared dependency either, for the same reason)
import type { Schema } from '@mandant/client';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

const platforms = storePlatforms();

describe.skipIf(!pg || natsMissing).each(platforms)('search over HTTP ($stores)', ({ env }) => {
  let h: Harness;
  let admin = '';
  let other = '';
  let tenantId = '';
  let alice = { id: '', key: '' };
  let outsider = { id: '', key: '' };
  const projects = { a: '', b: '' };
  const docs = { ledger: '', tender: '', wire: '' };
  const tag = randomUUID().slice(0, 8);
  let docKind = '';
  let entityName = '';

  const api = (token: string) => h.client(token);
  const head = async (token: string) => (await ok(api(token).GET('/events', { params: { query: { after: 0, limit: 1 } } }))).head;
  const processed = (id: string, token: string) =>
    eventually(async () => {
      const d = await ok(api(token).GET('/documents/{id}', { params: { path: { id } } }));
      return d.status === 'processed' && d.embeddings.length > 0 && d;
    }, `document ${id} to be processed with its embeddings`);
  type Query = {
    query: string;
    mode?: 'hybrid' | 'keyword' | 'vector';
    filters?: { entity?: string; document_type?: string };
    limit?: number;
  };
  /** A search in one project, or the global one with `project` null. */
  const search = (project: string | null, token: string, body: Query) =>
    ok(
      project === null
        ? api(token).POST('/search', { body })
        : api(token).POST('/projects/{id}/search', { params: { path: { id: project } }, body }),
    );
  const docsOf = (res: Schema<'SearchResult'>): string[] => [...new Set(res.hits.map((x) => x.document_id))].sort();
  const projectsOf = (res: Schema<'SearchResult'>, documentId: string) => res.hits.find((x) => x.document_id === documentId)?.project_ids;

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env });
    admin = (await ok(api(OPERATOR).POST('/tenants', { body: { name: 'Newsroom', slug: `search-${tag}` } }))).admin_api_key;
    other = (await ok(api(OPERATOR).POST('/tenants', { body: { name: 'Other', slug: `search-other-${tag}` } }))).admin_api_key;
    tenantId = (await ok(api(admin).GET('/tenant'))).id;
    const user = async (name: string) => {
      const u = await ok(api(admin).POST('/users', { body: { email: `${name}-${tag}@news.example`, name } }));
      return { id: u.id, key: (await ok(api(admin).POST('/api-keys', { body: { name, user_id: u.id } }))).secret };
    };
    alice = await user('alice');
    outsider = await user('outsider');
    projects.a = (await ok(api(admin).POST('/projects', { body: { name: 'Offshore leaks' } }))).id;
    projects.b = (await ok(api(admin).POST('/projects', { body: { name: 'Procurement' } }))).id;
    await ok(
      api(admin).PUT('/projects/{id}/members/{user_id}', {
        params: { path: { id: projects.a, user_id: alice.id } },
        body: { role: 'viewer' },
      }),
    );

    const upload = async (id: string, title: string, content: string) =>
      (await ok(api(admin).POST('/projects/{id}/documents', { params: { path: { id } }, body: { title, content } }))).id;
    docs.ledger = await upload(
      projects.a,
      'Offshore ledger',
      `Ledger ${tag}: Acme Holdings paid Maria Gonzalez through a bank in Panama City.`,
    );
    docs.tender = await upload(
      projects.b,
      'Tender notes',
      `Tender ${tag}: Acme Holdings won the bridge tender in Berlin after John Smith signed.`,
    );
    docs.wire = await upload(projects.a, 'Wire memo', `Wire ${tag}: Acme Holdings wired funds to a trust in Zurich.`);
    for (const id of Object.values(docs)) docKind = (await processed(id, admin)).kind;
    await ok(
      api(admin).POST('/projects/{id}/documents/link', { params: { path: { id: projects.b } }, body: { document_ids: [docs.wire] } }),
    );
    await processed(docs.wire, admin);
    const position = await head(admin);
    await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(tenantId, position, SETTLE_MS)));
    // an entity name exactly as ingestion found it, mentioned in the ledger only
    const indexed = await h.platform.stores.text.snapshot(tenantId);
    const elsewhere = new Set(indexed.filter((d) => d.document_id !== docs.ledger).flatMap((d) => d.entity_names));
    entityName =
      indexed
        .filter((d) => d.document_id === docs.ledger)
        .flatMap((d) => d.entity_names)
        .find((n) => !elsewhere.has(n)) ?? '';
  }, 600_000);
  afterAll(async () => {
    await h?.stop();
  });

  it("a project search finds only that project's documents", async () => {
    const a = await search(projects.a, alice.key, { query: `Acme Holdings ${tag}` });
    expect(a.scope).toBe('project');
    expect(docsOf(a)).toEqual([docs.ledger, docs.wire].sort());
    const b = await search(projects.b, admin, { query: `Acme Holdings ${tag}` });
    expect(docsOf(b)).toEqual([docs.tender, docs.wire].sort());
    for (const hit of a.hits)
      expect(hit).toMatchObject({ title: expect.any(String), chunk_index: expect.any(Number), document_type: docKind });
  });

  it("a global search lists each hit's projects, and hides the projects the caller is not in", async () => {
    const mine = await search(null, alice.key, { query: `Acme Holdings ${tag}` });
    expect(mine.scope).toBe('global');
    expect(docsOf(mine)).toEqual([docs.ledger, docs.wire].sort());
    expect(projectsOf(mine, docs.wire)).toEqual([projects.a]);
    const all = await search(null, admin, { query: `Acme Holdings ${tag}` });
    expect(docsOf(all)).toEqual(Object.values(docs).sort());
    expect(projectsOf(all, docs.wire)?.sort()).toEqual([projects.a, projects.b].sort());
    expect(projectsOf(all, docs.tender)).toEqual([projects.b]);
  });

  it('keyword, vector and hybrid modes say which retriever found each hit', async () => {
    const q = `Panama ${tag}`;
    const kw = await search(projects.a, alice.key, { query: q, mode: 'keyword' });
    expect(kw.mode).toBe('keyword');
    expect(kw.hits[0]).toMatchObject({ document_id: docs.ledger, found_by: ['keyword'] });
    expect(kw.hits[0]?.snippet).toContain('<mark>');
    const vec = await search(projects.a, alice.key, { query: q, mode: 'vector' });
    expect(vec.hits.length).toBeGreaterThan(0);
    for (const hit of vec.hits) expect(hit.found_by).toEqual(['vector']);
    const hyb = await search(projects.a, alice.key, { query: q });
    expect(hyb.mode).toBe('hybrid');
    expect(hyb.hits[0]).toMatchObject({ document_id: docs.ledger, found_by: ['keyword', 'vector'] });
    // both words (a strong keyword hit: tier 1), first by keyword and by vector (1/61 + 0.5/61)
    expect(hyb.hits[0]?.score).toBeCloseTo(1 + 1.5 / 61, 2);
  });

  it('a query about nothing in the corpus answers nothing, or only weak hits, in a project and globally', async () => {
    for (const [project, token] of [
      [projects.a, alice.key],
      [null, alice.key],
      [null, admin],
    ] as const) {
      for (const mode of ['hybrid', 'vector', 'keyword'] as const) {
        const res = await search(project, token, { query: 'zzzqqq nonsense', mode });
        for (const hit of res.hits) expect(hit.match, `${mode} ${project ?? 'global'}`).toBe('weak');
      }
    }
    const found = await search(projects.a, alice.key, { query: `Panama ${tag}` });
    expect(found.hits[0]).toMatchObject({ document_id: docs.ledger, match: 'strong' });
  });

  it('entity and type filters narrow the hits', async () => {
    expect(entityName).not.toBe('');
    const byEntity = await search(null, admin, { query: `Acme Holdings ${tag}`, filters: { entity: entityName } });
    expect(docsOf(byEntity)).toEqual([docs.ledger]);
    const sameType = await search(null, admin, { query: `Acme Holdings ${tag}`, filters: { document_type: docKind } });
    expect(docsOf(sameType)).toEqual(Object.values(docs).sort());
    const otherType = await search(null, admin, {
      query: `Acme Holdings ${tag}`,
      filters: { document_type: docKind === 'pdf' ? 'docx' : 'pdf' },
    });
    expect(otherType.hits).toEqual([]);
  });

  it("another tenant finds nothing of ours, and project searches outside one's projects are 404", async () => {
    const refused = (project: string, token: string) =>
      statusOf(api(token).POST('/projects/{id}/search', { params: { path: { id: project } }, body: { query: 'Acme' } }));
    expect((await search(null, other, { query: `Acme Holdings ${tag}` })).hits).toEqual([]);
    expect(await refused(projects.a, other)).toBe(404);
    expect(await refused(projects.a, outsider.key)).toBe(404);
    expect(await refused(projects.b, alice.key)).toBe(404);
    expect((await search(null, outsider.key, { query: `Acme Holdings ${tag}` })).hits).toEqual([]);
  });

  it('bad input gets 400', async () => {
    // what the contract forbids, the typed client cannot send: these go raw
    expect((await h.call('POST', '/search', { token: admin, body: { query: '' } })).status).toBe(400);
    expect((await h.call('POST', '/search', { token: admin, body: { query: 'x', mode: 'fuzzy' } })).status).toBe(400);
    expect((await h.call('POST', `/projects/${projects.a}/search`, { token: admin, body: { query: 'x', limit: 1000 } })).status).toBe(400);
  });

  it('records the search in the audit log with its chunk ids and without the query in clear', async () => {
    const before = await head(admin);
    const secret = `Zurich trust ${tag}`;
    const res = await search(projects.a, alice.key, { query: secret });
    const log = await ok(api(admin).GET('/events', { params: { query: { after: before, limit: 100 } } }));
    const e = log.events.find((x) => x.stream === `search-${res.search_id}`);
    expect(e).toMatchObject({
      type: 'search.performed.v1',
      project_id: projects.a,
      actor: `user:${alice.id}`,
      data: { scope: 'project', mode: 'hybrid', project_ids: [projects.a], position: before, chunk_ids: res.hits.map((x) => x.chunk_id) },
    });
    expect(res.hits.length).toBeGreaterThan(0);
    expect(JSON.stringify(log.events)).not.toContain(secret);
    expect(JSON.stringify(log.events)).not.toContain('Zurich');
  });
});
