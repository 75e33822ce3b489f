import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddingCoverage } from '@mandant/documents';
import { servingModel } from '@mandant/project';
import { withTenant } from '@mandant/shared/db';
import { findNatsServer } from '@mandant/shared/runtime';
import { SETTLE_MS, backendMissing, eventually, postgresUrls } from '@mandant/shared/testing';
import { type Harness, OPERATOR, ok, startHarness, waitForDocument } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const OLD = 'local-hashing-v1-384';
const NEW = 'local-hashing-v1-256';
const OWN = 'local-hashing-v1-32';

describe.skipIf(!pg || natsMissing)('a restart with another installation default (EMBEDDING_MODEL)', () => {
  let h: Harness;
  beforeAll(async () => {
    if (pg) h = await startHarness({ ownerUrl: pg.ownerUrl, env: { EMBEDDING_MODEL: OLD } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('re-embeds the documents of tenants without a model of their own in the background, and their search moves to the new default once they are through', async () => {
    const tag = randomUUID().slice(0, 6);
    const follower = await ok(h.client(OPERATOR).POST('/tenants', { body: { name: 'Follows', slug: `follows-${tag}` } }));
    const own = await ok(
      h.client(OPERATOR).POST('/tenants', { body: { name: 'Own', slug: `own-${tag}`, settings: { embedding_model: OWN } } }),
    );
    const [key, ownKey] = [follower.admin_api_key, own.admin_api_key];
    const project = (await ok(h.client(key).POST('/projects', { body: { name: 'Offshore leaks' } }))).id;
    const texts = [
      'Anna Schmidt of the Beta GmbH met investors in Zürich.',
      'Markus Braun von der Wirecard AG war in Singapur.',
      'Ein Memo über Konten der Deutschen Bank in Frankfurt.',
    ];
    const docs: string[] = [];
    for (const [i, content] of texts.entries())
      docs.push(
        (await ok(h.client(key).POST('/projects/{id}/documents', { params: { path: { id: project } }, body: { title: `d${i}`, content } })))
          .id,
      );
    const ownProject = (await ok(h.client(ownKey).POST('/projects', { body: { name: 'Own model' } }))).id;
    const ownDoc = (
      await ok(
        h.client(ownKey).POST('/projects/{id}/documents', { params: { path: { id: ownProject } }, body: { content: texts[0] ?? '' } }),
      )
    ).id;
    const models = (d: { embeddings: { model: string }[] }) => d.embeddings.map((e) => e.model).sort();
    for (const id of docs) await waitForDocument(h, id, key, (d) => models(d).includes(OLD));
    await waitForDocument(h, ownDoc, ownKey, (d) => models(d).includes(OWN));
    // the document view shows an embedding once its event is in the log; the vector index gets it
    // from its own projector, which the vector search below reads
    const { head } = await ok(h.client(key).GET('/events', { params: { query: { after: 0, limit: 1 } } }));
    await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(follower.tenant.id, head, SETTLE_MS)));
    const search = async () =>
      (
        await ok(
          h.client(key).POST('/projects/{id}/search', {
            params: { path: { id: project } },
            body: { query: 'Anna Schmidt of the Beta GmbH met investors in Zürich', mode: 'vector' },
          }),
        )
      ).hits.map((hit) => hit.document_id);
    expect(await search()).toContain(docs[0]);

    await h.restart({ EMBEDDING_MODEL: NEW });
    // search answers throughout (from the old default's vectors until the new are complete)
    expect(await search()).toContain(docs[0]);
    for (const id of docs) expect(models(await waitForDocument(h, id, key, (d) => models(d).includes(NEW)))).toEqual([NEW, OLD].sort());
    const serving = (projectId: string | null) =>
      withTenant(h.platform.runtime.sql, follower.tenant.id, (tx) =>
        servingModel(tx, follower.tenant.id, projectId, NEW, { coverage: embeddingCoverage }),
      );
    await eventually(async () => (await serving(project)).model === NEW && (await serving(null)).model === NEW, 'search to switch');
    expect(await serving(project)).toEqual({ model: NEW, desired: NEW, documents: 3, embedded: 3 });
    await eventually(async () => (await search()).includes(docs[0] ?? ''), 'the search in the new model to find the document');
    // the tenant with a model of its own is left as it was
    expect(models(await ok(h.client(ownKey).GET('/documents/{id}', { params: { path: { id: ownDoc } } })))).toEqual([OWN]);
  });
});
