import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, eventually, postgresUrls } from '@mandant/shared/testing';
import { type Harness, OPERATOR, ok, startHarness, statusOf, waitForDocument } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

/**
 * What a project's page and the entity routes say about content over HTTP: one document uploaded
 * to project A and linked to project B. The project's `stats.entities` counts the entities its
 * list holds and `last_activity_at` moves with uploads, processing, links and unlinks; an
 * entity's `mentions` is the same number on every entity route (the document counted once).
 */
describe.skipIf(!pg || natsMissing)('project stats and entity mention counts over HTTP', () => {
  let h: Harness;
  let admin = '';
  const projects = { a: '', b: '' };
  let documentId = '';
  const api = () => h.client(admin);
  const project = (id: string) => ok(api().GET('/projects/{id}', { params: { path: { id } } }));
  const activity = async (id: string) => Date.parse((await project(id)).stats.last_activity_at);
  const projectEntities = async (id: string) =>
    (await ok(api().GET('/projects/{id}/entities', { params: { path: { id }, query: { limit: 500 } } }))).entities;
  const eventTime = async (type: string): Promise<number> => {
    const page = await ok(api().GET('/events', { params: { query: { after: 0, limit: 1000 } } }));
    const e = page.events.filter((x) => x.type === type && x.stream === `document-${documentId}`).pop();
    if (!e) throw new Error(`no ${type} event`);
    return Date.parse(e.occurred_at);
  };

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl });
    const suffix = randomUUID().slice(0, 6);
    admin = (await ok(h.client(OPERATOR).POST('/tenants', { body: { name: 'Newsroom', slug: `stats-${suffix}` } }))).admin_api_key;
    projects.a = (await ok(api().POST('/projects', { body: { name: 'Shipping leaks' } }))).id;
    projects.b = (await ok(api().POST('/projects', { body: { name: 'Port contracts' } }))).id;
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('counts the entities its list holds and moves last_activity_at on upload, processing, link and unlink', async () => {
    const created = { a: await activity(projects.a), b: await activity(projects.b) };
    expect((await project(projects.a)).stats).toMatchObject({ documents: 0, entities: 0 });
    documentId = (
      await ok(
        api().POST('/projects/{id}/documents', {
          params: { path: { id: projects.a } },
          body: {
            title: 'Charter memo',
            content:
              'Nordwind Shipping paid Karin Lindqvist through Baltic Trust Bank in Riga. ' +
              'Later Nordwind Shipping moved the vessels to Limassol.',
          },
        }),
      )
    ).id;
    await waitForDocument(h, documentId, admin);
    const processedAt = await eventTime('document.processed.v1');
    const a = await eventually(async () => {
      const view = await project(projects.a);
      return Date.parse(view.stats.last_activity_at) >= processedAt && view.stats.entities > 0 && view;
    }, 'project A to show the processed document');
    expect(processedAt).toBeGreaterThan(created.a);
    const listed = await projectEntities(projects.a);
    expect(listed.map((e) => e.name)).toEqual(expect.arrayContaining(['Nordwind Shipping', 'Karin Lindqvist', 'Riga']));
    expect(a.stats).toMatchObject({ documents: 1, entities: listed.length });
    expect(listed.find((e) => e.name === 'Nordwind Shipping')?.type).toBe('organisation');

    await ok(api().POST('/projects/{id}/documents/link', { params: { path: { id: projects.b } }, body: { document_ids: [documentId] } }));
    const linkedAt = await eventTime('document.linked.v1');
    expect(linkedAt).toBeGreaterThan(created.b);
    await eventually(async () => (await activity(projects.b)) >= linkedAt, 'project B to show the link');
    await eventually(async () => (await project(projects.b)).stats.entities === listed.length, 'project B to count the entities');

    expect(
      await statusOf(
        api().DELETE('/projects/{id}/documents/{doc_id}/unlink', { params: { path: { id: projects.b, doc_id: documentId } } }),
      ),
    ).toBe(204);
    const unlinkedAt = await eventTime('document.unlinked.v1');
    await eventually(async () => (await activity(projects.b)) >= unlinkedAt, 'project B to show the unlink');
    await eventually(async () => (await project(projects.b)).stats.entities === 0, 'project B to count no entities');
    // relink for the mention counts below
    await ok(api().POST('/projects/{id}/documents/link', { params: { path: { id: projects.b } }, body: { document_ids: [documentId] } }));
    await eventually(async () => (await project(projects.b)).stats.entities === listed.length, 'project B to count the entities again');
  });

  it("gives one document's mentions the same count on every entity route, however many projects it is linked to", async () => {
    const found = await eventually(async () => {
      const page = await ok(api().GET('/entities', { params: { query: { query: 'Nordwind Shipping' } } }));
      const e = page.entities.find((x) => x.name === 'Nordwind Shipping');
      return e && e.project_ids.length === 2 && e;
    }, 'the entity in both projects');
    expect(found).toMatchObject({ documents: 1, project_ids: [projects.a, projects.b].sort() });
    const mentions = found.mentions;
    expect(mentions).toBeGreaterThan(0);
    const one = await ok(api().GET('/entities/{id}', { params: { path: { id: found.id } } }));
    expect(one).toMatchObject({ mentions, documents: 1 });
    // the per-project breakdown counts the document in each project, and says so
    expect([...one.projects].sort((x, y) => (x.project_id < y.project_id ? -1 : 1))).toEqual(
      [projects.a, projects.b].sort().map((project_id) => ({ project_id, mentions, documents: 1 })),
    );
    const shared = await ok(api().GET('/entities/cross-project', { params: { query: {} } }));
    expect(shared.entities.find((e) => e.id === found.id)).toMatchObject({ mentions, documents: 1 });
  });
});
