import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer } from '@mandant/shared/runtime';
import { SETTLE_MS, backendMissing, eventually, postgresUrls } from '@mandant/shared/testing';
import { type Harness, OPERATOR, startHarness, waitForDocument } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const SEED = Number(process.env.FC_SEED ?? 20261202);

type User = { id: string; key: string };
type Call = { label: string; token: string; method: string; path: string; body?: unknown; multipart?: string };

/**
 * An archived project is read-only for content: every content write answers 409
 * `project.archived` and appends nothing; reading, leaving it, administration, unarchive and
 * delete still work.
 */
describe.skipIf(!pg || natsMissing)('an archived project over HTTP', () => {
  let h: Harness;
  let admin = '';
  let tenantId = '';
  const u = {} as Record<'padmin' | 'editor' | 'viewer' | 'newbie', User>;
  const projects = { p: '', q: '' };
  const docs = { d1: '', d2: '', d3: '' };
  const conv = { c: '', g: '' };
  const word = `zq${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const d2Content = `Quarry ${randomUUID()}: the Zephyr tender papers.`;

  const call = async (c: Omit<Call, 'label'>) => {
    if (c.multipart === undefined) return h.call(c.method, c.path, { token: c.token, body: c.body });
    const form = new FormData();
    form.set('file', new Blob([new TextEncoder().encode(c.multipart)]), 'note.txt');
    const res = await fetch(`${h.api}${c.path}`, { method: c.method, headers: { authorization: `Bearer ${c.token}` }, body: form });
    return { status: res.status, body: (await res.json()) as any, headers: res.headers };
  };
  const ok = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await h.call(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const head = async () => (await ok('GET', '/events?after=0&limit=1', admin)).head as number;
  // with its embedding, which ingestion appends after the document is processed: until then the
  // head may still move without any request
  const processed = (id: string) => waitForDocument(h, id, admin, (d) => d.status === 'processed' && d.embeddings.length > 0);
  const settle = async () => {
    const position = await head();
    await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(tenantId, position, SETTLE_MS)));
  };
  /**
   * A refused content write: 409 project.archived, and nothing appended for it. The ingestion of
   * documents uploaded earlier may still append its results meanwhile: those are not the request's.
   */
  const refused = async (c: Call) => {
    const before = await head();
    const res = await call(c);
    expect(res.status, `${c.label}: ${JSON.stringify(res.body)}`).toBe(409);
    expect(res.headers.get('content-type'), c.label).toMatch(/application\/problem\+json/);
    expect(res.body.type, c.label).toMatch(/project-archived$/);
    const since = (await ok('GET', `/events?after=${before}&limit=1000`, admin)).events as { type: string; actor: string }[];
    expect(
      since.filter((e) => e.actor !== 'service:ingestion').map((e) => e.type),
      `${c.label} appended`,
    ).toEqual([]);
  };

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl });
    const t = await h.call('POST', '/tenants', {
      token: OPERATOR,
      body: { name: 'Newsroom', slug: `archive-${randomUUID().slice(0, 6)}` },
    });
    admin = t.body.admin_api_key;
    tenantId = t.body.tenant.id;
    for (const name of ['padmin', 'editor', 'viewer', 'newbie'] as const) {
      const user = await ok('POST', '/users', admin, { email: `${name}@news.example`, name });
      u[name] = { id: user.id, key: (await ok('POST', '/api-keys', admin, { name, user_id: user.id })).secret };
    }
    projects.p = (await ok('POST', '/projects', admin, { name: 'Closed case' })).id;
    projects.q = (await ok('POST', '/projects', admin, { name: 'Open case' })).id;
    await ok('PUT', `/projects/${projects.p}/members/${u.padmin.id}`, admin, { role: 'admin' });
    await ok('PUT', `/projects/${projects.p}/members/${u.editor.id}`, admin, { role: 'editor' });
    await ok('PUT', `/projects/${projects.p}/members/${u.viewer.id}`, admin, { role: 'viewer' });
    await ok('PUT', `/projects/${projects.q}/members/${u.editor.id}`, admin, { role: 'editor' });
    docs.d1 = (
      await ok('POST', `/projects/${projects.p}/documents`, u.editor.key, {
        title: 'Ledger',
        content: `Ledger ${word}: Acme Holdings paid Mayor Quill.`,
      })
    ).id;
    docs.d2 = (await ok('POST', `/projects/${projects.q}/documents`, u.editor.key, { title: 'Tender', content: d2Content })).id;
    docs.d3 = (
      await ok('POST', `/projects/${projects.p}/documents`, u.editor.key, { title: 'Both', content: `Both ${randomUUID()}: in two cases.` })
    ).id;
    await ok('POST', `/projects/${projects.q}/documents/link`, u.editor.key, { document_ids: [docs.d3] });
    for (const id of Object.values(docs)) await processed(id);
    conv.c = (await ok('POST', `/projects/${projects.p}/chat/conversations`, u.editor.key, { title: 'Who paid?' })).id;
    conv.g = (await ok('POST', '/chat/conversations', u.editor.key, { title: 'Everything' })).id;
    await ok('PUT', `/projects/${projects.p}/members/${u.editor.id}/profile`, u.editor.key, { display_name: 'Ed' });
    await ok('POST', '/me/switch-project', u.editor.key, { project_id: projects.p });
    await settle();
    await ok('POST', `/projects/${projects.p}/archive`, u.padmin.key);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('refuses every content write with 409 project.archived and appends nothing', async () => {
    const { p, q } = projects;
    const raw = (await h.platform.stores.blobs.list(tenantId, 'raw/')).length;
    const writes: Call[] = [
      {
        label: 'upload (JSON)',
        token: u.editor.key,
        method: 'POST',
        path: `/projects/${p}/documents`,
        body: { content: `new ${randomUUID()}` },
      },
      {
        label: 'upload of bytes already in Q (would link)',
        token: u.editor.key,
        method: 'POST',
        path: `/projects/${p}/documents`,
        body: { content: d2Content },
      },
      {
        label: 'upload (multipart) by a tenant admin',
        token: admin,
        method: 'POST',
        path: `/projects/${p}/documents`,
        multipart: `file ${randomUUID()}`,
      },
      { label: 'link', token: u.editor.key, method: 'POST', path: `/projects/${p}/documents/link`, body: { document_ids: [docs.d2] } },
      { label: 'unlink', token: u.editor.key, method: 'DELETE', path: `/projects/${p}/documents/${docs.d3}/unlink` },
      { label: 'delete a document linked there', token: u.editor.key, method: 'DELETE', path: `/documents/${docs.d1}` },
      {
        label: 'delete a document linked there and elsewhere, as tenant admin',
        token: admin,
        method: 'DELETE',
        path: `/documents/${docs.d3}`,
      },
      {
        label: 'new conversation',
        token: u.editor.key,
        method: 'POST',
        path: `/projects/${p}/chat/conversations`,
        body: { title: 'later' },
      },
      { label: 'new conversation by a viewer', token: u.viewer.key, method: 'POST', path: `/projects/${p}/chat/conversations`, body: {} },
      {
        label: 'message',
        token: u.editor.key,
        method: 'POST',
        path: `/chat/conversations/${conv.c}/messages`,
        body: { content: 'Who paid Mayor Quill?' },
      },
      {
        label: 'message widened to global',
        token: u.editor.key,
        method: 'POST',
        path: `/chat/conversations/${conv.c}/messages`,
        body: { content: 'Who paid?', scope: 'global' },
      },
      {
        label: 'own profile',
        token: u.editor.key,
        method: 'PUT',
        path: `/projects/${p}/members/${u.editor.id}/profile`,
        body: { display_name: 'Edward' },
      },
      {
        label: "a member's profile by the project admin",
        token: u.padmin.key,
        method: 'PUT',
        path: `/projects/${p}/members/${u.viewer.id}/profile`,
        body: { preferences: { tab: 'x' } },
      },
      { label: 'rename', token: u.padmin.key, method: 'PATCH', path: `/projects/${p}`, body: { name: 'Renamed' } },
      {
        label: 'settings',
        token: admin,
        method: 'PATCH',
        path: `/projects/${p}`,
        body: { settings: { embedding_model: 'local-hashing-v1-384' } },
      },
    ];
    // two entities its documents mention: merging them would change what the archived project shows
    const [e1, e2] = ((await ok('GET', `/projects/${p}/entities?limit=50`, admin)).entities as { id: string }[]).map((e) => e.id);
    expect(e1 && e2, 'two entities in the archived project').toBeTruthy();
    writes.push({
      label: 'merge two of its entities, as tenant admin',
      token: admin,
      method: 'POST',
      path: `/entities/${e1}/merge`,
      body: { into: e2 },
    });
    const before = await head();
    for (const w of writes) await refused(w);
    // quiet tenant (every upload processed and embedded): the head itself did not move
    expect(await head()).toBe(before);
    expect((await h.platform.stores.blobs.list(tenantId, 'raw/')).length).toBe(raw);
    // nothing changed: the documents are where they were
    expect((await ok('GET', `/documents/${docs.d3}`, admin)).project_ids.sort()).toEqual([p, q].sort());
    expect((await ok('GET', `/documents/${docs.d2}`, admin)).project_ids).toEqual([q]);
    expect((await ok('GET', `/projects/${p}/members/${u.editor.id}/profile`, u.editor.key)).display_name).toBe('Ed');
  });

  it('still allows reading, searching, global chat over it, leaving it with saved state, and administration', async () => {
    const { p, q } = projects;
    expect((await ok('GET', `/projects/${p}`, u.viewer.key)).status).toBe('archived');
    expect((await ok('GET', `/projects/${p}/documents`, u.viewer.key)).documents.map((d: { id: string }) => d.id).sort()).toEqual(
      [docs.d1, docs.d3].sort(),
    );
    expect((await ok('GET', `/documents/${docs.d1}`, u.viewer.key)).title).toBe('Ledger');
    expect((await ok('GET', `/chat/conversations/${conv.c}`, u.viewer.key)).id).toBe(conv.c);
    const hits = (await ok('POST', `/projects/${p}/search`, u.viewer.key, { query: word, mode: 'keyword' })).hits as {
      document_id: string;
    }[];
    expect(hits.map((x) => x.document_id)).toContain(docs.d1);
    // a global conversation's global message retrieves from the archived project: reading
    const answer = await h.call('POST', `/chat/conversations/${conv.g}/messages`, {
      token: u.editor.key,
      body: { content: `What does the ledger ${word} say?`, scope: 'global' },
    });
    expect(answer.status).toBe(201);
    expect((answer.body.citations as { document_id: string }[]).map((c) => c.document_id)).toContain(docs.d1);

    // leaving it saves the state of the project left; coming back restores it
    await ok('POST', '/me/switch-project', u.editor.key, { project_id: q, save_state: { tab: 'graph', open_document: docs.d1 } });
    const back = await ok('POST', '/me/switch-project', u.editor.key, { project_id: p });
    expect(back).toMatchObject({ project: { id: p, status: 'archived' }, state: { tab: 'graph', open_document: docs.d1 } });

    // administration is not content: members are added, re-roled and removed
    expect((await ok('PUT', `/projects/${p}/members/${u.newbie.id}`, u.padmin.key, { role: 'viewer' })).role).toBe('viewer');
    expect((await ok('PUT', `/projects/${p}/members/${u.newbie.id}`, u.padmin.key, { role: 'editor' })).role).toBe('editor');
    expect((await h.call('DELETE', `/projects/${p}/members/${u.newbie.id}`, { token: u.padmin.key })).status).toBe(204);
    // the other project of a shared document is not frozen with it
    expect((await h.call('DELETE', `/projects/${q}/documents/${docs.d3}/unlink`, { token: u.editor.key })).status).toBe(204);
    await ok('POST', `/projects/${q}/documents/link`, u.editor.key, { document_ids: [docs.d3] });
    // and an upload outside any project is no write to it, even of bytes it holds
    expect((await h.call('POST', '/documents', { token: u.editor.key, body: { content: `loose ${randomUUID()}` } })).status).toBe(202);
  });

  /**
   * A seeded random sequence of archive, unarchive and content writes: each write succeeds iff
   * the project is not archived at that moment, and a refused one appends nothing.
   */
  it('in a random sequence of archive, unarchive and writes, a write succeeds iff the project is not archived (seeded)', async () => {
    const { p } = projects;
    const words = fc
      .array(fc.constantFrom('acme', 'quill', 'harbour', 'ledger', 'zephyr', 'panama'), { minLength: 1, maxLength: 4 })
      .map((w) => w.join(' '));
    const step = fc.oneof(
      { arbitrary: fc.constantFrom('archive' as const, 'unarchive' as const).map((kind) => ({ kind, text: '' })), weight: 3 },
      {
        arbitrary: fc
          .tuple(
            fc.constantFrom(
              'upload' as const,
              'conversation' as const,
              'message' as const,
              'profile' as const,
              'toggle-link' as const,
              'describe' as const,
            ),
            words,
          )
          .map(([kind, text]) => ({ kind, text })),
        weight: 5,
      },
    );
    const steps = fc.sample(fc.array(step, { minLength: 20, maxLength: 20 }), { seed: SEED, numRuns: 1 })[0] ?? [];
    let archived = true;
    let linked = false;
    for (const [i, s] of steps.entries()) {
      const where = `seed ${SEED}, step ${i}: ${JSON.stringify(s)}`;
      if (s.kind === 'archive' || s.kind === 'unarchive') {
        const res = await ok('POST', `/projects/${p}/${s.kind}`, u.padmin.key);
        archived = s.kind === 'archive';
        expect(res.status, where).toBe(archived ? 'archived' : 'active');
        continue;
      }
      const c: Omit<Call, 'label'> = {
        upload: { token: u.editor.key, method: 'POST', path: `/projects/${p}/documents`, body: { content: `${s.text} ${randomUUID()}` } },
        conversation: { token: u.viewer.key, method: 'POST', path: `/projects/${p}/chat/conversations`, body: { title: s.text } },
        message: { token: u.editor.key, method: 'POST', path: `/chat/conversations/${conv.c}/messages`, body: { content: s.text } },
        profile: {
          token: u.editor.key,
          method: 'PUT',
          path: `/projects/${p}/members/${u.editor.id}/profile`,
          body: { display_name: `${s.text} ${i}` },
        },
        'toggle-link': linked
          ? { token: u.editor.key, method: 'DELETE', path: `/projects/${p}/documents/${docs.d2}/unlink` }
          : { token: u.editor.key, method: 'POST', path: `/projects/${p}/documents/link`, body: { document_ids: [docs.d2] } },
        describe: { token: u.padmin.key, method: 'PATCH', path: `/projects/${p}`, body: { description: `${s.text} ${i}` } },
      }[s.kind];
      if (archived) {
        await refused({ ...c, label: where });
        continue;
      }
      const res = await call(c);
      expect(res.status, `${where}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
      if (s.kind === 'toggle-link') linked = !linked;
    }
    expect((await ok('GET', `/documents/${docs.d2}`, admin)).project_ids.includes(p)).toBe(linked);
  }, 180_000);

  it('racing an archive, every content write lands before the archived event or is refused', async () => {
    const { p } = projects;
    const from = await head();
    await ok('POST', `/projects/${p}/unarchive`, u.padmin.key);
    const writes = Array.from({ length: 12 }, (_, i) =>
      i % 2 === 0
        ? h.call('POST', `/projects/${p}/chat/conversations`, { token: u.editor.key, body: { title: `race ${i}` } })
        : h.call('PUT', `/projects/${p}/members/${u.editor.id}/profile`, { token: u.editor.key, body: { display_name: `race ${i}` } }),
    );
    const [archive, ...answers] = await Promise.all([h.call('POST', `/projects/${p}/archive`, { token: u.padmin.key }), ...writes]);
    expect(archive.status).toBe(200);
    for (const a of answers) expect([200, 201, 409], JSON.stringify(a.body)).toContain(a.status);
    const events = (await ok('GET', `/events?after=${from}&limit=1000`, admin)).events as {
      type: string;
      tenant_seq: number;
      project_id: string | null;
    }[];
    const archivedAt = events.find((e) => e.type === 'project.archived.v1' && e.project_id === p)?.tenant_seq ?? 0;
    expect(archivedAt).toBeGreaterThan(0);
    const content = events.filter((e) => e.project_id === p && ['conversation.started.v1', 'member.profile_updated.v2'].includes(e.type));
    expect(content.filter((e) => e.tenant_seq > archivedAt)).toEqual([]);
    expect(content.length).toBe(answers.filter((a) => a.status < 300).length);
  });

  it('can be unarchived, written to, archived again and deleted; deleting unlinks and keeps its documents', async () => {
    const { p } = projects;
    await ok('POST', `/projects/${p}/unarchive`, u.padmin.key);
    expect((await h.call('POST', `/projects/${p}/chat/conversations`, { token: u.editor.key, body: {} })).status).toBe(201);
    await ok('POST', `/projects/${p}/archive`, u.padmin.key);
    expect((await h.call('DELETE', `/projects/${p}`, { token: u.padmin.key })).status).toBe(204);
    expect((await h.call('GET', `/projects/${p}`, { token: admin })).status).toBe(404);
    await eventually(
      async () => (await ok('GET', `/documents/${docs.d1}`, admin)).project_ids.length === 0,
      'the deleted project to be unlinked from its documents',
    );
    // with the project gone, its documents are writable again: the uploader deletes the loose one
    expect((await h.call('DELETE', `/documents/${docs.d1}`, { token: u.editor.key })).status).toBe(204);
  });
});
