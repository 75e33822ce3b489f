import { randomBytes, randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@mandant/contracts';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { createKeyring, createMemoryKeyStore, sealJson } from '@mandant/shared/stores/crypto';
import { plannedScansOfPage, postgresUrls, scansOfAtLeast, seededRandom, testEnvelope } from '@mandant/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentViews } from './projection.ts';

const pg = postgresUrls();
const HASH = '0'.repeat(64);
const SEED = Number(process.env.FC_SEED ?? 20261203);

/** An event of a document's stream at `tenant_seq`, at `second` seconds past noon on 1 Jan 2026. */
const documentEvent = (
  tenantId: string,
  tenantSeq: number,
  type: string,
  documentId: string,
  data: Record<string, unknown>,
  second: number,
): EventEnvelope =>
  testEnvelope({
    type,
    tenant_id: tenantId,
    tenant_seq: tenantSeq,
    stream: `document-${documentId}`,
    occurred_at: new Date(Date.UTC(2026, 0, 1, 12, 0, second)).toISOString(),
    actor: `user:${tenantSeq % 3}`,
    data,
  });

/**
 * The document views on real Postgres: a page folded and written at once (`applyBatch`) ends in
 * the same documents, links and embeddings as its events applied one by one (`apply`), whatever
 * the mix, the page boundaries and a second delivery.
 */
describe.skipIf(!pg)('document views: a page at once equals event by event (real Postgres)', () => {
  let sql: Sql;
  const keyring = createKeyring({ masterKey: randomBytes(32).toString('base64'), store: createMemoryKeyStore() });
  const projection = documentViews(keyring);
  const documents = Array.from({ length: 2 }, () => randomUUID());
  const projects = Array.from({ length: 3 }, () => randomUUID());

  /** A random log of a few documents: uploads, processing outcomes, embeddings, links and unlinks with any set, a deletion now and then. */
  async function log(tenantId: string, seed: number, length: number): Promise<EventEnvelope[]> {
    const rand = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const some = (): string[] => projects.filter(() => rand() < 0.5);
    let seq = 0;
    const events: EventEnvelope[] = [];
    // now and then two events at the same time, and one earlier than the one before
    const event = (type: string, documentId: string, data: Record<string, unknown>): EventEnvelope =>
      documentEvent(tenantId, ++seq, type, documentId, data, seq - 1 - ((seq - 1) % 5 === 0 ? 3 : 0));
    for (let i = 0; i < length; i++) {
      const d = pick(documents);
      const kind = Math.floor(rand() * 12);
      if (kind <= 1) {
        const title = pick([null, `T${seq}`]);
        const sealed = await sealJson(keyring, tenantId, d, { title, filename: `f${seq}.txt`, source_url: null });
        events.push(
          event('document.uploaded.v1', d, {
            kind: 'text',
            content_type: 'text/plain',
            ext: 'txt',
            size: seq,
            content_sha256: HASH,
            blob_key: `raw/${d}/original.txt`,
            sealed,
          }),
        );
      } else if (kind === 2) events.push(event('document.processing.v1', d, { attempt: 1 }));
      else if (kind === 3) {
        const sealed = await sealJson(keyring, tenantId, d, { title: `P${seq}` });
        events.push(
          event('document.processed.v1', d, {
            pages: pick([null, seq]),
            chunk_count: seq,
            entity_count: seq % 4,
            text_key: 'k',
            analysis_key: 'a',
            analysis_sha256: HASH,
            sealed,
          }),
        );
      } else if (kind === 4)
        events.push(
          event('document.embedded.v1', d, {
            model: pick(['m1', 'm2']),
            dimension: 3,
            vectors_key: 'v',
            vectors_sha256: HASH,
            chunk_count: 1,
          }),
        );
      else if (kind === 5) events.push(event('document.failed.v1', d, { code: 'c', message: `m${seq}`, attempt: 1 }));
      else if (kind <= 8) {
        const project = pick(projects);
        events.push(event('document.linked.v1', d, { project_id: project, project_ids: [...new Set([...some(), project])] }));
      } else if (kind <= 10) {
        const project = pick(projects);
        events.push(
          event('document.unlinked.v1', d, { project_id: project, project_ids: some().filter((p) => p !== project), reason: 'unlinked' }),
        );
      } else events.push(event('document.deleted.v1', d, { project_ids: [] }));
    }
    return events;
  }

  const rows = (tenantId: string) =>
    withTenant(sql, tenantId, async (tx) => ({
      documents: await tx`select document_id, status, title, kind, content_type, size, content_sha256, chunk_count, entity_count, pages,
                                 failure, failure is null as no_failure, uploaded_by, created_at, updated_at
                          from documents_view where tenant_id = ${tenantId} order by document_id`,
      links: await tx`select document_id, project_id, linked_at from document_links_view where tenant_id = ${tenantId}
                      order by document_id, project_id`,
      embeddings: await tx`select document_id, model, dimension, vectors_sha256, embedded_at from document_embeddings_view
                           where tenant_id = ${tenantId} order by document_id, model`,
    }));
  const applyEach = (tenantId: string, events: EventEnvelope[]) =>
    withTenant(sql, tenantId, async (tx) => {
      for (const e of events) await projection.apply(tx, e);
    });
  /** The events in pages of `size`, or of sizes a generator picks. */
  const applyPages = async (tenantId: string, events: EventEnvelope[], size: number | (() => number)) => {
    for (let i = 0, n = 0; i < events.length; i += n) {
      n = typeof size === 'number' ? size : size();
      await withTenant(sql, tenantId, async (tx) => {
        if (!projection.applyBatch) throw new Error('no applyBatch');
        await projection.applyBatch(tx, events.slice(i, i + n));
      });
    }
  };

  beforeAll(() => {
    if (pg) sql = createSql(pg.appUrl, { max: 2, appName: 'document-views-test' });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
  });

  it('ends in the same documents, links and embeddings for random logs, in one page, in small pages, and delivered twice', async () => {
    let nonEmpty = 0;
    for (let run = 0; run < 20; run++) {
      const seed = SEED + run;
      const [one, page, small, twice, eachTwice] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      // the same log for each tenant (sealed under its own key)
      const [a, b, c, d, e] = await Promise.all([one, page, small, twice, eachTwice].map((t) => log(t, seed, 80)));
      if (!a || !b || !c || !d || !e) throw new Error('no log');
      await applyEach(one, a);
      await applyPages(page, b, b.length);
      const sizes = seededRandom(seed + 1);
      await applyPages(small, c, () => 2 + Math.floor(sizes() * 8));
      // a second delivery of old events is compared with the same delivery event by event (a
      // checkpoint, not the view, keeps an event from applying twice)
      await applyPages(twice, d, d.length);
      await applyPages(twice, d, 11);
      await applyEach(eachTwice, e);
      await applyEach(eachTwice, e);
      const expected = await rows(one);
      if (expected.documents.length + expected.links.length > 0) nonEmpty += 1;
      expect(await rows(page), `seed ${seed}`).toEqual(expected);
      expect(await rows(small), `seed ${seed}`).toEqual(expected);
      expect(await rows(twice), `seed ${seed}`).toEqual(await rows(eachTwice));
    }
    expect(nonEmpty).toBeGreaterThan(10);
  });
});

/**
 * A page changes the rows of its own documents: its statements find them by their keys, never by
 * walking all of the tenant's rows of a table, whatever the tenant holds.
 */
describe.skipIf(!pg)("document views: a page's writes find their rows by key (real Postgres)", () => {
  it("plans no scan of a view that reads more than a few of a large tenant's rows", async () => {
    if (!pg) return;
    const keyring = createKeyring({ masterKey: randomBytes(32).toString('base64'), store: createMemoryKeyStore() });
    const projection = documentViews(keyring);
    const owner = createSql(pg.ownerUrl, { max: 1, appName: 'document-views-plan-test' });
    const tenantId = randomUUID();
    const [p0, p1] = [randomUUID(), randomUUID()];
    const TENANT_DOCUMENTS = 3_000;
    try {
      // a tenant with many documents, each linked to two projects, its statistics taken
      const documents = await owner<{ id: string }[]>`
        insert into documents_view (tenant_id, document_id, status, kind, content_type, size, content_sha256, uploaded_by, created_at, updated_at)
        select ${tenantId}, gen_random_uuid(), 'processed', 'text', 'text/plain', 1, md5(g::text), 'user:0', now(), now()
        from generate_series(1, ${TENANT_DOCUMENTS}) g
        returning document_id as id`;
      await owner`insert into document_links_view (tenant_id, document_id, project_id, linked_at)
                  select ${tenantId}, d, p, now() from unnest(${documents.map((d) => d.id)}::uuid[]) d, unnest(${[p0, p1]}::uuid[]) p`;
      await owner`analyze documents_view, document_links_view`;
      // a page: a few documents processing again, a few unlinked from a project
      const picked = documents.slice(0, 8).map((d) => d.id);
      const page = picked.map((d, i) =>
        i < 5
          ? documentEvent(tenantId, i + 1, 'document.processing.v1', d, { attempt: 2 }, i)
          : documentEvent(tenantId, i + 1, 'document.unlinked.v1', d, { project_id: p0, project_ids: [p1], reason: 'unlinked' }, i),
      );
      const tables = ['documents_view', 'document_links_view'];
      const writes = await plannedScansOfPage(pg.appUrl, tenantId, tables, projection, page);
      // the update of the documents and the delete of their links, at least
      expect(writes.length).toBeGreaterThanOrEqual(2);
      expect(scansOfAtLeast(writes, TENANT_DOCUMENTS / 10)).toEqual([]);
      // and the page did what it says
      const after = await owner<{ status: string; links: number }[]>`
        select d.status, (select count(*)::int from document_links_view l where l.tenant_id = d.tenant_id and l.document_id = d.document_id) as links
        from documents_view d where d.tenant_id = ${tenantId} and d.document_id = any(${picked}::uuid[])`;
      expect(after.filter((r) => r.status === 'processing')).toHaveLength(5);
      expect(after.filter((r) => r.links === 1)).toHaveLength(3);
    } finally {
      await owner`delete from document_links_view where tenant_id = ${tenantId}`;
      await owner`delete from documents_view where tenant_id = ${tenantId}`;
      await owner.end();
    }
  });
});
