import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivityQueryInput, limitsRpc } from '@mandant/contracts';
import { createSql } from '@mandant/shared/db';
import { chunkId } from '@mandant/shared/ids';
import { createRpcClient } from '@mandant/shared/rpc';
import { findNatsServer } from '@mandant/shared/runtime';
import { SETTLE_MS, backendMissing, eventually, postgresUrls } from '@mandant/shared/testing';
import { toFormData } from '@mandant/client';
import { type Harness, OPERATOR, ok, startHarness, waitForDocument } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const runs = (numRuns: number) => ({ seed: Number(process.env.FC_SEED ?? 20261202), numRuns });
const PROBLEMS = 'https://mandant.dev/problems/';

// Long enough for several overlapping passages: each paragraph names the same few entities.
const paragraph = (n: number) =>
  `Paragraph ${n}. Acme Holdings wired funds to Maria Gonzalez in Panama on behalf of Northwind Trading. ` +
  `The transfer of ${n} million was approved by John Smith, who said Acme Holdings would report it. ` +
  'Investigators later traced the money through three shell companies and a trust registered abroad.';
const TEXT = Array.from({ length: 40 }, (_, i) => paragraph(i + 1)).join('\n\n');

describe.skipIf(!pg || natsMissing)("a document's text, entities and cited passages over HTTP", () => {
  let h: Harness;
  let admin = '';
  let foreign = '';
  let viewer = '';
  let outsider = '';
  let auditor = '';
  let project = '';
  let doc = '';
  let other = '';
  const api = (token: string) => h.client(token);
  const head = async () => (await ok(api(admin).GET('/events', { params: { query: { after: 0, limit: 1 } } }))).head;

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { USAGE_FLUSH_MS: '100' } });
    const suffix = randomUUID().slice(0, 6);
    const operator = api(OPERATOR);
    admin = (await ok(operator.POST('/tenants', { body: { name: 'Newsroom', slug: `content-${suffix}` } }))).admin_api_key;
    foreign = (await ok(operator.POST('/tenants', { body: { name: 'Other', slug: `elsewhere-${suffix}` } }))).admin_api_key;
    const user = async (name: string) => {
      const u = await ok(api(admin).POST('/users', { body: { email: `${name}-${suffix}@news.example`, name } }));
      return { id: u.id, key: (await ok(api(admin).POST('/api-keys', { body: { name, user_id: u.id } }))).secret };
    };
    const v = await user('viewer');
    viewer = v.key;
    outsider = (await user('outsider')).key;
    auditor = (await ok(api(admin).POST('/api-keys', { body: { name: 'audit', role: 'auditor' } }))).secret;
    project = (await ok(api(admin).POST('/projects', { body: { name: 'Offshore leaks' } }))).id;
    await ok(
      api(admin).PUT('/projects/{id}/members/{user_id}', { params: { path: { id: project, user_id: v.id } }, body: { role: 'viewer' } }),
    );
    doc = (
      await ok(
        api(admin).POST('/projects/{id}/documents', { params: { path: { id: project } }, body: { title: 'Wire memo', content: TEXT } }),
      )
    ).id;
    other = (
      await ok(
        api(admin).POST('/projects/{id}/documents', {
          params: { path: { id: project } },
          body: { title: 'Second memo', content: 'Northwind Trading met Maria Gonzalez in Berlin.' },
        }),
      )
    ).id;
    // with their embeddings, which ingestion appends after they are processed: a test below
    // compares the log's head before and after and wants nothing else to move it
    const embedded = (d: { status: string; embeddings: unknown[] }) => d.status === 'processed' && d.embeddings.length > 0;
    await waitForDocument(h, doc, admin, embedded);
    await waitForDocument(h, other, admin, embedded);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers the extracted text with every passage at its character span, each passage as it is cited', async () => {
    const content = await ok(api(viewer).GET('/documents/{id}/content', { params: { path: { id: doc } } }));
    expect(content).toMatchObject({ document_id: doc, title: 'Wire memo', truncated: false });
    expect(content.text).toContain('Paragraph 40.');
    expect(content.text).toContain('Acme Holdings wired funds');
    const processed = await ok(api(viewer).GET('/documents/{id}', { params: { path: { id: doc } } }));
    expect(content.chunks.length).toBe(processed.chunk_count);
    expect(content.chunks.length).toBeGreaterThan(2);
    expect(content.chunks.map((c) => c.index)).toEqual(content.chunks.map((_, i) => i));
    expect(new Set(content.chunks.map((c) => c.chunk_id)).size).toBe(content.chunks.length);
    for (const [i, c] of content.chunks.entries()) {
      expect(c.start).toBeLessThan(c.end);
      expect(c.end).toBeLessThanOrEqual(content.text.length);
      // passages overlap: each starts before the previous one ended, and after it started
      const prev = content.chunks[i - 1];
      if (prev) expect([c.start > prev.start, c.start < prev.end]).toEqual([true, true]);
      const passage = await ok(
        api(viewer).GET('/documents/{id}/chunks/{chunk_id}', { params: { path: { id: doc, chunk_id: c.chunk_id } } }),
      );
      expect(passage).toEqual({
        document_id: doc,
        chunk_id: c.chunk_id,
        index: c.index,
        title: 'Wire memo',
        text: content.text.slice(c.start, c.end),
        start: c.start,
        end: c.end,
      });
    }
    expect(content.chunks[0]?.start).toBe(0);
    expect(content.chunks.at(-1)?.end).toBe(content.text.trimEnd().length);
  });

  it("opens the passage a search hit names, by the hit's chunk_id", async () => {
    // the text index follows the log: search until the document is in it
    const hit = await eventually(async () => {
      const found = await ok(
        api(viewer).POST('/projects/{id}/search', {
          params: { path: { id: project } },
          body: { query: 'Paragraph 17 transfer', mode: 'keyword' },
        }),
      );
      return found.hits.find((x) => x.document_id === doc) ?? false;
    }, 'a search hit in the document');
    const passage = await ok(
      api(viewer).GET('/documents/{id}/chunks/{chunk_id}', { params: { path: { id: doc, chunk_id: hit.chunk_id } } }),
    );
    expect(passage.index).toBe(hit.chunk_index);
    expect(passage.text).toContain('Paragraph 17');
  });

  it("lists the document's entities, most mentioned first, with their mention counts", async () => {
    const { entities, document_id } = await ok(api(viewer).GET('/documents/{id}/entities', { params: { path: { id: doc } } }));
    expect(document_id).toBe(doc);
    const byName = new Map(entities.map((e) => [e.name, e]));
    expect(byName.get('Acme Holdings')).toMatchObject({ type: 'organisation' });
    expect(byName.get('Maria Gonzalez')?.mentions).toBeGreaterThanOrEqual(40);
    expect(byName.get('Acme Holdings')?.mentions).toBeGreaterThanOrEqual(80);
    expect(entities.map((e) => e.mentions)).toEqual([...entities.map((e) => e.mentions)].sort((a, b) => b - a));
    // the same ids the tenant's entity routes answer
    const acme = byName.get('Acme Holdings');
    if (acme) {
      const entity = await eventually(
        async () => (await api(viewer).GET('/entities/{id}', { params: { path: { id: acme.entity_id } } })).data ?? false,
        'the entity in the graph',
      );
      expect(entity.id).toBe(acme.entity_id);
    }
    // merging one of its entities into another lists the survivor once, with the mentions of both
    const northwind = byName.get('Northwind Trading');
    expect(northwind).toBeDefined();
    if (!acme || !northwind) return;
    await ok(api(admin).POST('/entities/{id}/merge', { params: { path: { id: northwind.entity_id } }, body: { into: acme.entity_id } }));
    const after = (await ok(api(viewer).GET('/documents/{id}/entities', { params: { path: { id: doc } } }))).entities;
    expect(after.filter((e) => e.entity_id === northwind.entity_id)).toEqual([]);
    expect(after.filter((e) => e.entity_id === acme.entity_id)).toEqual([
      { entity_id: acme.entity_id, name: 'Acme Holdings', type: 'organisation', mentions: acme.mentions + northwind.mentions },
    ]);
    expect(after).toHaveLength(entities.length - 1);
    expect(after.map((e) => e.mentions)).toEqual([...after.map((e) => e.mentions)].sort((a, b) => b - a));
  });

  it('answers 404, never 403, to a non-member and to another tenant; 404 for another document’s passage or an unknown one', async () => {
    const first = (await ok(api(admin).GET('/documents/{id}/content', { params: { path: { id: doc } } }))).chunks[0]?.chunk_id ?? '';
    const otherChunk = (await ok(api(admin).GET('/documents/{id}/content', { params: { path: { id: other } } }))).chunks[0]?.chunk_id ?? '';
    const notFound = async (call: Promise<{ error?: unknown; response: Response }>) => {
      const res = await call;
      expect([res.response.status, (res.error as { type?: string } | undefined)?.type]).toEqual([404, `${PROBLEMS}not-found`]);
    };
    for (const token of [outsider, foreign]) {
      await notFound(api(token).GET('/documents/{id}/content', { params: { path: { id: doc } } }));
      await notFound(api(token).GET('/documents/{id}/entities', { params: { path: { id: doc } } }));
      await notFound(api(token).GET('/documents/{id}/chunks/{chunk_id}', { params: { path: { id: doc, chunk_id: first } } }));
    }
    await notFound(api(viewer).GET('/documents/{id}/chunks/{chunk_id}', { params: { path: { id: doc, chunk_id: otherChunk } } }));
    await notFound(api(viewer).GET('/documents/{id}/chunks/{chunk_id}', { params: { path: { id: doc, chunk_id: randomUUID() } } }));
    await notFound(api(viewer).GET('/documents/{id}/content', { params: { path: { id: randomUUID() } } }));
    // the unknown-document answer is the same whether the document exists elsewhere or not at all
    const hidden = await h.call('GET', `/documents/${doc}/entities`, { token: foreign });
    const missing = await h.call('GET', `/documents/${randomUUID()}/entities`, { token: foreign });
    expect([hidden.status, hidden.body.title, hidden.body.detail]).toEqual([missing.status, missing.body.title, missing.body.detail]);
  });

  it('answers 409 with the status for a document that has no text (failed), and 404 once it is deleted', async () => {
    const body = { file: new File([new TextEncoder().encode('%PDF-1.7\nnot really a pdf\n%%EOF')], 'broken.pdf') };
    const up = await ok(
      api(admin).POST('/projects/{id}/documents', { params: { path: { id: project } }, body, bodySerializer: toFormData }),
    );
    await waitForDocument(h, up.id, admin, (d) => d.status === 'failed');
    for (const path of [`/documents/${up.id}/content`, `/documents/${up.id}/entities`, `/documents/${up.id}/chunks/${randomUUID()}`]) {
      const res = await h.call('GET', path, { token: viewer });
      expect([res.status, res.body.type, res.body.status]).toEqual([409, `${PROBLEMS}conflict`, 409]);
      expect(res.body.detail).toContain('failed');
    }
    const del = await api(admin).DELETE('/documents/{id}', { params: { path: { id: doc } } });
    expect(del.response.status).toBe(204);
    expect((await h.call('GET', `/documents/${doc}/content`, { token: admin })).status).toBe(404);
  });

  it('refuses hostile document and chunk ids with a 4xx problem and changes nothing', async () => {
    const before = await head();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.uuid().map((u) => `${u}x`),
          fc.constant('..%2f..'),
        ),
        fc.boolean(),
        async (bad, asChunk) => {
          const path = asChunk ? `/documents/${other}/chunks/${encodeURIComponent(bad)}` : `/documents/${encodeURIComponent(bad)}/content`;
          const res = await h.call('GET', path, { token: viewer });
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        },
      ),
      runs(60),
    );
    expect(await head()).toBe(before);
  });

  it('streams a text longer than a message holds, cut at 2,000,000 characters; passages past the cut are read one at a time', async () => {
    // about 2.1 million characters: past the cut, and twice what one message on the bus carries
    const words = ['ledger', 'invoice', 'harbour', 'tender', 'pension', 'notary', 'freight', 'quarry', 'subsidy', 'licence'];
    const line = (i: number) => `Entry ${i}: ${words.map((w, k) => `${w}${(i * 7 + k) % 1000}`).join(' ')} recorded and filed.`;
    const lines: string[] = [];
    for (let i = 0, n = 0; n < 2_100_000; i++) {
      const l = i % 20 === 19 ? `${line(i)}\n` : line(i);
      lines.push(l);
      n += l.length + 1;
    }
    const big = lines.join('\n');
    const body = { file: new File([new TextEncoder().encode(big)], 'ledger.txt'), title: 'Ledger' };
    const up = await ok(
      api(admin).POST('/projects/{id}/documents', { params: { path: { id: project } }, body, bodySerializer: toFormData }),
    );
    await waitForDocument(h, up.id, admin, (d) => d.status === 'processed' || d.status === 'failed', 4 * SETTLE_MS);
    const content = await ok(api(viewer).GET('/documents/{id}/content', { params: { path: { id: up.id } } }));
    expect(content.truncated).toBe(true);
    expect(content.text.length).toBe(2_000_000);
    expect(big.startsWith(content.text)).toBe(true);
    const last = content.chunks.at(-1);
    expect(last?.end).toBeLessThanOrEqual(2_000_000);
    const all = (await ok(api(viewer).GET('/documents/{id}', { params: { path: { id: up.id } } }))).chunk_count;
    expect(content.chunks.length).toBeLessThan(all);
    // the first passage past the cut, by its id as search hits and citations name it
    const next = content.chunks.length;
    const passage = await ok(
      api(viewer).GET('/documents/{id}/chunks/{chunk_id}', { params: { path: { id: up.id, chunk_id: chunkId(up.id, next) } } }),
    );
    expect(passage.index).toBe(next);
    expect(passage.end).toBeGreaterThan(2_000_000);
    expect(big.slice(passage.start, passage.end)).toBe(passage.text);
  });

  it("counts the tenant's answers per minute by status class; admins and auditors read them, members do not", async () => {
    const activity = await eventually(async () => {
      const a = await ok(api(admin).GET('/tenant/activity', { params: { query: { minutes: 5 } } }));
      const sum = (k: 'requests' | 'client_errors' | 'server_errors' | 'rate_limited') => a.minutes.reduce((n, m) => n + m[k], 0);
      return sum('requests') > 20 && sum('client_errors') > 5 && { a, sum };
    }, 'activity flushed');
    const { a, sum } = activity;
    expect(a.minutes).toHaveLength(5);
    expect(Date.parse(a.to) - Date.parse(a.from)).toBe(5 * 60_000);
    a.minutes.forEach((m, i) => expect(Date.parse(m.minute)).toBe(Date.parse(a.from) + i * 60_000));
    expect(sum('server_errors')).toBe(0);
    expect(sum('rate_limited')).toBe(0);
    // the default window is an hour, every minute present
    const hour = await ok(api(auditor).GET('/tenant/activity'));
    expect(hour.minutes).toHaveLength(60);
    // another tenant's window holds only its own answers
    const theirs = await ok(api(foreign).GET('/tenant/activity', { params: { query: { minutes: 1440 } } }));
    expect(theirs.minutes).toHaveLength(1440);
    expect(theirs.minutes.reduce((n, m) => n + m.requests, 0)).toBeLessThan(sum('requests'));
    const refused = await h.call('GET', '/tenant/activity', { token: viewer });
    expect([refused.status, refused.body.type]).toEqual([403, `${PROBLEMS}forbidden`]);
  });

  it('refuses a hostile minutes parameter with 400 and answers every valid one in full', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 12 }),
          fc.integer({ min: -100_000, max: 100_000 }).map(String),
          fc.double({ noNaN: false }).map(String),
          fc.constantFrom('0', '1441', '1e3', ' 5', '0x10', 'Infinity', '60.5', '-1', ''),
        ),
        async (minutes) => {
          const res = await h.call('GET', `/tenant/activity?minutes=${encodeURIComponent(minutes)}`, { token: admin });
          const parsed = ActivityQueryInput.safeParse({ minutes });
          if (parsed.success) {
            expect(res.status).toBe(200);
            expect(res.body.minutes).toHaveLength(parsed.data.minutes);
          } else {
            expect(res.status).toBe(400);
            expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          }
        },
      ),
      runs(60),
    );
  });

  it("prunes a tenant's minutes older than the retention on its next flush, and drops them all when it is offboarded", async () => {
    const tenantId = (await ok(api(foreign).GET('/tenant'))).id;
    const owner = createSql(h.databaseUrl, { max: 1 });
    const rpc = await createRpcClient(h.platform.runtime.rpc);
    const rows = async () =>
      (
        await owner<
          { n: number; old: number }[]
        >`select count(*)::int as n, count(*) filter (where minute < now() - interval '3 days')::int as old
        from tenant_activity where tenant_id = ${tenantId}`
      )[0];
    const flush = (minute: string) =>
      rpc.request<unknown>(limitsRpc.usageRecord, {
        principal: null,
        operator: true,
        meta: { correlation_id: randomUUID(), traceparent: null },
        input: {
          increments: [],
          minutes: [{ tenant_id: tenantId, minute, requests: 1, client_errors: 0, server_errors: 0, rate_limited: 0 }],
        },
      });
    try {
      await eventually(async () => ((await rows())?.n ?? 0) > 0, 'the tenant has activity');
      const old = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 4 * 86_400_000).toISOString();
      await owner`insert into tenant_activity (tenant_id, minute, requests) values (${tenantId}, ${old}, 7)`;
      expect((await rows())?.old).toBe(1);
      const now = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
      expect(await flush(now)).toMatchObject({ ok: true });
      expect((await rows())?.old).toBe(0);
      // a minute that is not one is refused, and nothing is written
      const before = (await rows())?.n;
      expect(await flush(now.replace(':00.000Z', ':30.000Z'))).toMatchObject({ ok: false, error: { code: 'validation.failed' } });
      expect((await rows())?.n).toBe(before);

      expect((await h.call('DELETE', `/tenants/${tenantId}`, { token: OPERATOR })).status).toBe(204);
      await eventually(async () => (await rows())?.n === 0, "the offboarded tenant's activity purged");
      // a gateway flushing afterwards writes nothing back
      expect(await flush(now)).toMatchObject({ ok: true });
      expect((await rows())?.n).toBe(0);
    } finally {
      await owner.end();
      await rpc.close();
    }
  });
});
