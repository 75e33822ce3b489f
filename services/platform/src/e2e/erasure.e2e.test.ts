import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql } from '@mandant/shared/db';
import { findNatsServer } from '@mandant/shared/runtime';
import { DataKeyDestroyedError } from '@mandant/shared/stores/crypto';
import { checkConsistency, hasDrift } from '@mandant/projectors';
import { openJson } from '@mandant/shared/stores/crypto';
import { SETTLE_MS, backendMissing, eventually, postgresUrls } from '@mandant/shared/testing';
import { storePlatforms } from '@mandant/shared/testing';
import { type Harness, OPERATOR, startHarness } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

/** Tables that keep a tenant's rows by design after offboarding: the log and its bookkeeping, the claimed slug, the erasure records. */
const KEPT = new Set([
  'events',
  'tenant_heads',
  'outbox',
  'outbox_ranges',
  'projection_checkpoints',
  'projection_dead_letters',
  'tenant_slugs',
  'offboarded_tenants',
  'data_key_tombstones',
]);

const platforms = storePlatforms();

describe.skipIf(!pg || natsMissing).each(platforms)('erasure by key deletion ($stores)', ({ env }) => {
  let h: Harness;
  let owner: Sql;
  const keep = { id: '', key: '', project: '' };
  const gone = { id: '', key: '', project: '', slug: '' };

  const ok = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await h.call(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const processed = async (token: string, project: string, title: string, content: string) => {
    const id = (await ok('POST', `/projects/${project}/documents`, token, { title, content })).id as string;
    return eventually(async () => {
      const d = await ok('GET', `/documents/${id}`, token);
      return (
        d.status === 'processed' &&
        d.embeddings.length > 0 && { id, model: { id: d.embeddings[0].model as string, dimension: d.embeddings[0].dimension as number } }
      );
    }, `document ${id} to be processed and embedded`);
  };
  const settle = async (tenantId: string) => {
    const position = await h.platform.runtime.store.head(tenantId);
    await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(tenantId, position, SETTLE_MS)));
  };
  const rebuildAll = async (tenantId: string) => {
    for (const p of h.platform.storeProjectors) await p.rebuild(tenantId);
    await settle(tenantId);
  };
  const searchIds = async (token: string, project: string, query: string) =>
    ((await ok('POST', `/projects/${project}/search`, token, { query, mode: 'keyword' })).hits as { document_id: string }[]).map(
      (x) => x.document_id,
    );
  const eventsOf = async (token: string) =>
    (await ok('GET', '/events?after=0&limit=1000', token)).events as { type: string; stream: string; data: Record<string, unknown> }[];
  const sealedFields = (events: { type: string; stream: string; data: Record<string, unknown> }[], documentId: string) =>
    events.filter((e) => e.stream === `document-${documentId}` && typeof e.data.sealed === 'string').map((e) => String(e.data.sealed));
  const blobKeys = async (tenantId: string) => (await h.platform.stores.blobs.list(tenantId, '').catch(() => [])).map((b) => b.key);

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env });
    owner = createSql(h.databaseUrl, { max: 2 });
    const suffix = randomUUID().slice(0, 6);
    const provision = async (name: string, slug: string) => {
      const t = await ok('POST', '/tenants', OPERATOR, { name, slug });
      const key = t.admin_api_key as string;
      return { id: t.tenant.id as string, key, project: (await ok('POST', '/projects', key, { name: `${name} case` })).id as string };
    };
    Object.assign(keep, await provision('Keeper', `keep-${suffix}`));
    gone.slug = `gone-${suffix}`;
    Object.assign(gone, await provision('Leaver', gone.slug));
  });
  afterAll(async () => {
    await owner?.end();
    await h?.stop();
  });

  it('deletes one document for good: no store, blob, view, sealed field or rebuild yields it; the rest stays readable', async () => {
    const { stores } = h.platform;
    const t = keep.id;
    const erased = await processed(
      keep.key,
      keep.project,
      'Erase me',
      'Zanzibar shipment invoice signed by Quentin Oduya for Borealis Freight.',
    );
    const kept = await processed(
      keep.key,
      keep.project,
      'Keep me',
      'Harbour ledger of Marisol Ferreira listing Borealis Freight payments.',
    );
    await settle(t);
    expect(await searchIds(keep.key, keep.project, 'Zanzibar')).toContain(erased.id);
    expect((await blobKeys(t)).filter((k) => k.includes(erased.id)).length).toBeGreaterThan(1);

    expect((await h.call('DELETE', `/documents/${erased.id}`, { token: keep.key })).status).toBe(204);
    await settle(t);
    const gone1 = async (rebuilt: boolean) => {
      expect(await stores.vectors.count(t, erased.model, { documentId: erased.id })).toBe(0);
      expect((await stores.text.snapshot(t)).map((d) => d.document_id)).not.toContain(erased.id);
      const graph = await stores.graph.snapshot(t);
      expect(graph.documents.map((d) => d.id)).not.toContain(erased.id);
      expect(graph.mentions.map((m) => m.document_id)).not.toContain(erased.id);
      const named = graph.entities.filter((e) => e.name === 'Quentin Oduya').map((e) => e.id);
      expect(graph.appearances.filter((a) => named.includes(a.entity_id))).toEqual([]);
      expect((await ok('GET', '/entities?query=Quentin', keep.key)).entities as unknown[]).toEqual([]);
      // Known limit: live, the graph keeps an entity node without mentions (entities outlive their
      // documents by the GraphStore contract); a rebuild, which cannot read the erased analysis, drops it.
      if (rebuilt) expect(named).toEqual([]);
      expect((await blobKeys(t)).filter((k) => k.includes(erased.id))).toEqual([]);
      expect((await h.call('GET', `/documents/${erased.id}`, { token: keep.key })).status).toBe(404);
      expect(await searchIds(keep.key, keep.project, 'Zanzibar')).toEqual([]);
    };
    await gone1(false);

    // the log keeps its events, but their sealed fields never open again
    const events = await eventsOf(keep.key);
    const sealedErased = sealedFields(events, erased.id);
    expect(sealedErased.length).toBeGreaterThanOrEqual(2); // uploaded and processed
    for (const s of sealedErased) await expect(openJson(stores.keyring, t, erased.id, s)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    for (const s of sealedFields(events, kept.id))
      expect(await openJson(stores.keyring, t, kept.id, s)).toMatchObject({ title: 'Keep me' });

    // a rebuild of every store from the log purges it rather than failing or bringing it back
    await rebuildAll(t);
    await gone1(true);
    for (const p of h.platform.storeProjectors) expect(await p.catchUp(t)).toBe(await h.platform.runtime.store.head(t));
    const [dead] = await owner`select count(*)::int as n from projection_dead_letters where tenant_id = ${t}`;
    expect(dead?.n).toBe(0);
    expect((await checkConsistency({ sql: h.platform.runtime.sql, stores, tenantId: t })).filter(hasDrift)).toEqual([]);

    // the other document and the tenant stay readable
    expect(await searchIds(keep.key, keep.project, 'Marisol Ferreira')).toContain(kept.id);
    expect(await stores.vectors.count(t, kept.model, { documentId: kept.id })).toBeGreaterThan(0);
    expect((await ok('GET', `/documents/${kept.id}`, keep.key)).title).toBe('Keep me');
    expect(await h.platform.runtime.store.verify(t)).toMatchObject({ ok: true, first_broken: null });
  });

  it('offboards a tenant: nothing of it is left in any store, view or bucket, its key gets 401, a rebuild yields nothing', async () => {
    const { stores } = h.platform;
    const t = gone.id;
    const user = await ok('POST', '/users', gone.key, { email: 'leaver@gone.example', name: 'Leaving User' });
    await ok('PUT', `/projects/${gone.project}/members/${user.id}`, gone.key, { role: 'editor' });
    const doc = await processed(gone.key, gone.project, 'Leaver file', 'Offshore trust of Ingrid Solberg registered by Nordlys Capital.');
    await ok('POST', `/projects/${gone.project}/chat/conversations`, gone.key, { title: 'Leaver chat' });
    await settle(t);
    expect(await stores.vectors.count(t, doc.model)).toBeGreaterThan(0);
    const keepHead = await h.platform.runtime.store.head(keep.id);

    expect((await h.call('DELETE', `/tenants/${t}`, { token: gone.key })).status).toBe(403);
    expect((await h.call('DELETE', `/tenants/${t}`, { token: OPERATOR })).status).toBe(204);
    await settle(t);

    const nothingLeft = async () => {
      expect(await stores.vectors.count(t, doc.model)).toBe(0);
      expect(await stores.text.snapshot(t)).toEqual([]);
      const graph = await stores.graph.snapshot(t);
      expect([graph.projects, graph.documents, graph.entities, graph.mentions, graph.appearances, graph.relations, graph.links]).toEqual([
        [],
        [],
        [],
        [],
        [],
        [],
        [],
      ]);
      expect(await blobKeys(t)).toEqual([]);
      // every table with a tenant_id (read views, store tables, keys), read as the owner past RLS
      const tables = await owner<{ table_name: string }[]>`
        select c.table_name from information_schema.columns c join information_schema.tables x using (table_schema, table_name)
        where c.table_schema = 'public' and c.column_name = 'tenant_id' and x.table_type = 'BASE TABLE' order by 1`;
      const left: string[] = [];
      for (const { table_name } of tables) {
        if (KEPT.has(table_name)) continue;
        const [row] = await owner`select count(*)::int as n from ${owner(table_name)} where tenant_id = ${t}`;
        if ((row?.n ?? 0) > 0) left.push(`${table_name}: ${row?.n}`);
      }
      expect(left).toEqual([]);
    };
    await nothingLeft();

    // its credentials stop at once, the operator no longer lists it, and it answers 404 from now on
    expect((await h.call('GET', '/tenant', { token: gone.key })).status).toBe(401);
    expect((await h.call('GET', '/events?after=0&limit=10', { token: gone.key })).status).toBe(401);
    expect(((await ok('GET', '/tenants', OPERATOR)).tenants as { id: string }[]).map((x) => x.id)).not.toContain(t);
    expect((await h.call('DELETE', `/tenants/${t}`, { token: OPERATOR })).status).toBe(404);
    // its slug is never given out again
    expect((await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Impostor', slug: gone.slug } })).status).toBe(409);

    // the log stays, unreadable: its sealed fields do not open, yet the operator's verify holds
    const log = await h.platform.runtime.store.readTenant(t, 0, 1000);
    expect(log.at(-1)?.type).toBe('tenant.offboarded.v1');
    for (const e of log.filter((x) => x.stream === `document-${doc.id}` && typeof x.data.sealed === 'string')) {
      await expect(openJson(stores.keyring, t, doc.id, String(e.data.sealed))).rejects.toBeInstanceOf(DataKeyDestroyedError);
    }
    expect(await h.platform.runtime.store.verify(t)).toMatchObject({ ok: true, first_broken: null, last_seq: log.length });

    // a rebuild of every store from the log yields nothing
    await rebuildAll(t);
    await nothingLeft();
    expect((await checkConsistency({ sql: h.platform.runtime.sql, stores, tenantId: t })).filter(hasDrift)).toEqual([]);

    // the other tenant is untouched
    expect(await h.platform.runtime.store.head(keep.id)).toBe(keepHead);
    expect((await h.call('GET', '/tenant', { token: keep.key })).status).toBe(200);
    expect(await searchIds(keep.key, keep.project, 'Marisol Ferreira')).toHaveLength(1);
    expect(await h.platform.runtime.store.verify(keep.id)).toMatchObject({ ok: true });
  });
});
