import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@mandant/contracts';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { postgresUrls, testEnvelope } from '@mandant/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DocumentProjects, projectViewsOf } from './projection.ts';

const pg = postgresUrls();

/**
 * The project views on real Postgres: what moves `last_activity_at`, and that a page applied at
 * once (`applyBatch`), event by event (`apply`) or delivered twice ends in the same rows.
 */
describe.skipIf(!pg)('project views: activity from content events (real Postgres)', () => {
  let sql: Sql;
  const a = randomUUID();
  const b = randomUUID();
  const documentId = randomUUID();
  // the documents context's answer: the document is linked to A and B when it is processed
  const documents: DocumentProjects = { at: () => Promise.resolve([a, b]) };
  const projection = projectViewsOf(documents);
  const at = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();

  /** The log of one tenant: A and B created, a member, a document uploaded to A, linked to B, processed, unlinked from B, a conversation in A. */
  const log = (tenantId: string): EventEnvelope[] => {
    let seq = 0;
    const event = (type: string, minute: number, project: string | null, stream: string, data: Record<string, unknown> = {}) =>
      testEnvelope({ type, tenant_id: tenantId, tenant_seq: ++seq, project_id: project, stream, occurred_at: at(minute), data });
    const created = (id: string, minute: number) =>
      event('project.created.v1', minute, id, `project-${id}`, { name: 'P', slug: `p-${id.slice(0, 8)}`, description: '', settings: {} });
    const doc = `document-${documentId}`;
    return [
      created(a, 0),
      created(b, 1),
      event('member.added.v1', 2, a, `project-${a}`, { user_id: randomUUID(), role: 'editor' }),
      event('document.uploaded.v1', 3, a, doc),
      event('document.linked.v1', 4, null, doc, { project_id: b, project_ids: [a, b] }),
      event('document.processed.v1', 5, null, doc),
      event('document.embedded.v1', 6, null, doc),
      event('document.unlinked.v1', 7, null, doc, { project_id: b, project_ids: [a], reason: 'unlinked' }),
      event('conversation.started.v1', 8, a, `conversation-${randomUUID()}`, { project_id: a, sealed: 'x' }),
    ];
  };
  const rows = (tenantId: string) =>
    withTenant(
      sql,
      tenantId,
      (tx) => tx<{ project_id: string; member_count: number; last_activity_at: Date }[]>`
        select project_id, member_count, last_activity_at from projects_view where tenant_id = ${tenantId} order by project_id`,
    );
  const applyEach = (tenantId: string, events: EventEnvelope[]) =>
    withTenant(sql, tenantId, async (tx) => {
      for (const e of events) await projection.apply(tx, e);
    });
  const applyPage = (tenantId: string, events: EventEnvelope[]) =>
    withTenant(sql, tenantId, async (tx) => {
      if (!projection.applyBatch) throw new Error('no applyBatch');
      await projection.applyBatch(tx, events);
    });

  beforeAll(() => {
    if (pg) sql = createSql(pg.appUrl, { max: 2, appName: 'project-views-test' });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
  });

  it('moves last_activity_at on uploads, links, processing, unlinks and conversations, never on re-embedding', async () => {
    const tenant = randomUUID();
    await applyEach(tenant, log(tenant));
    const byId = new Map((await rows(tenant)).map((r) => [r.project_id, r]));
    // A: the conversation is its latest activity; B: the unlink (the processing at 5 touched both)
    expect(byId.get(a)?.last_activity_at.toISOString()).toBe(at(8));
    expect(byId.get(b)?.last_activity_at.toISOString()).toBe(at(7));
    expect(byId.get(a)?.member_count).toBe(1);

    const early = randomUUID();
    await applyEach(early, log(early).slice(0, 7));
    const upToEmbedding = new Map((await rows(early)).map((r) => [r.project_id, r.last_activity_at.toISOString()]));
    expect(upToEmbedding).toEqual(
      new Map<string, string>([
        [a, at(5)],
        [b, at(5)],
      ]),
    );
  });

  it('ends in the same rows whether a page is applied at once, event by event, or delivered twice', async () => {
    const [one, page, twice] = [randomUUID(), randomUUID(), randomUUID()];
    await applyEach(one, log(one));
    await applyPage(page, log(page));
    const again = log(twice);
    await applyPage(twice, again);
    await applyPage(twice, again);
    await applyEach(twice, again.slice(2));
    const strip = (r: { project_id: string; member_count: number; last_activity_at: Date }[]) =>
      r.map(({ project_id, last_activity_at }) => [project_id, last_activity_at.toISOString()]);
    expect(strip(await rows(page))).toEqual(strip(await rows(one)));
    expect(strip(await rows(twice))).toEqual(strip(await rows(one)));
  });
});
