import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TextIndexInputError } from './port.ts';
import { describeTextQueries } from './text-query.contract.ts';
import type { TextDocument, TextIndex } from './port.ts';

/**
 * The behaviour every TextIndex adapter must show. Each test works in fresh random tenants and
 * drops them afterwards, so adapters (and CI jobs) can share one server. Words are chosen so
 * that no engine feature beyond exact words (stemming, typo tolerance, prefixes) is needed.
 */
export function describeTextIndex(name: string, factory: () => TextIndex | Promise<TextIndex>): void {
  describe(`TextIndex contract: ${name}`, () => {
    let index: TextIndex;
    const tenants: string[] = [];
    beforeAll(async () => {
      index = await factory();
    });
    afterEach(async () => {
      for (const t of tenants.splice(0)) await index.dropTenant(t);
    });

    const newTenant = async (): Promise<string> => {
      const t = randomUUID();
      tenants.push(t);
      await index.ensureIndex(t);
      return t;
    };
    const doc = (p: Partial<TextDocument> = {}): TextDocument => ({
      id: randomUUID(),
      document_id: randomUUID(),
      title: 'Untitled',
      content: 'nothing to see here',
      project_ids: [],
      document_type: 'pdf',
      entity_names: [],
      created_at: '2024-03-01T12:00:00.000Z',
      ...p,
    });
    const ids = (hits: Array<{ id: string }>): string[] => hits.map((h) => h.id);
    const sorted = (xs: string[]): string[] => [...xs].sort();

    describeTextQueries({ index: () => index, newTenant, doc });

    it('finds a document by a word of its content, whatever the case, with its fields', async () => {
      const t = await newTenant();
      const project = randomUUID();
      const d = doc({
        title: 'Quarterly memo',
        content: 'Funds were moved through a shell company in Valletta.',
        project_ids: [project],
        entity_names: ['Valletta'],
      });
      await index.upsert(t, [d, doc()]);
      const hits = await index.search(t, 'SHELL', { limit: 10 });
      expect(ids(hits)).toEqual([d.id]);
      const { score, snippet, matched_terms, ...fields } = hits[0] ?? { score: 0, snippet: '', matched_terms: 0 };
      expect(matched_terms).toBe(1);
      expect(fields).toEqual({
        id: d.id,
        document_id: d.document_id,
        title: d.title,
        project_ids: [project],
        document_type: 'pdf',
        entity_names: ['Valletta'],
        created_at: d.created_at,
      });
      expect(score).toBeGreaterThan(0);
      expect(snippet).toContain('<mark>shell</mark>');
    });

    it('ranks a match in the title above a match in the content', async () => {
      const t = await newTenant();
      const inContent = doc({ title: 'Annual report', content: 'The company held offshore accounts for years.' });
      const inTitle = doc({ title: 'Offshore accounts', content: 'The annual report of the company for years.' });
      await index.upsert(t, [inContent, inTitle]);
      const hits = await index.search(t, 'offshore', { limit: 10 });
      expect(ids(hits)).toEqual([inTitle.id, inContent.id]);
      expect(hits[0]?.score ?? 0).toBeGreaterThan(hits[1]?.score ?? 0);
    });

    it('scopes a search to any of the given projects; no scope is tenant-wide; an empty scope finds nothing', async () => {
      const t = await newTenant();
      const [pa, pb, pc] = [randomUUID(), randomUUID(), randomUUID()];
      const content = 'a ledger of payments';
      const inA = doc({ content, project_ids: [pa] });
      const inB = doc({ content, project_ids: [pb] });
      const inBoth = doc({ content, project_ids: [pa, pb] });
      const unassigned = doc({ content });
      await index.upsert(t, [inA, inB, inBoth, unassigned]);
      const find = async (projectIds?: string[]) => sorted(ids(await index.search(t, 'ledger', { projectIds, limit: 10 })));
      expect(await find([pa])).toEqual(sorted([inA.id, inBoth.id]));
      expect(await find([pb, pc])).toEqual(sorted([inB.id, inBoth.id]));
      expect(await find([pc])).toEqual([]);
      expect(await find([])).toEqual([]);
      expect(await find(undefined)).toEqual(sorted([inA.id, inB.id, inBoth.id, unassigned.id]));
    });

    it('filters by document type, inclusive date range and entity', async () => {
      const t = await newTenant();
      const content = 'invoice for consulting';
      const a = doc({ content, document_type: 'pdf', created_at: '2024-01-01T00:00:00.000Z', entity_names: ['Acme Corp'] });
      const b = doc({ content, document_type: 'docx', created_at: '2024-02-01T00:00:00.000Z', entity_names: ['Jane Doe', 'Acme Corp'] });
      const c = doc({ content, document_type: 'pdf', created_at: '2024-03-01T00:00:00.000Z' });
      await index.upsert(t, [a, b, c]);
      const find = async (o: Omit<Parameters<TextIndex['search']>[2], 'limit'>) =>
        sorted(ids(await index.search(t, 'invoice', { ...o, limit: 10 })));
      expect(await find({ documentType: 'pdf' })).toEqual(sorted([a.id, c.id]));
      expect(await find({ from: '2024-02-01T00:00:00Z', to: '2024-03-01T00:00:00Z' })).toEqual(sorted([b.id, c.id]));
      expect(await find({ to: '2024-01-31T23:59:59Z' })).toEqual([a.id]);
      expect(await find({ entity: 'Acme Corp' })).toEqual(sorted([a.id, b.id]));
      expect(await find({ entity: 'Acme Corp', documentType: 'docx' })).toEqual([b.id]);
    });

    it('pages with limit and offset', async () => {
      const t = await newTenant();
      await index.upsert(
        t,
        [1, 2, 3, 4, 5].map(() => doc({ content: 'memorandum' })),
      );
      const all = ids(await index.search(t, 'memorandum', { limit: 5 }));
      expect(all).toHaveLength(5);
      const pages = [
        ...ids(await index.search(t, 'memorandum', { limit: 2 })),
        ...ids(await index.search(t, 'memorandum', { limit: 3, offset: 2 })),
      ];
      expect(sorted(pages)).toEqual(sorted(all));
    });

    // engines differ on markup in the text (PostgreSQL drops tags from headlines, Meilisearch
    // keeps them): either way none of it may reach the snippet as markup
    it('highlights matches in an HTML-escaped snippet of the content', async () => {
      const t = await newTenant();
      const d = doc({ content: 'Minutes: the <b>trustee</b> signed & the trustee left. <script>alert(1)</script>' });
      await index.upsert(t, [d]);
      const [hit] = await index.search(t, 'trustee', { limit: 1 });
      expect(hit?.snippet).toContain('<mark>trustee</mark>');
      expect(hit?.snippet).toContain('signed &amp; the');
      expect(hit?.snippet.replaceAll('<mark>', '').replaceAll('</mark>', '')).not.toMatch(/[<>]/);
    });

    it('setDocumentProjects moves every entry of a document between project scopes', async () => {
      const t = await newTenant();
      const [pa, pb] = [randomUUID(), randomUUID()];
      const documentId = randomUUID();
      const chunks = [0, 1, 2].map(() => doc({ document_id: documentId, content: 'pipeline contract', project_ids: [pa] }));
      const other = doc({ content: 'pipeline contract', project_ids: [pa] });
      await index.upsert(t, [...chunks, other]);

      await index.setDocumentProjects(t, documentId, [pb]);
      expect(ids(await index.search(t, 'pipeline', { projectIds: [pa], limit: 10 }))).toEqual([other.id]);
      expect(sorted(ids(await index.search(t, 'pipeline', { projectIds: [pb], limit: 10 })))).toEqual(sorted(ids(chunks)));

      await index.setDocumentProjects(t, documentId, []);
      expect(await index.search(t, 'pipeline', { projectIds: [pb], limit: 10 })).toEqual([]);
      expect(await index.search(t, 'pipeline', { limit: 10 })).toHaveLength(4);
      const snap = await index.snapshot(t);
      expect(snap.find((d) => d.id === other.id)?.project_ids).toEqual([pa]);
    });

    it('setProjectsOfDocuments sets each document its own projects at once, the last entry of a document winning', async () => {
      const t = await newTenant();
      const [pa, pb, pc] = [randomUUID(), randomUUID(), randomUUID()];
      const [one, two] = [randomUUID(), randomUUID()];
      const ofOne = [0, 1].map(() => doc({ document_id: one, content: 'ledger contract', project_ids: [pa] }));
      const ofTwo = [0, 1].map(() => doc({ document_id: two, content: 'ledger contract', project_ids: [pa] }));
      const other = doc({ content: 'ledger contract', project_ids: [pa] });
      await index.upsert(t, [...ofOne, ...ofTwo, other]);

      await index.setProjectsOfDocuments(t, [
        { documentId: one, projectIds: [pc] },
        { documentId: two, projectIds: [pb, pc] },
        { documentId: one, projectIds: [pb] },
      ]);
      expect(ids(await index.search(t, 'ledger', { projectIds: [pa], limit: 10 }))).toEqual([other.id]);
      expect(sorted(ids(await index.search(t, 'ledger', { projectIds: [pb], limit: 10 })))).toEqual(sorted(ids([...ofOne, ...ofTwo])));
      expect(sorted(ids(await index.search(t, 'ledger', { projectIds: [pc], limit: 10 })))).toEqual(sorted(ids(ofTwo)));
      // one document alone: only its entries move
      await index.setProjectsOfDocuments(t, [{ documentId: two, projectIds: [pa] }]);
      expect(sorted(ids(await index.search(t, 'ledger', { projectIds: [pa], limit: 10 })))).toEqual(sorted(ids([other, ...ofTwo])));
      expect(sorted(ids(await index.search(t, 'ledger', { projectIds: [pb], limit: 10 })))).toEqual(sorted(ids(ofOne)));
      expect(await index.search(t, 'ledger', { projectIds: [pc], limit: 10 })).toEqual([]);
      await index.setProjectsOfDocuments(t, []);
      expect(await index.search(t, 'ledger', { limit: 10 })).toHaveLength(5);
    });

    it('deleteDocument removes every entry of that document only, and again is a no-op', async () => {
      const t = await newTenant();
      const documentId = randomUUID();
      const keep = doc({ content: 'subpoena' });
      await index.upsert(t, [
        doc({ document_id: documentId, content: 'subpoena' }),
        doc({ document_id: documentId, content: 'subpoena' }),
        keep,
      ]);
      await index.deleteDocument(t, documentId);
      expect(ids(await index.search(t, 'subpoena', { limit: 10 }))).toEqual([keep.id]);
      await index.deleteDocument(t, documentId);
      await index.deleteDocument(t, randomUUID());
      expect(await index.snapshot(t)).toHaveLength(1);
    });

    it('never shows, changes or deletes another tenant’s documents', async () => {
      const [t1, t2] = [await newTenant(), await newTenant()];
      const project = randomUUID();
      const mine = doc({ content: 'whistleblower testimony', project_ids: [project] });
      await index.upsert(t1, [mine]);
      await index.upsert(t2, [doc({ content: 'unrelated testimony' })]);
      expect(ids(await index.search(t2, 'whistleblower', { limit: 10 }))).toEqual([]);
      expect(await index.search(t2, 'testimony', { projectIds: [project], limit: 10 })).toEqual([]);
      await index.setDocumentProjects(t2, mine.document_id, []);
      await index.deleteDocument(t2, mine.document_id);
      await index.dropTenant(t2);
      expect(await index.snapshot(t1)).toEqual([mine]);
      expect(await index.snapshot(t2)).toEqual([]);
    });

    it('keeps two tenants apart even with equal entry ids and the same words', async () => {
      const [t1, t2] = [await newTenant(), await newTenant()];
      const [id, documentId] = [randomUUID(), randomUUID()];
      const first = doc({ id, document_id: documentId, title: 'Shared words', content: 'embezzlement inquiry' });
      const second = doc({ id, document_id: documentId, title: 'Shared words', content: 'embezzlement inquiry', document_type: 'docx' });
      await index.upsert(t1, [first]);
      await index.upsert(t2, [second]);
      expect((await index.search(t1, 'embezzlement', { limit: 10 })).map((h) => h.document_type)).toEqual(['pdf']);
      expect((await index.search(t2, 'embezzlement', { limit: 10 })).map((h) => h.document_type)).toEqual(['docx']);
      await index.deleteDocument(t2, documentId);
      expect(await index.snapshot(t1)).toEqual([first]);
      expect(await index.search(t2, 'embezzlement', { limit: 10 })).toEqual([]);
    });

    it('never throws on query text: quotes, operators, symbols and blanks', async () => {
      const t = await newTenant();
      await index.upsert(t, [doc({ content: 'offshore "leaks" and more' })]);
      const queries = [
        '',
        '   ',
        '"',
        '"offshore',
        'offshore"',
        '""',
        '"offshore leaks"',
        'offshore -leaks',
        '-',
        '--',
        'OR',
        'offshore OR',
        'AND NOT',
        '(',
        ')',
        '&|!:*',
        "'",
        '\\',
        'offshore:*',
        '<mark>',
        '%_',
        '\u0000',
        '🙂',
        'x'.repeat(5_000),
      ];
      for (const q of queries) {
        const hits = await index.search(t, q, { limit: 5 });
        expect(Array.isArray(hits), JSON.stringify(q)).toBe(true);
      }
      expect(await index.search(t, '', { limit: 5 })).toEqual([]);
      expect(await index.search(t, '  \n ', { limit: 5 })).toEqual([]);
      expect(await index.search(t, '"offshore', { limit: 5 })).toHaveLength(1);
    });

    it('treats a repeated upsert as one write and a changed one as a replacement', async () => {
      const t = await newTenant();
      const d = doc({ content: 'affidavit', created_at: '2024-05-06T07:08:09Z' });
      await index.upsert(t, [d, doc({ content: 'deposition' })]);
      const first = await index.snapshot(t);
      await index.upsert(t, [d]);
      expect(await index.snapshot(t)).toEqual(first);
      expect(first.find((x) => x.id === d.id)?.created_at).toBe('2024-05-06T07:08:09.000Z');
      expect(ids(first)).toEqual(sorted(ids(first)));
      await index.upsert(t, [{ ...d, content: 'retraction' }]);
      expect(await index.search(t, 'affidavit', { limit: 5 })).toEqual([]);
      expect(ids(await index.search(t, 'retraction', { limit: 5 }))).toEqual([d.id]);
      expect(await index.snapshot(t)).toHaveLength(2);
    });

    it('refuses entries with ids that are not uuids before writing anything', async () => {
      const t = await newTenant();
      await expect(index.upsert(t, [doc(), doc({ id: 'not-a-uuid' })])).rejects.toBeInstanceOf(TextIndexInputError);
      await expect(index.upsert(t, [doc({ project_ids: ['p1'] })])).rejects.toBeInstanceOf(TextIndexInputError);
      expect(await index.snapshot(t)).toEqual([]);
    });
  });
}
