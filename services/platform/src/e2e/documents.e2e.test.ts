import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPdf } from '@mandant/ingestion/testing/pdf-builder.ts';
import { buildDocx } from '@mandant/ingestion/testing/zip-builder.ts';
import { findNatsServer } from '@mandant/shared/runtime/nats-server.ts';
import { backendMissing, postgresUrls } from '@mandant/shared/testing/backends.ts';
import { type Harness, OPERATOR, startHarness, waitForDocument } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

const LIMIT = 200_000;

/** Reads server-sent `status` events until the stream ends. */
async function statusStream(url: string, token: string): Promise<{ status: number; events: { status: string }[] }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
  if (res.status !== 200 || !res.body) return { status: res.status, events: [] };
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await new Response(res.body).text();
  const events = text.split('\n\n').filter((b) => b.startsWith('event: status')).map((b) => JSON.parse(b.split('\ndata: ')[1] ?? '{}'));
  return { status: res.status, events };
}

describe.skipIf(!pg || natsMissing)('documents over HTTP', () => {
  let h: Harness;
  let admin = '';
  let other = '';
  let editor = { id: '', key: '' };
  let outsider = { id: '', key: '' };
  const projects = { a: '', b: '', archived: '' };

  const ok = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await h.call(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const upload = async (path: string, token: string, file: Uint8Array, name: string, fields: Record<string, string> = {}) => {
    const form = new FormData();
    form.set('file', new Blob([file]), name);
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    const res = await fetch(`${h.api}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    return { status: res.status, body: (await res.json()) as any, headers: res.headers };
  };
  const waitFor = (id: string, token: string, done: (d: any) => boolean) => waitForDocument(h, id, token, done);
  const head = async (token: string) => (await ok('GET', '/events?after=0&limit=1', token)).head as number;

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { MAX_UPLOAD_BYTES: String(LIMIT) } });
    const suffix = randomUUID().slice(0, 6);
    const t = await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Newsroom', slug: `news-${suffix}` } });
    admin = t.body.admin_api_key;
    other = (await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Other', slug: `other-${suffix}` } })).body.admin_api_key;
    const user = async (name: string) => {
      const u = await ok('POST', '/users', admin, { email: `${name}@news.example`, name });
      return { id: u.id as string, key: (await ok('POST', '/api-keys', admin, { name, user_id: u.id })).secret as string };
    };
    editor = await user('editor');
    outsider = await user('outsider');
    projects.a = (await ok('POST', '/projects', admin, { name: 'Offshore leaks' })).id;
    projects.b = (await ok('POST', '/projects', admin, { name: 'Procurement' })).id;
    projects.archived = (await ok('POST', '/projects', admin, { name: 'Closed case' })).id;
    await ok('PUT', `/projects/${projects.a}/members/${editor.id}`, admin, { role: 'editor' });
    await ok('PUT', `/projects/${projects.b}/members/${editor.id}`, admin, { role: 'editor' });
    await ok('POST', `/projects/${projects.archived}/archive`, admin);
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('uploads a PDF and a DOCX into project A, links one to B, streams the status to processed, unlinks and deletes', async () => {
    const pdf = buildPdf({ pages: [['Offshore accounts of Maria Gonzalez at Acme Holdings in Panama.'], ['Second page mentions Acme Holdings again.']] });
    const docx = buildDocx(['Procurement notes: John Smith met Maria Gonzalez in Berlin.', 'Contact john.smith@example.org for the tender.']);
    const p = await upload(`/projects/${projects.a}/documents`, editor.key, pdf, 'leak.bin', { title: 'The leak' });
    expect(p.status).toBe(202);
    expect(p.body).toMatchObject({ status: 'pending', duplicate: false, project_ids: [projects.a] });
    expect(p.headers.get('location')).toBe(`/api/v1/documents/${p.body.id}`);
    const d = await upload(`/projects/${projects.a}/documents`, editor.key, docx, 'notes.pdf');
    expect(d.status).toBe(202);

    const stream = await statusStream(`${h.api}/documents/${p.body.id}/status`, editor.key);
    expect(stream.status).toBe(200);
    expect(stream.events.at(-1)?.status).toBe('processed');
    const pdfDoc = await waitFor(p.body.id, editor.key, (x) => x.status === 'processed');
    expect(pdfDoc).toMatchObject({ kind: 'pdf', title: 'The leak', project_ids: [projects.a], pages: 2 });
    expect(pdfDoc.chunk_count).toBeGreaterThan(0);
    expect(pdfDoc.entity_count).toBeGreaterThan(0);
    // the type comes from the bytes, not from the name
    const docxDoc = await waitFor(d.body.id, editor.key, (x) => x.status === 'processed');
    expect(docxDoc.kind).toBe('docx');

    await ok('POST', `/projects/${projects.b}/documents/link`, editor.key, { document_ids: [d.body.id] });
    expect((await ok('GET', `/documents/${d.body.id}/projects`, editor.key)).projects.map((x: any) => x.id).sort()).toEqual([projects.a, projects.b].sort());
    expect((await ok('GET', `/projects/${projects.b}/documents`, editor.key)).documents.map((x: any) => x.id)).toEqual([d.body.id]);
    expect((await ok('GET', `/projects/${projects.a}`, editor.key)).stats.documents).toBe(2);

    const unlinked = await h.call('DELETE', `/projects/${projects.a}/documents/${d.body.id}/unlink`, { token: editor.key });
    expect(unlinked.status).toBe(204);
    expect((await ok('GET', `/documents/${d.body.id}`, editor.key)).project_ids).toEqual([projects.b]);
    expect((await ok('GET', `/projects/${projects.a}/documents`, editor.key)).documents.map((x: any) => x.id)).toEqual([p.body.id]);

    expect((await h.call('DELETE', `/documents/${d.body.id}`, { token: editor.key })).status).toBe(204);
    expect((await h.call('GET', `/documents/${d.body.id}`, { token: editor.key })).status).toBe(404);
    expect((await ok('GET', `/projects/${projects.b}/documents`, editor.key)).documents).toEqual([]);
  }, 60_000);

  it('keeps every store in step: a link shows in vectors, text and graph; delete leaves nothing in any store or bucket', async () => {
    const tenantId = (await ok('GET', '/tenant', admin)).id as string;
    const { stores, storeProjectors } = h.platform;
    const settle = async () => {
      const position = await head(admin);
      await Promise.all(storeProjectors.map((p) => p.waitFor(tenantId, position)));
    };
    const text = `Store check ${randomUUID()}: Acme Holdings wired funds to Maria Gonzalez in Panama.`;
    const up = await h.call('POST', `/projects/${projects.a}/documents`, { token: editor.key, body: { title: 'Wire memo', content: text } });
    const id = up.body.id as string;
    const doc = await waitFor(id, editor.key, (x) => x.status === 'processed' && x.embeddings.length > 0);
    await ok('POST', `/projects/${projects.b}/documents/link`, editor.key, { document_ids: [id] });
    await settle();
    const model = { id: doc.embeddings[0].model, dimension: doc.embeddings[0].dimension };
    expect(await stores.vectors.count(tenantId, model, { documentId: id, projectIds: [projects.b] })).toBe(doc.chunk_count);
    const hits = await stores.text.search(tenantId, 'Acme wired funds', { projectIds: [projects.b], limit: 10 });
    expect(hits.map((x) => x.document_id)).toContain(id);
    expect((await stores.graph.snapshot(tenantId)).links).toContainEqual({ document_id: id, project_id: projects.b });
    expect((await stores.blobs.list(tenantId, `raw/${id}/`)).length).toBe(1);

    await h.call('DELETE', `/projects/${projects.b}/documents/${id}/unlink`, { token: editor.key });
    await settle();
    expect(await stores.vectors.count(tenantId, model, { documentId: id, projectIds: [projects.b] })).toBe(0);
    expect((await stores.text.search(tenantId, 'Acme wired funds', { projectIds: [projects.b], limit: 10 })).map((x) => x.document_id)).not.toContain(id);

    expect((await h.call('DELETE', `/documents/${id}`, { token: editor.key })).status).toBe(204);
    await settle();
    expect(await stores.vectors.count(tenantId, model, { documentId: id })).toBe(0);
    expect((await stores.text.search(tenantId, 'Acme wired funds', { limit: 10 })).map((x) => x.document_id)).not.toContain(id);
    expect((await stores.graph.snapshot(tenantId)).documents.map((d) => d.id)).not.toContain(id);
    expect(await stores.blobs.list(tenantId, `raw/${id}/`)).toEqual([]);
    expect(await stores.blobs.list(tenantId, `processed/${id}/`)).toEqual([]);
  }, 60_000);

  it('treats the same bytes uploaded again in the tenant as the same document, linked and not extracted again', async () => {
    const text = `Dedupe check ${randomUUID()}: Acme Holdings paid Maria Gonzalez.`;
    const first = await h.call('POST', `/projects/${projects.a}/documents`, { token: editor.key, body: { title: 'Memo', content: text } });
    expect(first.status).toBe(202);
    await waitFor(first.body.id, editor.key, (x) => x.status === 'processed');
    const again = await upload(`/projects/${projects.b}/documents`, editor.key, new TextEncoder().encode(text), 'memo.txt');
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: first.body.id, duplicate: true });
    expect((await ok('GET', `/documents/${first.body.id}`, editor.key)).project_ids.sort()).toEqual([projects.a, projects.b].sort());
    const events = (await ok('GET', `/events?after=0&limit=1000`, admin)).events.filter((e: any) => e.stream === `document-${first.body.id}`);
    expect(events.filter((e: any) => e.type === 'document.processed.v1')).toHaveLength(1);
    // another tenant uploading the same bytes gets a document of its own
    const foreign = await h.call('POST', '/documents', { token: other, body: { content: text } });
    expect(foreign.status).toBe(202);
    expect(foreign.body.id).not.toBe(first.body.id);
    expect(foreign.body.duplicate).toBe(false);
  }, 60_000);

  it('marks an unsupported or corrupt file failed with a reason', async () => {
    const binary = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0, 0, 0xff, 0xfe, 0, 0, 0, 0]);
    const bad = await upload(`/projects/${projects.a}/documents`, editor.key, binary, 'report.pdf');
    expect(bad.status).toBe(202);
    const failed = await waitFor(bad.body.id, editor.key, (x) => x.status === 'failed');
    expect(failed.failure.code).toMatch(/unsupported/);
    const corrupt = await upload(`/projects/${projects.a}/documents`, editor.key, new TextEncoder().encode('%PDF-1.7\nthis is not really a pdf'), 'x.pdf');
    const broken = await waitFor(corrupt.body.id, editor.key, (x) => x.status === 'failed');
    expect(broken.failure.message.length).toBeGreaterThan(0);
    const stream = await statusStream(`${h.api}/documents/${corrupt.body.id}/status`, editor.key);
    expect(stream.events.at(-1)?.status).toBe('failed');
  }, 60_000);

  it('refuses bad uploads with problem+json and changes nothing', async () => {
    const before = await head(admin);
    const big = await upload(`/projects/${projects.a}/documents`, editor.key, new Uint8Array(LIMIT + 1).fill(65), 'big.txt');
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const noFile = await h.call('POST', '/documents', { token: editor.key, body: { title: 'no content' } });
    expect(noFile.status).toBe(400);
    expect(noFile.body.detail).toMatch(/content/);
    const plain = await h.call('POST', '/documents', { token: editor.key, body: 'just text', headers: { 'content-type': 'text/plain' } });
    expect(plain.status).toBe(415);
    const unknownField = await h.call('POST', '/documents', { token: editor.key, body: { content: 'x', author: 'me' } });
    expect(unknownField.status).toBe(400);
    const archived = await h.call('POST', `/projects/${projects.archived}/documents`, { token: admin, body: { content: 'archived?' } });
    expect(archived.status).toBe(409);
    const hidden = await h.call('POST', `/projects/${projects.a}/documents`, { token: outsider.key, body: { content: 'not a member' } });
    expect(hidden.status).toBe(404);
    expect(await head(admin)).toBe(before);
  });

  it('keeps documents inside their tenant and project: others get 404, linking across tenants finds nothing', async () => {
    const mine = await h.call('POST', `/projects/${projects.a}/documents`, { token: editor.key, body: { content: `private ${randomUUID()}` } });
    const id = mine.body.id as string;
    expect((await h.call('GET', `/documents/${id}`, { token: other })).status).toBe(404);
    expect((await h.call('GET', `/documents/${id}`, { token: outsider.key })).status).toBe(404);
    expect((await h.call('GET', `/documents/${id}/status`, { token: other })).status).toBe(404);
    expect((await ok('GET', '/documents', other)).documents.map((x: any) => x.id)).not.toContain(id);
    expect((await ok('GET', '/documents', outsider.key)).documents).toEqual([]);
    const otherProject = (await ok('POST', '/projects', other, { name: 'Theirs' })).id;
    expect((await h.call('POST', `/projects/${otherProject}/documents/link`, { token: other, body: { document_ids: [id] } })).status).toBe(404);
    expect((await h.call('POST', `/projects/${projects.archived}/documents/link`, { token: admin, body: { document_ids: [id] } })).status).toBe(409);
    // unassigned: visible to its uploader and tenant admins, and in the global view
    const loose = await h.call('POST', '/documents', { token: editor.key, body: { content: `unassigned ${randomUUID()}` } });
    expect(loose.body.project_ids).toEqual([]);
    expect((await ok('GET', '/documents', editor.key)).documents.map((x: any) => x.id)).toContain(loose.body.id);
    expect((await ok('GET', '/documents', admin)).documents.map((x: any) => x.id)).toContain(loose.body.id);
    expect((await h.call('GET', `/documents/${loose.body.id}`, { token: outsider.key })).status).toBe(404);
  });

  it('unlinks every document of a deleted project and keeps the documents', async () => {
    const doomed = (await ok('POST', '/projects', admin, { name: 'Short-lived' })).id;
    const doc = await h.call('POST', `/projects/${doomed}/documents`, { token: admin, body: { content: `kept ${randomUUID()}` } });
    await ok('POST', `/projects/${projects.b}/documents/link`, admin, { document_ids: [doc.body.id] });
    expect((await h.call('DELETE', `/projects/${doomed}`, { token: admin })).status).toBe(204);
    const deadline = Date.now() + 15_000;
    while ((await ok('GET', `/documents/${doc.body.id}`, admin)).project_ids.includes(doomed) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await ok('GET', `/documents/${doc.body.id}`, admin)).project_ids).toEqual([projects.b]);
  });
});
