import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer } from '@mandant/shared/runtime/nats-server.ts';
import { backendMissing, postgresUrls } from '@mandant/shared/testing/backends.ts';
import { storePlatforms } from '@mandant/shared/testing/store-engines.ts';
// not a declared dependency: @mandant/platform depends on this package, and turbo refuses cycles
import { type Harness, OPERATOR, startHarness } from '@mandant/platform/e2e/harness.ts';

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

  const ok = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await h.call(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const head = async (token: string) => (await ok('GET', '/events?after=0&limit=1', token)).head as number;
  const processed = async (id: string, token: string) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const d = await ok('GET', `/documents/${id}`, token);
      if (d.status === 'processed' && d.embeddings.length > 0) return d;
      if (Date.now() > deadline) throw new Error(`document ${id} stuck at ${d.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const search = (path: string, token: string, body: Record<string, unknown>) => ok('POST', path, token, body);
  const docsOf = (res: any): string[] => [...new Set<string>(res.hits.map((x: any) => x.document_id))].sort();

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env });
    admin = (await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Newsroom', slug: `search-${tag}` } })).body.admin_api_key;
    other = (await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Other', slug: `search-other-${tag}` } })).body.admin_api_key;
    tenantId = (await ok('GET', '/tenant', admin)).id;
    const user = async (name: string) => {
      const u = await ok('POST', '/users', admin, { email: `${name}-${tag}@news.example`, name });
      return { id: u.id as string, key: (await ok('POST', '/api-keys', admin, { name, user_id: u.id })).secret as string };
    };
    alice = await user('alice');
    outsider = await user('outsider');
    projects.a = (await ok('POST', '/projects', admin, { name: 'Offshore leaks' })).id;
    projects.b = (await ok('POST', '/projects', admin, { name: 'Procurement' })).id;
    await ok('PUT', `/projects/${projects.a}/members/${alice.id}`, admin, { role: 'viewer' });

    const upload = async (projectId: string, title: string, content: string) =>
      (await ok('POST', `/projects/${projectId}/documents`, admin, { title, content })).id as string;
    docs.ledger = await upload(projects.a, 'Offshore ledger', `Ledger ${tag}: Acme Holdings paid Maria Gonzalez through a bank in Panama City.`);
    docs.tender = await upload(projects.b, 'Tender notes', `Tender ${tag}: Acme Holdings won the bridge tender in Berlin after John Smith signed.`);
    docs.wire = await upload(projects.a, 'Wire memo', `Wire ${tag}: Acme Holdings wired funds to a trust in Zurich.`);
    for (const id of Object.values(docs)) docKind = (await processed(id, admin)).kind;
    await ok('POST', `/projects/${projects.b}/documents/link`, admin, { document_ids: [docs.wire] });
    await processed(docs.wire, admin);
    const position = await head(admin);
    await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(tenantId, position)));
    // an entity name exactly as ingestion found it, mentioned in the ledger only
    const indexed = await h.platform.stores.text.snapshot(tenantId);
    const elsewhere = new Set(indexed.filter((d) => d.document_id !== docs.ledger).flatMap((d) => d.entity_names));
    entityName = indexed.filter((d) => d.document_id === docs.ledger).flatMap((d) => d.entity_names).find((n) => !elsewhere.has(n)) ?? '';
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('a project search finds only that project\'s documents', async () => {
    const a = await search(`/projects/${projects.a}/search`, alice.key, { query: `Acme Holdings ${tag}` });
    expect(a.scope).toBe('project');
    expect(docsOf(a)).toEqual([docs.ledger, docs.wire].sort());
    const b = await search(`/projects/${projects.b}/search`, admin, { query: `Acme Holdings ${tag}` });
    expect(docsOf(b)).toEqual([docs.tender, docs.wire].sort());
    for (const hit of a.hits) expect(hit).toMatchObject({ title: expect.any(String), chunk_index: expect.any(Number), document_type: docKind });
  });

  it('a global search lists each hit\'s projects, and hides the projects the caller is not in', async () => {
    const mine = await search('/search', alice.key, { query: `Acme Holdings ${tag}` });
    expect(mine.scope).toBe('global');
    expect(docsOf(mine)).toEqual([docs.ledger, docs.wire].sort());
    expect(mine.hits.find((x: any) => x.document_id === docs.wire).project_ids).toEqual([projects.a]);
    const all = await search('/search', admin, { query: `Acme Holdings ${tag}` });
    expect(docsOf(all)).toEqual(Object.values(docs).sort());
    expect(all.hits.find((x: any) => x.document_id === docs.wire).project_ids.sort()).toEqual([projects.a, projects.b].sort());
    expect(all.hits.find((x: any) => x.document_id === docs.tender).project_ids).toEqual([projects.b]);
  });

  it('keyword, vector and hybrid modes say which retriever found each hit', async () => {
    const q = `Panama ${tag}`;
    const kw = await search(`/projects/${projects.a}/search`, alice.key, { query: q, mode: 'keyword' });
    expect(kw.mode).toBe('keyword');
    expect(kw.hits[0]).toMatchObject({ document_id: docs.ledger, found_by: ['keyword'] });
    expect(kw.hits[0].snippet).toContain('<mark>');
    const vec = await search(`/projects/${projects.a}/search`, alice.key, { query: q, mode: 'vector' });
    expect(vec.hits.length).toBeGreaterThan(0);
    for (const hit of vec.hits) expect(hit.found_by).toEqual(['vector']);
    const hyb = await search(`/projects/${projects.a}/search`, alice.key, { query: q });
    expect(hyb.mode).toBe('hybrid');
    expect(hyb.hits[0]).toMatchObject({ document_id: docs.ledger, found_by: ['keyword', 'vector'] });
    expect(hyb.hits[0].score).toBeCloseTo(2 / 61, 2);
  });

  it('entity and type filters narrow the hits', async () => {
    expect(entityName).not.toBe('');
    const byEntity = await search('/search', admin, { query: `Acme Holdings ${tag}`, filters: { entity: entityName } });
    expect(docsOf(byEntity)).toEqual([docs.ledger]);
    const sameType = await search('/search', admin, { query: `Acme Holdings ${tag}`, filters: { document_type: docKind } });
    expect(docsOf(sameType)).toEqual(Object.values(docs).sort());
    const otherType = await search('/search', admin, { query: `Acme Holdings ${tag}`, filters: { document_type: docKind === 'pdf' ? 'docx' : 'pdf' } });
    expect(otherType.hits).toEqual([]);
  });

  it('another tenant finds nothing of ours, and project searches outside one\'s projects are 404', async () => {
    expect((await search('/search', other, { query: `Acme Holdings ${tag}` })).hits).toEqual([]);
    expect((await h.call('POST', `/projects/${projects.a}/search`, { token: other, body: { query: 'Acme' } })).status).toBe(404);
    expect((await h.call('POST', `/projects/${projects.a}/search`, { token: outsider.key, body: { query: 'Acme' } })).status).toBe(404);
    expect((await h.call('POST', `/projects/${projects.b}/search`, { token: alice.key, body: { query: 'Acme' } })).status).toBe(404);
    expect((await search('/search', outsider.key, { query: `Acme Holdings ${tag}` })).hits).toEqual([]);
  });

  it('bad input gets 400', async () => {
    expect((await h.call('POST', '/search', { token: admin, body: { query: '' } })).status).toBe(400);
    expect((await h.call('POST', '/search', { token: admin, body: { query: 'x', mode: 'fuzzy' } })).status).toBe(400);
    expect((await h.call('POST', `/projects/${projects.a}/search`, { token: admin, body: { query: 'x', limit: 1000 } })).status).toBe(400);
  });

  it('records the search in the audit log with its chunk ids and without the query in clear', async () => {
    const before = await head(admin);
    const secret = `Zurich trust ${tag}`;
    const res = await search(`/projects/${projects.a}/search`, alice.key, { query: secret });
    const log = await ok('GET', `/events?after=${before}&limit=100`, admin);
    const e = log.events.find((x: any) => x.stream === `search-${res.search_id}`);
    expect(e).toMatchObject({
      type: 'search.performed.v1', project_id: projects.a, actor: `user:${alice.id}`,
      data: { scope: 'project', mode: 'hybrid', project_ids: [projects.a], position: before, chunk_ids: res.hits.map((x: any) => x.chunk_id) },
    });
    expect(e.data.chunk_ids.length).toBeGreaterThan(0);
    expect(JSON.stringify(log.events)).not.toContain(secret);
    expect(JSON.stringify(log.events)).not.toContain('Zurich');
  });
});
