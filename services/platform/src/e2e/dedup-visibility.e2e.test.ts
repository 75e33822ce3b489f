import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer } from '@mandant/shared/runtime';
import { SETTLE_MS, backendMissing, postgresUrls } from '@mandant/shared/testing';
import { type Harness, OPERATOR, startHarness, waitForDocument } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const SEED = Number(process.env.FC_SEED ?? 20261202);

type User = { id: string; key: string };

/**
 * Uploading bytes that are already a document of the tenant: the caller gets that document only
 * when they can read it; otherwise a document of their own, with nothing of the other one shown,
 * moved or shared (key, blobs, read models).
 */
describe.skipIf(!pg || natsMissing)('deduplication never crosses visibility', () => {
  let h: Harness;
  let admin = '';
  let tenantId = '';
  const u = {} as Record<'alice' | 'bob' | 'carol', User>;
  const projects = { a: '', b: '', shared: '' };

  const ok = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await h.call(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const uploadText = (token: string, projectId: string | null, title: string, content: string) =>
    h.call('POST', projectId ? `/projects/${projectId}/documents` : '/documents', { token, body: { title, content } });
  const waitFor = (id: string, token: string, done: (d: any) => boolean) => waitForDocument(h, id, token, done);
  const settle = async () => {
    const position = (await ok('GET', '/events?after=0&limit=1', admin)).head as number;
    await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(tenantId, position, SETTLE_MS)));
  };
  const searchIds = async (token: string, project: string, query: string) =>
    ((await ok('POST', `/projects/${project}/search`, token, { query, mode: 'keyword' })).hits as { document_id: string }[]).map(
      (x) => x.document_id,
    );

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl });
    const suffix = randomUUID().slice(0, 6);
    const t = await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Newsroom', slug: `dedup-${suffix}` } });
    admin = t.body.admin_api_key;
    tenantId = t.body.tenant.id;
    for (const name of ['alice', 'bob', 'carol'] as const) {
      const user = await ok('POST', '/users', admin, { email: `${name}@news.example`, name });
      u[name] = { id: user.id, key: (await ok('POST', '/api-keys', admin, { name, user_id: user.id })).secret };
    }
    projects.a = (await ok('POST', '/projects', admin, { name: 'Alice case' })).id;
    projects.b = (await ok('POST', '/projects', admin, { name: 'Bob case' })).id;
    projects.shared = (await ok('POST', '/projects', admin, { name: 'Shared case' })).id;
    await ok('PUT', `/projects/${projects.a}/members/${u.alice.id}`, admin, { role: 'editor' });
    await ok('PUT', `/projects/${projects.b}/members/${u.bob.id}`, admin, { role: 'editor' });
    await ok('PUT', `/projects/${projects.shared}/members/${u.alice.id}`, admin, { role: 'editor' });
    await ok('PUT', `/projects/${projects.shared}/members/${u.bob.id}`, admin, { role: 'editor' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('gives an uploader who cannot read the document a separate one: no leak, both keep access, deleting one leaves the other whole', async () => {
    const word = `zq${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const content = `Leak ${word}: Acme Holdings wired funds to Maria Gonzalez in Panama.`;
    const first = await uploadText(u.alice.key, projects.a, 'Alice secret title', content);
    expect(first.status).toBe(202);
    const aliceDoc = first.body.id as string;
    await waitFor(aliceDoc, u.alice.key, (d) => d.status === 'processed');

    const second = await uploadText(u.bob.key, projects.b, 'Bob memo', content);
    expect(second.status).toBe(202);
    expect(second.body).toEqual({ id: expect.any(String), status: 'pending', duplicate: false, project_ids: [projects.b] });
    const bobDoc = second.body.id as string;
    expect(bobDoc).not.toBe(aliceDoc);
    expect(JSON.stringify(second.body)).not.toContain(aliceDoc);
    expect(second.headers.get('location')).toBe(`/api/v1/documents/${bobDoc}`);

    // bob's document is his own, extracted again; he still cannot see alice's, nor its title
    const bobView = await waitFor(bobDoc, u.bob.key, (d) => d.status === 'processed');
    expect(bobView).toMatchObject({ title: 'Bob memo', project_ids: [projects.b] });
    expect((await h.call('GET', `/documents/${aliceDoc}`, { token: u.bob.key })).status).toBe(404);
    const bobList = JSON.stringify(await ok('GET', '/documents', u.bob.key));
    expect(bobList).not.toContain(aliceDoc);
    expect(bobList).not.toContain('Alice secret title');
    // alice's document did not move: still in A only, still hers
    expect(await ok('GET', `/documents/${aliceDoc}`, admin)).toMatchObject({ project_ids: [projects.a], title: 'Alice secret title' });
    expect((await ok('GET', `/documents/${aliceDoc}`, u.alice.key)).status).toBe('processed');
    expect((await h.call('GET', `/documents/${bobDoc}`, { token: u.alice.key })).status).toBe(404);
    const events = (await ok('GET', '/events?after=0&limit=1000', admin)).events as { stream: string; type: string }[];
    expect(events.filter((e) => e.stream === `document-${aliceDoc}` && e.type === 'document.linked.v1')).toHaveLength(1);
    expect(events.filter((e) => e.stream === `document-${bobDoc}` && e.type === 'document.processed.v1')).toHaveLength(1);

    // her embedding is appended after her document is processed: in the log before the stores
    // settle, so the vectors counted below are all there
    const aliceView = await waitFor(aliceDoc, u.alice.key, (d) => d.embeddings.length > 0);
    await settle();
    expect(await searchIds(u.alice.key, projects.a, word)).toContain(aliceDoc);
    expect(await searchIds(u.bob.key, projects.b, word)).toEqual([bobDoc]);
    const [embedding] = aliceView.embeddings;
    if (!embedding) throw new Error('processed without an embedding');
    const model = { id: embedding.model, dimension: embedding.dimension };
    const { vectors } = h.platform.stores;
    expect(await vectors.count(tenantId, model, { documentId: aliceDoc })).toBe(aliceView.chunk_count);

    // deleting bob's document destroys his key only: alice's blobs open, her read models stay
    expect((await h.call('DELETE', `/documents/${bobDoc}`, { token: u.bob.key })).status).toBe(204);
    await settle();
    const { blobs } = h.platform.stores;
    expect(await blobs.list(tenantId, `raw/${bobDoc}/`)).toEqual([]);
    const raw = await blobs.list(tenantId, `raw/${aliceDoc}/`);
    expect(raw).toHaveLength(1);
    expect(new TextDecoder().decode((await blobs.get(tenantId, raw[0]?.key ?? '')) ?? new Uint8Array())).toBe(content);
    expect((await blobs.list(tenantId, `processed/${aliceDoc}/`)).length).toBeGreaterThan(0);
    for (const entry of await blobs.list(tenantId, `processed/${aliceDoc}/`)) expect(await blobs.get(tenantId, entry.key)).not.toBeNull();
    expect(await ok('GET', `/documents/${aliceDoc}`, u.alice.key)).toMatchObject({ status: 'processed', title: 'Alice secret title' });
    expect(await searchIds(u.alice.key, projects.a, word)).toContain(aliceDoc);
    expect(await vectors.count(tenantId, model, { documentId: aliceDoc })).toBe(aliceView.chunk_count);
    expect(await vectors.count(tenantId, model, { documentId: bobDoc })).toBe(0);

    // with bob's gone, alice's claim still makes her own re-upload a duplicate
    const again = await uploadText(u.alice.key, projects.a, 'ignored', content);
    expect(again.body).toMatchObject({ id: aliceDoc, duplicate: true });
  });

  it('still deduplicates for a caller who can read the document: linked into the project, not extracted again', async () => {
    const content = `Shared ${randomUUID()}: the tender papers of Zephyr Ltd.`;
    const first = await uploadText(u.alice.key, projects.a, 'Tender', content);
    await waitFor(first.body.id, u.alice.key, (d) => d.status === 'processed');
    const again = await uploadText(u.alice.key, projects.shared, 'Tender again', content);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: first.body.id, duplicate: true });
    expect(again.body.project_ids.sort()).toEqual([projects.a, projects.shared].sort());
    // now bob reads it through the shared project: his upload is the same document too
    const bobs = await uploadText(u.bob.key, projects.b, 'Tender, Bob', content);
    expect(bobs.body).toMatchObject({ id: first.body.id, duplicate: true });
    // he is told only the projects he reads
    expect(bobs.body.project_ids.sort()).toEqual([projects.b, projects.shared].sort());
    const events = (await ok('GET', '/events?after=0&limit=1000', admin)).events as { stream: string; type: string }[];
    expect(events.filter((e) => e.stream === `document-${first.body.id}` && e.type === 'document.processed.v1')).toHaveLength(1);
    // an unassigned upload of the same bytes by a reader answers the document, linking nothing
    const unassigned = await uploadText(u.alice.key, null, 'loose', content);
    expect(unassigned.body).toMatchObject({ id: first.body.id, duplicate: true });
  });

  it("never adopts someone else's unassigned document, so its uploader keeps it", async () => {
    const content = `Private ${randomUUID()}: carol's own notes.`;
    const mine = await uploadText(u.carol.key, null, 'Carol notes', content);
    expect(mine.body).toMatchObject({ duplicate: false, project_ids: [] });
    // a tenant admin reads carol's document too, yet gets a document of their own: carol's stays unassigned
    const admins = await uploadText(admin, projects.a, 'Admin copy', content);
    expect(admins.body).toMatchObject({ duplicate: false, project_ids: [projects.a] });
    expect(admins.body.id).not.toBe(mine.body.id);
    const bobs = await uploadText(u.bob.key, projects.b, 'Bob copy', content);
    expect(bobs.body).toMatchObject({ duplicate: false, project_ids: [projects.b] });
    expect([mine.body.id, admins.body.id]).not.toContain(bobs.body.id);
    // with several copies, the admin adopts the oldest one in a project
    for (const project of [projects.shared, null]) {
      expect((await uploadText(admin, project, 'Admin again', content)).body).toMatchObject({ id: admins.body.id, duplicate: true });
    }
    expect((await ok('GET', `/documents/${admins.body.id}`, admin)).project_ids.sort()).toEqual([projects.a, projects.shared].sort());
    expect(await ok('GET', `/documents/${mine.body.id}`, u.carol.key)).toMatchObject({ project_ids: [], title: 'Carol notes' });
    // carol herself still gets her own document back
    expect((await uploadText(u.carol.key, null, 'again', content)).body).toMatchObject({ id: mine.body.id, duplicate: true });
  });

  it('concurrent uploads of the same bytes: one document per reach, never a shared one', async () => {
    const content = `Race ${randomUUID()}: the same file, many times at once.`;
    const racers = [u.alice, u.alice, u.alice, u.bob, u.bob, u.bob];
    const answers = await Promise.all(racers.map((r) => uploadText(r.key, r === u.alice ? projects.a : projects.b, 'Race', content)));
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(202);
    const ids = (who: User) => answers.filter((_, i) => racers[i] === who).map((a) => a.body);
    for (const who of [u.alice, u.bob]) {
      const mine = ids(who);
      expect(new Set(mine.map((b) => b.id)).size, JSON.stringify(answers.map((a) => a.body))).toBe(1);
      expect(mine.filter((b) => b.duplicate === false)).toHaveLength(1);
    }
    expect(ids(u.alice)[0]?.id).not.toBe(ids(u.bob)[0]?.id);
  });

  /**
   * Random uploads of a few contents by users with different reach, checked against a model of
   * visibility: the answer is the oldest document of those bytes the caller may adopt, or a new
   * one; afterwards every document is readable by exactly whom the model says.
   */
  it('agrees with a model of visibility over random upload sequences (seeded)', async () => {
    const users = { alice: u.alice, bob: u.bob, admin: { id: '', key: admin } };
    const reach: Record<keyof typeof users, string[]> = {
      alice: [projects.a, projects.shared],
      bob: [projects.b, projects.shared],
      admin: [projects.a, projects.b, projects.shared],
    };
    const run = randomUUID();
    const contents = [0, 1, 2].map((i) => `Model ${run} content ${i}: Acme paid ${i}.`);
    const step = fc.record({
      who: fc.constantFrom<keyof typeof users>('alice', 'bob', 'admin'),
      content: fc.nat({ max: 2 }),
      into: fc.nat({ max: 3 }),
    });
    const steps = fc.sample(fc.array(step, { minLength: 12, maxLength: 12 }), { seed: SEED, numRuns: 1 })[0] ?? [];
    type Doc = { id: string; content: number; uploader: keyof typeof users; projects: Set<string> };
    const docs: Doc[] = [];
    const reads = (who: keyof typeof users, d: Doc) =>
      who === 'admin' || [...d.projects].some((p) => reach[who].includes(p)) || (d.projects.size === 0 && d.uploader === who);
    const adoptable = (who: keyof typeof users, d: Doc) =>
      [...d.projects].some((p) => reach[who].includes(p)) || (d.projects.size === 0 && d.uploader === who);

    for (const [i, s] of steps.entries()) {
      const project = s.into < 3 ? (reach[s.who][s.into % reach[s.who].length] ?? null) : null;
      const expected = docs.find((d) => d.content === s.content && adoptable(s.who, d));
      const res = await uploadText(users[s.who].key, project, `step ${i}`, contents[s.content] ?? '');
      const where = `seed ${SEED}, step ${i}: ${JSON.stringify(s)}`;
      expect(res.status, where).toBe(202);
      if (expected) {
        expect(res.body, where).toMatchObject({ id: expected.id, duplicate: true });
        if (project) expected.projects.add(project);
      } else {
        expect(res.body.duplicate, where).toBe(false);
        expect(
          docs.map((d) => d.id),
          where,
        ).not.toContain(res.body.id);
        docs.push({ id: res.body.id, content: s.content, uploader: s.who, projects: new Set(project ? [project] : []) });
      }
    }
    for (const d of docs) {
      for (const who of ['alice', 'bob', 'admin'] as const) {
        const got = await h.call('GET', `/documents/${d.id}`, { token: users[who].key });
        expect(got.status, `seed ${SEED}: ${who} reading ${d.id}`).toBe(reads(who, d) ? 200 : 404);
      }
    }
  });
});
