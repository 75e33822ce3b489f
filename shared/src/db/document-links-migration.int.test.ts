import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { runner } from 'node-pg-migrate';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { createPostgresTextIndex } from '../stores/text/postgres.ts';
import { createPostgresVectorIndex } from '../stores/vectors/postgres.ts';
import { postgresUrls } from '../testing/backends.ts';
import { ownDatabase } from '../testing/own-database.ts';
import { type Sql, createSql, withTenant } from './connect.ts';
import { MIGRATIONS_DIR, migrate, prepareAppRole } from './migrate.ts';

/**
 * Migration 320 moves a document's projects from every row of the embedded vector and text stores
 * into one row per document. A rolling update runs the version before it beside it, reading and
 * writing the rows' own `project_ids`: on a database that held data before, both places are kept
 * equal each way; a new installation keeps the narrow rows only.
 */
const pg = postgresUrls();
const log = createLogger({ level: 'silent' });
const LINKS = '1700000000320_document-links';
const model = { id: 'links-check', dimension: 2 };

/** Applies the migrations before `name` only. */
async function migrateBefore(url: string, name: string): Promise<void> {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  await runner({
    databaseUrl: url,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'mandant_migrations',
    checkOrder: true,
    count: files.findIndex((f) => f.startsWith(name)),
    log: () => {},
  });
}

const compatTriggers = (owner: Sql) =>
  owner<{ tgname: string }[]>`select tgname from pg_trigger where tgname like '%_for_earlier_version' order by tgname`.then((rows) =>
    rows.map((r) => r.tgname),
  );

