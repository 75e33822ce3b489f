import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPdf } from '@mandant/ingestion/testing';
import { buildDocx } from '@mandant/ingestion/testing';
import { findNatsServer } from '@mandant/shared/runtime';
import { SETTLE_MS, backendMissing, eventually, postgresUrls } from '@mandant/shared/testing';
import { type MandantClient, type Schema, toFormData } from '@mandant/client';
import { type Harness, OPERATOR, ok, startHarness, statusOf, waitForDocument } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

const LIMIT = 200_000;

/** Reads server-sent `status` events through the typed client until the stream ends. */
async function statusStream(client: MandantClient, id: string): Promise<{ status: number; events: { status: string }[] }> {
  const res = await client.GET('/documents/{id}/status', {
    params: { path: { id } },
    headers: { accept: 'text/event-stream' },
    parseAs: 'text',
  });
  if (res.response.status !== 200 || res.data === undefined) return { status: res.response.status, events: [] };
  expect(res.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: { status: string }[] = res.data
    .split('\n\n')
    .filter((b) => b.startsWith('event: status'))
    .map((b) => JSON.parse(b.split('\ndata: ')[1] ?? '{}'));
  return { status: res.response.status, events };
}

describe.skipIf(!pg || natsMissing)('documents over HTTP', () => {
  let h: Harness;
  let admin = '';
  let other = '';
  let editor = { id: '', key: '' };
  let outsider = { id: '', key: '' };
  const projects = { a: '', b: '', archived: '' };
  const api = (token: string) => h.client(token);

  /** A multipart upload through the typed client; the file's name is sent, its type never taken from it. */
  const upload = (id: string | null, token: string, bytes: Uint8Array, name: string, fields: { title?: string } = {}) => {
    const body = { file: new File([bytes], name), ...fields };
    return id === null
      ? api(token).POST('/documents', { body, bodySerializer: toFormData })
      : api(token).POST('/projects/{id}/documents', { params: { path: { id } }, body, bodySerializer: toFormData });
  };
  const inline = (id: string, token: string, body: { title?: string; content: string }) =>
    api(token).POST('/projects/{id}/documents', { params: { path: { id } }, body });
  const link = (id: string, token: string, documentIds: string[]) =>
    api(token).POST('/projects/{id}/documents/link', { params: { path: { id } }, body: { document_ids: documentIds } });
  const projectDocuments = async (id: string, token: string) =>
    (await ok(api(token).GET('/projects/{id}/documents', { params: { path: { id } } }))).documents.map((x) => x.id);
  const document = (id: string, token: string) => ok(api(token).GET('/documents/{id}', { params: { path: { id } } }));
  const waitFor = (id: string, token: string, done: (d: Schema<'DocumentView'>) => boolean) => waitForDocument(h, id, token, done);
  const head = async (token: string) => (await ok(api(token).GET('/events', { params: { query: { after: 0, limit: 1 } } }))).head;

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { MAX_UPLOAD_BYTES: String(LIMIT) } });
    const suffix = randomUUID().slice(0, 6);
    const operator = api(OPERATOR);
    admin = (await ok(operator.POST('/tenants', { body: { name: 'Newsroom', slug: `news-${suffix}` } }))).admin_api_key;
    other = (await ok(operator.POST('/tenants', { body: { name: 'Other', slug: `other-${suffix}` } }))).admin_api_key;
    const user = async (name: string) => {
      const u = await ok(api(admin).POST('/users', { body: { email: `${name}@news.example`, name } }));
      return { id: u.id, key: (await ok(api(admin).POST('/api-keys', { body: { name, user_id: u.id } }))).secret };
    };
    editor = await user('editor');
    outsider = await user('outsider');
    const project = async (name: string) => (await ok(api(admin).POST('/projects', { body: { name } }))).id;
    projects.a = await project('Offshore leaks');
    projects.b = await project('Procurement');
    projects.archived = await project('Closed case');
    for (const id of [projects.a, projects.b]) {
      await ok(
        api(admin).PUT('/projects/{id}/members/{user_id}', { params: { path: { id, user_id: editor.id } }, body: { role: 'editor' } }),
      );
    }
    await ok(api(admin).POST('/projects/{id}/archive', { params: { path: { id: projects.archived } } }));
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('uploads a PDF and a DOCX into project A, links one to B, streams the status to processed, unlinks and deletes', async () => {
    const pdf = buildPdf({
      pages: [['Offshore accounts of Maria Gonzalez at Acme Holdings in Panama.'], ['Second page mentions Acme Holdings again.']],
    });
    const docx = buildDocx([
      'Procurement notes: John Smith met Maria Gonzalez in Berlin.',
      'Contact john.smith@example.org for the tender.',
    ]);
    const sent = await upload(projects.a, editor.key, pdf, 'leak.bin', { title: 'The leak' });
    expect(sent.response.status).toBe(202);
    const p = await ok(sent);
    expect(p).toMatchObject({ status: 'pending', duplicate: false, project_ids: [projects.a] });
    expect(sent.response.headers.get('location')).toBe(`/api/v1/documents/${p.id}`);
    const d = await ok(upload(projects.a, editor.key, docx, 'notes.pdf'));

    const stream = await statusStream(api(editor.key), p.id);
    expect(stream.status).toBe(200);
    expect(stream.events.at(-1)?.status).toBe('processed');
    const pdfDoc = await waitFor(p.id, editor.key, (x) => x.status === 'processed');
    expect(pdfDoc).toMatchObject({ kind: 'pdf', title: 'The leak', project_ids: [projects.a], pages: 2 });
    expect(pdfDoc.chunk_count).toBeGreaterThan(0);
    expect(pdfDoc.entity_count).toBeGreaterThan(0);
    // the type comes from the bytes, not from the name
    const docxDoc = await waitFor(d.id, editor.key, (x) => x.status === 'processed');
    expect(docxDoc.kind).toBe('docx');

    await ok(link(projects.b, editor.key, [d.id]));
    const linked = await ok(api(editor.key).GET('/documents/{id}/projects', { params: { path: { id: d.id } } }));
    expect(linked.projects.map((x) => x.id).sort()).toEqual([projects.a, projects.b].sort());
    expect(await projectDocuments(projects.b, editor.key)).toEqual([d.id]);
    expect((await ok(api(editor.key).GET('/projects/{id}', { params: { path: { id: projects.a } } }))).stats.documents).toBe(2);

    const unlinked = await api(editor.key).DELETE('/projects/{id}/documents/{doc_id}/unlink', {
      params: { path: { id: projects.a, doc_id: d.id } },
    });
    expect(unlinked.response.status).toBe(204);
    expect((await document(d.id, editor.key)).project_ids).toEqual([projects.b]);
    expect(await projectDocuments(projects.a, editor.key)).toEqual([p.id]);

    expect(await statusOf(api(editor.key).DELETE('/documents/{id}', { params: { path: { id: d.id } } }))).toBe(204);
    const gone = await api(editor.key).GET('/documents/{id}', { params: { path: { id: d.id } } });
    expect([gone.response.status, gone.error?.type]).toEqual([404, 'https://mandant.dev/problems/not-found']);
    expect(await projectDocuments(projects.b, editor.key)).toEqual([]);
  });

  it('keeps every store in step: a link shows in vectors, text and graph; delete leaves nothing in any store or bucket', async () => {
    const tenantId = (await ok(api(admin).GET('/tenant'))).id;
    const { stores, storeProjectors } = h.platform;
    const settle = async () => {
      const position = await head(admin);
      await Promise.all(storeProjectors.map((p) => p.waitFor(tenantId, position, SETTLE_MS)));
    };
    const text = `Store check ${randomUUID()}: Acme Holdings wired funds to Maria Gonzalez in Panama.`;
    const { id } = await ok(inline(projects.a, editor.key, { title: 'Wire memo', content: text }));
    const doc = await waitFor(id, editor.key, (x) => x.status === 'processed' && x.embeddings.length > 0);
    await ok(link(projects.b, editor.key, [id]));
    await settle();
    const [embedding] = doc.embeddings;
    if (!embedding) throw new Error('processed without an embedding');
    const model = { id: embedding.model, dimension: embedding.dimension };
    expect(await stores.vectors.count(tenantId, model, { documentId: id, projectIds: [projects.b] })).toBe(doc.chunk_count);
    const hits = await stores.text.search(tenantId, 'Acme wired funds', { projectIds: [projects.b], limit: 10 });
    expect(hits.map((x) => x.document_id)).toContain(id);
    expect((await stores.graph.snapshot(tenantId)).links).toContainEqual({ document_id: id, project_id: projects.b });
    expect((await stores.blobs.list(tenantId, `raw/${id}/`)).length).toBe(1);

    expect(
      await statusOf(
        api(editor.key).DELETE('/projects/{id}/documents/{doc_id}/unlink', { params: { path: { id: projects.b, doc_id: id } } }),
      ),
    ).toBe(204);
    await settle();
    expect(await stores.vectors.count(tenantId, model, { documentId: id, projectIds: [projects.b] })).toBe(0);
    expect(
      (await stores.text.search(tenantId, 'Acme wired funds', { projectIds: [projects.b], limit: 10 })).map((x) => x.document_id),
    ).not.toContain(id);

    expect(await statusOf(api(editor.key).DELETE('/documents/{id}', { params: { path: { id } } }))).toBe(204);
    await settle();
    expect(await stores.vectors.count(tenantId, model, { documentId: id })).toBe(0);
    expect((await stores.text.search(tenantId, 'Acme wired funds', { limit: 10 })).map((x) => x.document_id)).not.toContain(id);
    expect((await stores.graph.snapshot(tenantId)).documents.map((d) => d.id)).not.toContain(id);
    expect(await stores.blobs.list(tenantId, `raw/${id}/`)).toEqual([]);
    expect(await stores.blobs.list(tenantId, `processed/${id}/`)).toEqual([]);
  });

  it('treats the same bytes uploaded again in the tenant as the same document, linked and not extracted again', async () => {
    const text = `Dedupe check ${randomUUID()}: Acme Holdings paid Maria Gonzalez.`;
    const first = await inline(projects.a, editor.key, { title: 'Memo', content: text });
    expect(first.response.status).toBe(202);
    const { id } = await ok(first);
    await waitFor(id, editor.key, (x) => x.status === 'processed');
    const again = await upload(projects.b, editor.key, new TextEncoder().encode(text), 'memo.txt');
    expect(again.response.status).toBe(202);
    expect(again.data).toMatchObject({ id, duplicate: true });
    expect((await document(id, editor.key)).project_ids.sort()).toEqual([projects.a, projects.b].sort());
    const { events } = await ok(api(admin).GET('/events', { params: { query: { after: 0, limit: 1000 } } }));
    const processed = events.filter((e) => e.stream === `document-${id}` && e.type === 'document.processed.v1');
    expect(processed).toHaveLength(1);
    // another tenant uploading the same bytes gets a document of its own
    const foreign = await api(other).POST('/documents', { body: { content: text } });
    expect(foreign.response.status).toBe(202);
    const theirs = await ok(foreign);
    expect(theirs.id).not.toBe(id);
    expect(theirs.duplicate).toBe(false);
  });

  it('marks an unsupported or corrupt file failed with a reason', async () => {
    const binary = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0, 0, 0xff, 0xfe, 0, 0, 0, 0]);
    const bad = await ok(upload(projects.a, editor.key, binary, 'report.pdf'));
    const failed = await waitFor(bad.id, editor.key, (x) => x.status === 'failed');
    expect(failed.failure?.code).toMatch(/unsupported/);
    const corrupt = await ok(upload(projects.a, editor.key, new TextEncoder().encode('%PDF-1.7\nthis is not really a pdf'), 'x.pdf'));
    const broken = await waitFor(corrupt.id, editor.key, (x) => x.status === 'failed');
    expect(broken.failure?.message.length).toBeGreaterThan(0);
    const stream = await statusStream(api(editor.key), corrupt.id);
    expect(stream.events.at(-1)?.status).toBe('failed');
  });

  it('refuses bad uploads with problem+json and changes nothing', async () => {
    // ingestion appends to the log after a document is processed (its embedding): the earlier
    // uploads are through with it first, so the head below moves only if a refused upload moved it
    await eventually(async () => {
      const { documents } = await ok(api(admin).GET('/documents'));
      return documents.every((d) => d.status === 'failed' || (d.status === 'processed' && d.embeddings.length > 0));
    }, "the earlier uploads' ingestion finished");
    const before = await head(admin);
    const big = await upload(projects.a, editor.key, new Uint8Array(LIMIT + 1).fill(65), 'big.txt');
    expect(big.response.status).toBe(413);
    expect(big.response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(big.error?.type).toBe('https://mandant.dev/problems/payload-too-large');
    // what the contract forbids, the typed client cannot send: these go raw
    const noFile = await h.call('POST', '/documents', { token: editor.key, body: { title: 'no content' } });
    expect(noFile.status).toBe(400);
    expect(noFile.body.detail).toMatch(/content/);
    const plain = await h.call('POST', '/documents', { token: editor.key, body: 'just text', headers: { 'content-type': 'text/plain' } });
    expect(plain.status).toBe(415);
    const unknownField = await h.call('POST', '/documents', { token: editor.key, body: { content: 'x', author: 'me' } });
    expect(unknownField.status).toBe(400);
    const archived = await inline(projects.archived, admin, { content: 'archived?' });
    expect([archived.response.status, archived.error?.type]).toEqual([409, 'https://mandant.dev/problems/project-archived']);
    expect(await statusOf(inline(projects.a, outsider.key, { content: 'not a member' }))).toBe(404);
    expect(await head(admin)).toBe(before);
  });

  it('keeps documents inside their tenant and project: others get 404, linking across tenants finds nothing', async () => {
    const { id } = await ok(inline(projects.a, editor.key, { content: `private ${randomUUID()}` }));
    const read = (token: string) => statusOf(api(token).GET('/documents/{id}', { params: { path: { id } } }));
    const listed = async (token: string) => (await ok(api(token).GET('/documents'))).documents.map((x) => x.id);
    expect(await read(other)).toBe(404);
    expect(await read(outsider.key)).toBe(404);
    expect((await statusStream(api(other), id)).status).toBe(404);
    expect(await listed(other)).not.toContain(id);
    expect(await listed(outsider.key)).toEqual([]);
    const otherProject = (await ok(api(other).POST('/projects', { body: { name: 'Theirs' } }))).id;
    expect(await statusOf(link(otherProject, other, [id]))).toBe(404);
    expect(await statusOf(link(projects.archived, admin, [id]))).toBe(409);
    // unassigned: visible to its uploader and tenant admins, and in the global view
    const loose = await ok(api(editor.key).POST('/documents', { body: { content: `unassigned ${randomUUID()}` } }));
    expect(loose.project_ids).toEqual([]);
    expect(await listed(editor.key)).toContain(loose.id);
    expect(await listed(admin)).toContain(loose.id);
    expect(await statusOf(api(outsider.key).GET('/documents/{id}', { params: { path: { id: loose.id } } }))).toBe(404);
  });

  it('unlinks every document of a deleted project and keeps the documents', async () => {
    const doomed = (await ok(api(admin).POST('/projects', { body: { name: 'Short-lived' } }))).id;
    const doc = await ok(inline(doomed, admin, { content: `kept ${randomUUID()}` }));
    await ok(link(projects.b, admin, [doc.id]));
    expect(await statusOf(api(admin).DELETE('/projects/{id}', { params: { path: { id: doomed } } }))).toBe(204);
    // the project's deletion unlinks its documents asynchronously (the project-unlinker)
    await eventually(
      async () => !(await document(doc.id, admin)).project_ids.includes(doomed),
      `document ${doc.id} unlinked from the deleted project`,
    );
    expect((await document(doc.id, admin)).project_ids).toEqual([projects.b]);
  });
});
