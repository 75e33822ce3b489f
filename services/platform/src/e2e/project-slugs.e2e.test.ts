import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { type Harness, OPERATOR, ok, settleTenant, startHarness, statusOf, waitForDocument } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

/** Project routes take the project's slug wherever they take its id, within the caller's tenant only. */
describe.skipIf(!pg || natsMissing)('projects addressed by slug over HTTP', () => {
  let h: Harness;
  let admin = '';
  let other = '';
  let member = { id: '', key: '' };
  const sfx = randomUUID().slice(0, 6);
  const slug = `leaks-${sfx}`;
  const renamed = `offshore-${sfx}`;
  let projectId = '';
  let tenantId = '';
  const word = `zq${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const api = (token: string) => h.client(token);

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl });
    const tenant = await ok(api(OPERATOR).POST('/tenants', { body: { name: 'Newsroom', slug: `slugs-${sfx}` } }));
    admin = tenant.admin_api_key;
    tenantId = tenant.tenant.id;
    other = (await ok(api(OPERATOR).POST('/tenants', { body: { name: 'Other', slug: `slugs-other-${sfx}` } }))).admin_api_key;
    const user = await ok(api(admin).POST('/users', { body: { email: 'viewer@news.example', name: 'Viewer' } }));
    member = { id: user.id, key: (await ok(api(admin).POST('/api-keys', { body: { name: 'viewer', user_id: user.id } }))).secret };
    const project = await ok(api(admin).POST('/projects', { body: { name: 'Leaks', slug } }));
    expect(project.slug).toBe(slug);
    projectId = project.id;
    // a member added through the slug
    await ok(
      api(admin).PUT('/projects/{id}/members/{user_id}', { params: { path: { id: slug, user_id: member.id } }, body: { role: 'viewer' } }),
    );
    const doc = await ok(
      api(admin).POST('/projects/{id}/documents', {
        params: { path: { id: slug } },
        body: { title: 'Memo', content: `Memo ${word}: Acme Holdings paid Maria Gonzalez.` },
      }),
    );
    expect(doc.project_ids).toEqual([projectId]);
    // the reads compared below must not straddle what follows the processing: the embedding
    // (appended after it), and every read model applying both (entities, text, vectors, stats)
    await waitForDocument(h, doc.id, admin, (d) => d.status === 'processed' && d.embeddings.length > 0);
    await settleTenant(h, tenantId, admin);
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** The same call by id and by `ref`, answering alike. */
  const sameByRef = async (ref: string, token = admin) => {
    const c = api(token);
    const reads = async (id: string) => ({
      project: await ok(c.GET('/projects/{id}', { params: { path: { id } } })),
      documents: await ok(c.GET('/projects/{id}/documents', { params: { path: { id } } })),
      members: await ok(c.GET('/projects/{id}/members', { params: { path: { id } } })),
      member: await ok(c.GET('/projects/{id}/members/{user_id}', { params: { path: { id, user_id: member.id } } })),
      entities: await ok(c.GET('/projects/{id}/entities', { params: { path: { id } } })),
      conversations: await ok(c.GET('/projects/{id}/chat/conversations', { params: { path: { id } } })),
      hits: (await ok(c.POST('/projects/{id}/search', { params: { path: { id } }, body: { query: word, mode: 'keyword' } }))).hits.map(
        (x) => x.document_id,
      ),
    });
    const byId = await reads(projectId);
    const bySlug = await reads(ref);
    expect(bySlug).toEqual(byId);
    expect(byId.project.id).toBe(projectId);
    expect(byId.documents.documents).toHaveLength(1);
    expect(byId.hits).toHaveLength(1);
    return bySlug;
  };

  it('answers the project routes by slug exactly as by id, for an admin and a member', async () => {
    await sameByRef(slug);
    await sameByRef(slug, member.key);
    // writes by slug: settings, a conversation, switching into it
    const patched = await ok(
      api(admin).PATCH('/projects/{id}', { params: { path: { id: slug } }, body: { settings: { embedding_note: 'kept' } } }),
    );
    expect(patched).toMatchObject({ id: projectId, settings: { embedding_note: 'kept' } });
    const conv = await ok(
      api(member.key).POST('/projects/{id}/chat/conversations', { params: { path: { id: slug } }, body: { title: 'Who paid?' } }),
    );
    expect(conv.project_id).toBe(projectId);
    const switched = await ok(api(member.key).POST('/me/switch-project', { body: { project_id: slug } }));
    expect(switched.project.id).toBe(projectId);
    const filtered = await ok(api(admin).GET('/documents', { params: { query: { project_id: slug } } }));
    expect(filtered.documents.map((d) => d.project_ids)).toEqual([[projectId]]);
  });

  it('keeps resolving the old slug after a rename; no other project may take it, the project itself may', async () => {
    const project = await ok(
      api(admin).PATCH('/projects/{id}', { params: { path: { id: slug } }, body: { name: 'Offshore', slug: renamed } }),
    );
    expect(project).toMatchObject({ id: projectId, slug: renamed, name: 'Offshore' });
    await sameByRef(slug);
    await sameByRef(renamed);
    // the old slug stays the project's: another project cannot take it, at create or rename
    const taken = await api(admin).POST('/projects', { body: { name: 'Copycat', slug } });
    expect(taken.response.status).toBe(409);
    const copycat = await ok(api(admin).POST('/projects', { body: { name: 'Copycat' } }));
    expect(await statusOf(api(admin).PATCH('/projects/{id}', { params: { path: { id: copycat.id } }, body: { slug } }))).toBe(409);
    // a name that derives a held slug gets another one
    const derived = await ok(api(admin).POST('/projects', { body: { name: `Leaks ${sfx}` } }));
    expect(derived.slug).toBe(`${slug}-2`);
    // the project itself takes its old slug back; the one it leaves keeps working too
    await ok(api(admin).PATCH('/projects/{id}', { params: { path: { id: renamed } }, body: { slug } }));
    expect((await ok(api(admin).GET('/projects/{id}', { params: { path: { id: renamed } } }))).slug).toBe(slug);
  });

  it("answers another tenant's slug 404, exactly like an unknown one", async () => {
    const theirs = await ok(api(other).POST('/projects', { body: { name: 'Theirs', slug: `theirs-${sfx}` } }));
    const unknown = await api(admin).GET('/projects/{id}', { params: { path: { id: `nowhere-${sfx}` } } });
    expect(unknown.response.status).toBe(404);
    for (const [token, id] of [
      [admin, theirs.slug],
      [other, slug],
      [other, renamed],
    ] as const) {
      const res = await api(token).GET('/projects/{id}', { params: { path: { id } } });
      expect(res.response.status, id).toBe(404);
      expect(res.response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((res.error as { type: string }).type).toBe((unknown.error as { type: string }).type);
      expect(await statusOf(api(token).GET('/projects/{id}/documents', { params: { path: { id } } })), id).toBe(404);
      expect(await statusOf(api(token).POST('/projects/{id}/search', { params: { path: { id } }, body: { query: word } })), id).toBe(404);
    }
    // and its owner still reaches it
    expect((await ok(api(other).GET('/projects/{id}', { params: { path: { id: theirs.slug } } }))).id).toBe(theirs.id);
  });

  it('refuses a slug shaped like a UUID at create and rename (400 naming the field, nothing created)', async () => {
    const before = (await ok(api(admin).GET('/projects'))).projects.length;
    for (const bad of [randomUUID(), '00000000-0000-0000-0000-000000000000', '0193a1f2-5b7c-0d3e-0f00-1a2b3c4d5e6f']) {
      const created = await h.call('POST', '/projects', { token: admin, body: { name: 'Looks like an id', slug: bad } });
      expect(created.status, bad).toBe(400);
      expect(created.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(created.body.issues.map((i: { path: string }) => i.path)).toEqual(['slug']);
      const renaming = await h.call('PATCH', `/projects/${projectId}`, { token: admin, body: { slug: bad } });
      expect(renaming.status, bad).toBe(400);
      expect(renaming.body.issues.map((i: { path: string }) => i.path)).toEqual(['slug']);
    }
    // a project named like a UUID gets a slug that is not one
    const named = await ok(api(admin).POST('/projects', { body: { name: randomUUID() } }));
    expect(named.slug).toMatch(/^project-/);
    expect(await statusOf(api(admin).GET('/projects/{id}', { params: { path: { id: named.slug } } }))).toBe(200);
    expect((await ok(api(admin).GET('/projects'))).projects.length).toBe(before + 1);
  });

  it("answers a deleted project's slugs 404, as its id, and gives them out again", async () => {
    const gone = await ok(api(admin).POST('/projects', { body: { name: 'Gone', slug: `gone-${sfx}` } }));
    await ok(api(admin).PATCH('/projects/{id}', { params: { path: { id: gone.slug } }, body: { slug: `gone-now-${sfx}` } }));
    expect(await statusOf(api(admin).DELETE('/projects/{id}', { params: { path: { id: `gone-${sfx}` } } }))).toBe(204);
    for (const id of [gone.id, `gone-${sfx}`, `gone-now-${sfx}`]) {
      expect(await statusOf(api(admin).GET('/projects/{id}', { params: { path: { id } } })), id).toBe(404);
      expect(await statusOf(api(admin).GET('/projects/{id}/documents', { params: { path: { id } } })), id).toBe(404);
    }
    const again = await ok(api(admin).POST('/projects', { body: { name: 'Again', slug: `gone-${sfx}` } }));
    expect((await ok(api(admin).GET('/projects/{id}', { params: { path: { id: `gone-${sfx}` } } }))).id).toBe(again.id);
  });
});

describe.skipIf(!pg || natsMissing)('the default project by slug in single-tenant mode', () => {
  let h: Harness;

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { SINGLE_TENANT_MODE: 'true' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('reaches /projects/default/… without credentials, as by the id', async () => {
    const client = h.client(null);
    const project = await ok(client.GET('/projects/{id}', { params: { path: { id: 'default' } } }));
    expect(project.slug).toBe('default');
    const doc = await ok(
      client.POST('/projects/{id}/documents', {
        params: { path: { id: 'default' } },
        body: { title: 'Note', content: 'Single-tenant note about Acme Holdings.' },
      }),
    );
    expect(doc.project_ids).toEqual([project.id]);
    // processed and embedded (the embedding is appended after), so that both reads see the document in the same state
    await waitForDocument(h, doc.id, null, (d) => d.status === 'processed' && d.embeddings.length > 0);
    const byId = await ok(client.GET('/projects/{id}/documents', { params: { path: { id: project.id } } }));
    const bySlug = await ok(client.GET('/projects/{id}/documents', { params: { path: { id: 'default' } } }));
    expect(bySlug).toEqual(byId);
    expect(bySlug.documents.map((d) => d.id)).toEqual([doc.id]);
    expect(await ok(client.GET('/projects/{id}/members', { params: { path: { id: 'default' } } }))).toEqual(
      await ok(client.GET('/projects/{id}/members', { params: { path: { id: project.id } } })),
    );
  });
});
