import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Principal, type SearchResult, streams } from '@mandant/contracts';
import { type Sql, createSql } from '@mandant/shared/db';
import { type EventStore, createEventStore } from '@mandant/shared/eventstore';
import { chunkId } from '@mandant/shared/ids';
import { createLogger } from '@mandant/shared/log';
import { systemClock } from '@mandant/shared/service';
import { openJson } from '@mandant/shared/stores/crypto';
import { postgresUrls } from '@mandant/shared/testing';
import { createEmbedderRegistry } from '@mandant/ingestion';
import { fakeDocuments } from '@mandant/projectors/testing';
import { createTestStores, newMasterKey } from '@mandant/projectors/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SearchDeps, searchService } from './service.ts';
import { type StoreCall, context, principal, projectTenant, recordedStores, seedProject } from './testing/fixture.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const MODEL = 'local-hashing-v1-16';

describe.skipIf(!pg)('search on the embedded stores (Postgres vectors and text, local sealed blobs)', () => {
  let sql: Sql;
  let events: EventStore;
  let root: string;
  let stores: Awaited<ReturnType<typeof createTestStores>>;
  const calls: StoreCall[] = [];
  let run: (input: unknown, p: Principal) => Promise<SearchResult>;

  const tenant = randomUUID();
  const users = { alice: randomUUID(), bob: randomUUID(), nobody: randomUUID() };
  const projects = { p1: '', p2: '', odd: '' };
  const docs = { ledger: '', memo: '', shared: '', unassigned: '', gone: '' };
  let project: (only?: 'all' | 'views') => Promise<void>;

  beforeAll(async () => {
    if (!pg) return;
    root = await mkdtemp(join(tmpdir(), 'mandant-search-'));
    sql = createSql(pg.appUrl, { max: 6, appName: 'mandant-search-test' });
    events = createEventStore(sql);
    stores = await createTestStores({ appUrl: pg.appUrl, blobRoot: root, masterKey: newMasterKey() });
    // The fake documents' vectors are random (a hash of the text), so the tests of plumbing turn
    // the floor off (-1); the tests of the floor set it, and the query vector, themselves.
    const registry = createEmbedderRegistry({ defaultModel: MODEL });
    const embedders: SearchDeps['embedders'] = {
      defaultModel: MODEL,
      get: (model) => {
        const e = registry.get(model);
        if (!e) return null;
        return {
          model: e.model,
          dimension: e.dimension,
          get minSimilarity() {
            return embedding.floor;
          },
          embed: async (texts, purpose) => {
            embedding.purposes.push(purpose);
            const query = embedding.query;
            return query ? texts.map(() => query) : e.embed(texts, purpose);
          },
        };
      },
    };
    // search writes only its own records and waits for no view
    const deps: SearchDeps = {
      sql,
      store: events,
      clock: systemClock,
      log,
      waitForViews: async () => true,
      stores: recordedStores(stores, calls),
      embedders,
    };
    const handler = searchService(deps).handlers['search.run'];
    if (!handler) throw new Error('search.run not served');
    run = async (input, p) => (await handler(input, context(p))) as SearchResult;

    // alice reads p1 only; bob reads p1 and p2; `odd` asks for a model this deployment does not serve
    projects.p1 = await seedProject(sql, tenant, { [users.alice]: 'viewer', [users.bob]: 'editor' });
    projects.p2 = await seedProject(sql, tenant, { [users.bob]: 'viewer' });
    projects.odd = await seedProject(sql, tenant, { [users.alice]: 'viewer' }, { embedding_model: 'no-such-model' });
    const fake = fakeDocuments({ events, stores });
    const models = [{ id: MODEL, dimension: 16 }];
    const add = async (
      title: string,
      chunks: string[],
      projectIds: string[],
      entities: { name: string; type: 'person' | 'organisation' | 'place'; chunks: number[] }[] = [],
    ) => (await fake.add(tenant, { title, chunks, projectIds, models, entities })).documentId;
    docs.ledger = await add(
      'Offshore ledger',
      ['Acme Holdings paid Maria Gonzalez in Panama', 'unrelated weather report'],
      [projects.p1],
      [{ name: 'Maria Gonzalez', type: 'person', chunks: [0] }],
    );
    docs.memo = await add('Procurement memo', ['Acme Holdings won the tender in Berlin'], [projects.p2]);
    docs.shared = await add('Shared wire memo', ['Acme Holdings wired funds to Zurich'], [projects.p1, projects.p2, projects.odd]);
    docs.unassigned = await add('Loose note', ['Acme Holdings annual report draft'], []);
    docs.gone = await add('Deleted later', ['Acme Holdings deleted chunk'], [projects.p1]);
    project = projectTenant(sql, stores, tenant);
    await project();
    // deleted: the relational views know at once, the search stores have not caught up yet
    await fake.remove(tenant, docs.gone);
    await project('views');
  });
  afterAll(async () => {
    await stores?.close();
    await sql?.end();
    if (root) await rm(root, { recursive: true, force: true });
  });
  const embedding: { floor: number; query: number[] | null; purposes: Array<string | undefined> } = {
    floor: -1,
    query: null,
    purposes: [],
  };
  beforeEach(() => {
    calls.length = 0;
    Object.assign(embedding, { floor: -1, query: null, purposes: [] });
  });

  const searches = () => calls.filter((c) => c.method === 'search');
  const optionsOf = (c: StoreCall) => c.args.at(-1) as Record<string, unknown>;
  const alice = () => principal(tenant, 'member', users.alice);

  it('sends every store call with the tenant id, and in project scope with projectIds [P]', async () => {
    const res = await run({ project_id: projects.p1, query: 'Acme Holdings' }, alice());
    expect(
      searches()
        .map((c) => c.store)
        .sort(),
    ).toEqual(['text', 'vectors']);
    for (const c of calls) expect(c.args[0]).toBe(tenant);
    for (const c of searches()) expect(optionsOf(c).projectIds).toEqual([projects.p1]);
    expect(res.scope).toBe('project');
    expect(new Set(res.hits.map((h) => h.document_id))).toEqual(new Set([docs.ledger, docs.shared]));
    // alice may read p1 and odd, not p2
    expect(res.hits.find((h) => h.document_id === docs.shared)?.project_ids).toEqual([projects.p1, projects.odd].sort());
  });

  it("a non-admin global search passes exactly the caller's member projects and shows only those", async () => {
    const res = await run({ query: 'Acme Holdings', mode: 'keyword' }, alice());
    for (const c of searches()) expect(optionsOf(c).projectIds).toEqual([projects.p1, projects.odd].sort());
    expect(res.scope).toBe('global');
    expect(res.hits.map((h) => h.document_id)).not.toContain(docs.memo);
    expect(res.hits.map((h) => h.document_id)).not.toContain(docs.unassigned);
    for (const h of res.hits) expect(h.project_ids.every((id) => id === projects.p1 || id === projects.odd)).toBe(true);
  });

  it("a tenant admin's global search passes no project filter and finds unassigned documents", async () => {
    const res = await run({ query: 'Acme Holdings' }, principal(tenant, 'tenant_admin', null));
    expect(searches()).toHaveLength(2);
    for (const c of searches()) {
      expect(c.args[0]).toBe(tenant);
      expect(optionsOf(c)).not.toHaveProperty('projectIds');
    }
    expect(new Set(res.hits.map((h) => h.document_id))).toEqual(new Set([docs.ledger, docs.memo, docs.shared, docs.unassigned]));
    expect(res.hits.find((h) => h.document_id === docs.shared)?.project_ids).toEqual([projects.p1, projects.p2, projects.odd].sort());
    expect(res.hits.find((h) => h.document_id === docs.unassigned)?.project_ids).toEqual([]);
  });

  it('a member of no project finds nothing globally (empty filter), and gets 404 for a project', async () => {
    const nobody = principal(tenant, 'member', users.nobody);
    const res = await run({ query: 'Acme' }, nobody);
    expect(res.hits).toEqual([]);
    for (const c of searches()) expect(optionsOf(c).projectIds).toEqual([]);
    await expect(run({ project_id: projects.p1, query: 'Acme' }, nobody)).rejects.toMatchObject({ code: 'not_found' });
    await expect(run({ project_id: projects.p1, query: 'Acme' }, principal(tenant, 'auditor', null))).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(run({ project_id: projects.p1, query: 'Acme' }, principal(randomUUID(), 'tenant_admin', null))).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('passes the filters through to both stores and they narrow the hits', async () => {
    const filters = { document_type: 'text', from: '2000-01-01T00:00:00Z', to: '2999-01-01T00:00:00Z', entity: 'Maria Gonzalez' };
    const res = await run({ project_id: projects.p1, query: 'Acme Holdings', filters }, alice());
    expect(searches()).toHaveLength(2);
    for (const c of searches()) {
      expect(optionsOf(c)).toMatchObject({
        projectIds: [projects.p1],
        documentType: 'text',
        from: filters.from,
        to: filters.to,
        entity: 'Maria Gonzalez',
      });
    }
    expect(res.hits.map((h) => [h.document_id, h.chunk_index])).toEqual([[docs.ledger, 0]]);
    const none = await run({ project_id: projects.p1, query: 'Acme Holdings', filters: { document_type: 'pdf' } }, alice());
    expect(none.hits).toEqual([]);
  });

  it('fuses keyword and vector ranks (k = 60) into the same order every time, and paginates the fused list', async () => {
    const admin = principal(tenant, 'tenant_admin', null);
    const a = await run({ query: 'Acme Holdings wired funds', limit: 10 }, admin);
    const b = await run({ query: 'Acme Holdings wired funds', limit: 10 }, admin);
    expect(b.hits.map((h) => [h.chunk_id, h.score])).toEqual(a.hits.map((h) => [h.chunk_id, h.score]));
    for (const c of searches()) expect(optionsOf(c)).toMatchObject({ limit: 30, offset: 0 });
    const scores = a.hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    const both = a.hits.filter((h) => h.found_by.length === 2);
    expect(both.length).toBeGreaterThan(0);
    // the whole part is the tier (a strong keyword hit), the fraction the weighted rank sum: keyword 1, vector 1/2
    for (const h of a.hits) expect(h.score % 1).toBeLessThanOrEqual(1.5 / 61 + 1e-12);
    const page = await run({ query: 'Acme Holdings wired funds', limit: 2, offset: 1 }, admin);
    expect(page.hits.map((h) => h.chunk_id)).toEqual(a.hits.slice(1, 3).map((h) => h.chunk_id));
  });

  it('fills hits from the relational views: titles, chunk indexes, keyword snippets with <mark>, vector-only snippets from the chunk text', async () => {
    const kw = await run({ project_id: projects.p1, query: 'Panama', mode: 'keyword' }, alice());
    expect(kw.hits[0]).toMatchObject({
      document_id: docs.ledger,
      title: 'Offshore ledger',
      chunk_index: 0,
      chunk_id: chunkId(docs.ledger, 0),
      document_type: 'text',
      found_by: ['keyword'],
    });
    expect(kw.hits[0]?.snippet).toContain('<mark>Panama</mark>');
    calls.length = 0;
    const vec = await run({ project_id: projects.p1, query: 'Panama', mode: 'vector', limit: 20 }, alice());
    expect(searches().map((c) => c.store)).toEqual(['vectors']);
    const ledger0 = vec.hits.find((h) => h.chunk_id === chunkId(docs.ledger, 0));
    expect(ledger0).toMatchObject({ chunk_index: 0, title: 'Offshore ledger', found_by: ['vector'] });
    expect(ledger0?.snippet).toBe('Acme Holdings paid Maria Gonzalez in <mark>Panama</mark>');
  });

  it('leaves out a deleted document the search stores still hold', async () => {
    const res = await run({ project_id: projects.p1, query: 'deleted chunk', mode: 'keyword' }, alice());
    const raw = await stores.text.search(tenant, 'deleted chunk', { projectIds: [projects.p1], limit: 10 });
    expect(raw.map((h) => h.document_id)).toContain(docs.gone);
    expect(res.hits.map((h) => h.document_id)).not.toContain(docs.gone);
  });

  it('a scope asking for a model its documents do not have searches the model they have, and answers by both', async () => {
    const res = await run({ project_id: projects.odd, query: 'Acme Holdings' }, alice());
    expect(searches().map((c) => [c.store, c.store === 'vectors' ? (c.args[1] as { id: string }).id : null])).toEqual([
      ['text', null],
      ['vectors', MODEL],
    ]);
    expect(res.hits.map((h) => h.document_id)).toEqual([docs.shared]);
    expect(res.hits[0]?.found_by).toEqual(['keyword', 'vector']);
  });

  it('records search.performed.v1 on search-{id}: scope, filter, grant, position, chunk ids, and the query only sealed', async () => {
    const before = await events.head(tenant);
    const res = await run(
      { project_id: projects.p1, query: 'Maria Gonzalez secret words', mode: 'hybrid', filters: { document_type: 'text' } },
      alice(),
    );
    const { events: stream } = await events.readStream(tenant, streams.search(res.search_id));
    expect(stream).toHaveLength(1);
    const [e] = stream;
    expect(e).toMatchObject({ type: 'search.performed.v1', project_id: projects.p1, version: 1, actor: `user:${users.alice}` });
    expect(e?.data).toMatchObject({
      scope: 'project',
      mode: 'hybrid',
      project_ids: [projects.p1],
      position: before,
      grant: { tenant_role: 'member', project_roles: { [projects.p1]: 'viewer' } },
      chunk_ids: res.hits.map((h) => h.chunk_id),
    });
    expect(JSON.stringify(e)).not.toContain('secret words');
    expect(await openJson(stores.keyring, tenant, res.search_id, String(e?.data.sealed))).toEqual({
      query: 'Maria Gonzalez secret words',
      filters: { document_type: 'text' },
    });

    const admin = await run({ query: 'Acme' }, principal(tenant, 'tenant_admin', null));
    const [g] = (await events.readStream(tenant, streams.search(admin.search_id))).events;
    expect(g).toMatchObject({
      project_id: null,
      data: { scope: 'global', project_ids: null, grant: { tenant_role: 'tenant_admin', project_roles: {} } },
    });
  });

  it("embeds the query as a query, asks the vector store for nothing below the model's floor, and marks hits near it weak", async () => {
    const stored = await stores.vectors.snapshot(tenant, { id: MODEL, dimension: 16 });
    const ledger0 = stored.find((p) => p.id === chunkId(docs.ledger, 0));
    if (!ledger0) throw new Error('the ledger has no vector');
    Object.assign(embedding, { floor: 0.5, query: ledger0.vector });
    const res = await run({ project_id: projects.p1, query: 'zzzqqq nonsense' }, alice());
    expect(embedding.purposes).toEqual(['query']);
    const vectorCall = searches().find((c) => c.store === 'vectors');
    expect(vectorCall && optionsOf(vectorCall)).toMatchObject({ minScore: 0.5, projectIds: [projects.p1] });
    const cosine = (v: number[]) => v.reduce((s, x, i) => s + x * (ledger0.vector[i] ?? 0), 0);
    const current = new Set([chunkId(docs.ledger, 0), chunkId(docs.ledger, 1), chunkId(docs.shared, 0)]);
    const near = stored.filter((p) => current.has(p.id) && cosine(p.vector) >= 0.5).map((p) => p.id);
    expect(res.hits.map((h) => h.chunk_id).sort()).toEqual(near.sort());
    for (const h of res.hits) {
      expect(h.found_by).toEqual(['vector']);
      const similarity = cosine(stored.find((p) => p.id === h.chunk_id)?.vector ?? []);
      expect(h.match).toBe(similarity >= 0.625 ? 'strong' : 'weak');
    }
    expect(res.hits.find((h) => h.chunk_id === ledger0.id)?.match).toBe('strong');
  });

  it('a query about nothing in the corpus answers nothing, in project scope and globally', async () => {
    embedding.floor = 0.99;
    const admin = principal(tenant, 'tenant_admin', null);
    for (const [input, who] of [
      [{ project_id: projects.p1, query: 'zzzqqq nonsense' }, alice()],
      [{ query: 'zzzqqq nonsense' }, alice()],
      [{ query: 'zzzqqq nonsense' }, admin],
      [{ query: 'zzzqqq nonsense', mode: 'vector' }, admin],
      [{ query: 'zzzqqq nonsense', mode: 'keyword' }, admin],
    ] as const) {
      expect((await run(input, who)).hits, JSON.stringify(input)).toEqual([]);
    }
  });

  it('keyword search finds any of the words, every word first; hits with half of the words or fewer are weak', async () => {
    const admin = principal(tenant, 'tenant_admin', null);
    const res = await run({ query: 'Acme Holdings Panama', mode: 'keyword' }, admin);
    expect(res.hits[0]).toMatchObject({ chunk_id: chunkId(docs.ledger, 0), match: 'strong' });
    // every other chunk holds "Acme Holdings" only: two of three words
    expect(new Set(res.hits.map((h) => h.document_id))).toEqual(new Set([docs.ledger, docs.memo, docs.shared, docs.unassigned]));
    for (const h of res.hits) expect(h.match).toBe('strong');
    const few = await run({ query: 'Panama zzzqqq nonsense', mode: 'keyword' }, admin);
    expect(few.hits.map((h) => [h.chunk_id, h.match])).toEqual([[chunkId(docs.ledger, 0), 'weak']]);
    const global = await run({ query: 'Panama zzzqqq nonsense', mode: 'keyword' }, alice());
    expect(global.hits.map((h) => [h.chunk_id, h.match])).toEqual([[chunkId(docs.ledger, 0), 'weak']]);
  });

  it('rejects bad input before touching any store', async () => {
    await expect(run({ query: '   ' }, alice())).rejects.toThrow();
    await expect(run({ query: 'x', mode: 'fuzzy' }, alice())).rejects.toThrow();
    await expect(run({ query: 'x', filters: { colour: 'red' } }, alice())).rejects.toThrow();
    expect(calls).toEqual([]);
  });
});