describe.skipIf(!pg)('migration 320: document links', () => {
  const dropped: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const d of dropped) await d();
  });
  /** A database of its own, dropped after the suite, with the owner's connection to it. */
  async function database(label: string): Promise<{ owner: Sql; url: string }> {
    const db = await ownDatabase(pg?.ownerUrl ?? '', label);
    const owner = createSql(db.url, { max: 1 });
    dropped.push(async () => {
      await owner.end();
      await db.drop();
    });
    return { owner, url: db.url };
  }

  it('on a database the version before wrote to, keeps the rows and the links equal both ways while both versions run', async () => {
    const db = await database('links_upgrade');
    await migrateBefore(db.url, LINKS);
    const tenant = randomUUID();
    const [doc, other] = [randomUUID(), randomUUID()];
    const [pa, pb, pc] = [randomUUID(), randomUUID(), randomUUID()];
    // what the version before left: a document's projects on each of its points and text rows
    await db.owner`insert into vector_collections (tenant_id, model, dimension) values (${tenant}, ${model.id}, ${model.dimension})`;
    for (const [document, chunk, projects] of [
      [doc, 0, [pa]],
      [doc, 1, [pa]],
      [other, 0, [pb]],
    ] as const) {
      await db.owner`insert into vector_points (tenant_id, model, dimension, id, document_id, project_ids, chunk_index, document_type, created_at, vector, rev)
        values (${tenant}, ${model.id}, ${model.dimension}, ${randomUUID()}, ${document}, ${[...projects]}::uuid[], ${chunk}, 'pdf', now(),
                decode('0000803f00000000', 'hex'), 1)`;
      await db.owner`insert into text_documents (tenant_id, id, document_id, title, content, project_ids, document_type, created_at)
        values (${tenant}, ${randomUUID()}, ${document}, 'title', 'a word', ${[...projects]}::uuid[], 'pdf', now())`;
    }
    await migrate(db.url, log);
    const app = createSql(await prepareAppRole(db.url, undefined), { max: 2 });
    dropped.unshift(() => app.end());
    expect(await compatTriggers(db.owner)).toHaveLength(6);

    const vectorLinks = () =>
      db.owner<
        { document_id: string; project_ids: string[] }[]
      >`select document_id, project_ids from vector_document_links order by document_id`;
    const textLinks = () =>
      db.owner<
        { document_id: string; project_ids: string[] }[]
      >`select document_id, project_ids from text_document_links order by document_id`;
    const expected = (sets: Record<string, string[]>) =>
      Object.entries(sets)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([document_id, project_ids]) => ({ document_id, project_ids }));
    // carried over
    expect([...(await vectorLinks())]).toEqual(expected({ [doc]: [pa], [other]: [pb] }));
    expect([...(await textLinks())]).toEqual(expected({ [doc]: [pa], [other]: [pb] }));

    // the version before relinks on the rows: the links follow
    await withTenant(app, tenant, async (tx) => {
      await tx`update vector_points set project_ids = ${[pc]}::uuid[], rev = 7 where document_id = ${doc}`;
      await tx`update text_documents set project_ids = ${[pc]}::uuid[] where document_id = ${doc}`;
    });
    expect([...(await vectorLinks())]).toEqual(expected({ [doc]: [pc], [other]: [pb] }));
    expect([...(await textLinks())]).toEqual(expected({ [doc]: [pc], [other]: [pb] }));

    // this version relinks on the links: the rows follow, stamped so the version before's cache sees them
    const vectors = createPostgresVectorIndex({ sql: app });
    const text = createPostgresTextIndex({ sql: app });
    await vectors.setDocumentProjects(tenant, model, other, [pa, pc]);
    await text.setProjectsOfDocuments(tenant, [{ documentId: other, projectIds: [pa, pc] }]);
    const [[collection], points, rows] = await Promise.all([
      db.owner<{ revision: string }[]>`select revision::text from vector_collections`,
      db.owner<{ project_ids: string[]; rev: string }[]>`select project_ids, rev::text from vector_points where document_id = ${other}`,
      db.owner<{ project_ids: string[] }[]>`select project_ids from text_documents where document_id = ${other}`,
    ]);
    expect([...points]).toEqual([{ project_ids: [pa, pc], rev: collection?.revision }]);
    expect([...rows]).toEqual([{ project_ids: [pa, pc] }]);
    // and this version finds by the links: both points of one, the point of the other
    const found = await vectors.search(tenant, model, [1, 0], { projectIds: [pc], limit: 10 });
    expect(found.map((h) => h.payload.document_id).sort()).toEqual([doc, doc, other].sort());
    expect((await text.search(tenant, 'word', { projectIds: [pb], limit: 10 })).map((h) => h.document_id)).toEqual([]);
    expect((await text.search(tenant, 'word', { projectIds: [pa], limit: 10 })).map((h) => h.document_id)).toEqual([other]);

    // the version before deletes a document's rows (one of its two points first): its links go with the last
    await withTenant(app, tenant, (tx) => tx`delete from vector_points where document_id = ${doc} and chunk_index = 0`);
    expect((await vectorLinks()).map((l) => l.document_id).sort()).toEqual([doc, other].sort());
    await withTenant(app, tenant, async (tx) => {
      await tx`delete from vector_points where document_id = ${doc}`;
      await tx`delete from text_documents where document_id = ${doc}`;
    });
    expect((await vectorLinks()).map((l) => l.document_id)).toEqual([other]);
    expect((await textLinks()).map((l) => l.document_id)).toEqual([other]);
    // and offboards the tenant as it did, through the rows only: nothing of it is left
    await withTenant(app, tenant, async (tx) => {
      await tx`delete from vector_points where tenant_id = ${tenant}`;
      await tx`delete from text_documents where tenant_id = ${tenant}`;
    });
    expect([...(await vectorLinks()), ...(await textLinks())]).toEqual([]);
  });

  it('on a new installation, relinks write the links only', async () => {
    const db = await database('links_new');
    await migrate(db.url, log);
    expect(await compatTriggers(db.owner)).toEqual([]);
    const app = createSql(await prepareAppRole(db.url, undefined), { max: 2 });
    dropped.unshift(() => app.end());
    const tenant = randomUUID();
    const doc = randomUUID();
    const [pa, pb] = [randomUUID(), randomUUID()];
    const vectors = createPostgresVectorIndex({ sql: app });
    const text = createPostgresTextIndex({ sql: app });
    await vectors.ensureCollection(tenant, model);
    const payload = {
      tenant_id: tenant,
      document_id: doc,
      project_ids: [pa],
      chunk_index: 0,
      document_type: 'pdf',
      created_at: '2024-01-01T00:00:00.000Z',
      entity_names: [],
    };
    await vectors.upsert(tenant, model, [{ id: randomUUID(), vector: [1, 0], payload }]);
    await text.upsert(tenant, [
      {
        id: randomUUID(),
        document_id: doc,
        title: 't',
        content: 'a word',
        project_ids: [pa],
        document_type: 'pdf',
        entity_names: [],
        created_at: payload.created_at,
      },
    ]);
    const versions = () =>
      db.owner<{ xmin: string }[]>`select xmin::text from vector_points union all select xmin::text from text_documents`.then((r) =>
        r.map((x) => x.xmin),
      );
    const before = await versions();
    await vectors.setDocumentProjects(tenant, model, doc, [pb]);
    await text.setDocumentProjects(tenant, doc, [pb]);
    // the wide rows were not written again
    expect(await versions()).toEqual(before);
    expect((await vectors.search(tenant, model, [1, 0], { projectIds: [pb], limit: 5 }))[0]?.payload.project_ids).toEqual([pb]);
    expect((await text.search(tenant, 'word', { projectIds: [pb], limit: 5 }))[0]?.project_ids).toEqual([pb]);
    expect(await text.search(tenant, 'word', { projectIds: [pa], limit: 5 })).toEqual([]);
  });
});
