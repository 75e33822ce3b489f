import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from './build/generate.ts';
import { DATA_DIR, FILES, loadEvalSet, sharedContentWords } from './data.ts';

const set = loadEvalSet();
const grade3 = (queryId: string) => [...(set.grades.get(queryId) ?? [])].filter(([, g]) => g === 3).map(([id]) => id);

describe('the relevance evaluation set', () => {
  it('has at least 300 documents with distinct ids and texts', () => {
    expect(set.docs.length).toBeGreaterThanOrEqual(300);
    expect(new Set(set.docs.map((d) => d.id)).size).toBe(set.docs.length);
    expect(new Set(set.docs.map((d) => d.text)).size).toBe(set.docs.length);
  });

  it('has at least 60 queries, at least 8 of them out of corpus with no judgement', () => {
    expect(set.queries.length).toBeGreaterThanOrEqual(60);
    const ooc = set.queries.filter((q) => q.kind === 'out-of-corpus');
    expect(ooc.length).toBeGreaterThanOrEqual(8);
    for (const q of ooc) expect(set.grades.get(q.id)?.size, q.text).toBe(0);
  });

  it('judges only existing documents and queries, and gives every in-corpus query a document graded 2 or more', () => {
    const docs = new Set(set.docs.map((d) => d.id));
    const queries = new Set(set.queries.map((q) => q.id));
    for (const j of set.judgements) {
      expect(docs.has(j.doc_id), j.doc_id).toBe(true);
      expect(queries.has(j.query_id), j.query_id).toBe(true);
    }
    for (const q of set.queries.filter((x) => x.kind !== 'out-of-corpus'))
      expect(
        [...(set.grades.get(q.id)?.values() ?? [])].some((g) => g >= 2),
        q.text,
      ).toBe(true);
  });

  it('splits the queries about 2:1 into dev and held-out, with every kind in both', () => {
    const dev = set.queries.filter((q) => q.split === 'dev');
    const held = set.queries.filter((q) => q.split === 'held-out');
    expect(dev.length / held.length).toBeGreaterThan(1.5);
    expect(dev.length / held.length).toBeLessThan(3);
    for (const kind of new Set(set.queries.map((q) => q.kind))) {
      expect(
        dev.some((q) => q.kind === kind),
        kind,
      ).toBe(true);
      expect(
        held.some((q) => q.kind === kind),
        kind,
      ).toBe(true);
    }
  });

  it('has paraphrase queries that share no content word with their grade-3 documents', () => {
    const paraphrases = set.queries.filter((q) => q.kind === 'paraphrase');
    expect(paraphrases.length).toBeGreaterThanOrEqual(8);
    for (const q of paraphrases) {
      const targets = grade3(q.id);
      expect(targets.length, q.text).toBeGreaterThan(0);
      for (const id of targets) {
        const d = set.docs.find((x) => x.id === id);
        expect(sharedContentWords(q.text, `${d?.title ?? ''}\n${d?.text ?? ''}`), `${q.id} vs ${id}`).toEqual([]);
      }
    }
  });

  it('is exactly what the generator writes, so the data and its rules cannot drift apart', () => {
    const built = build();
    const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    expect(readFileSync(path.join(DATA_DIR, FILES.docs), 'utf8')).toBe(jsonl(built.docs));
    expect(readFileSync(path.join(DATA_DIR, FILES.queries), 'utf8')).toBe(jsonl(built.queries));
    expect(readFileSync(path.join(DATA_DIR, FILES.judgements), 'utf8')).toBe(jsonl(built.judgements));
  });
});

describe('the content-word check', () => {
  it('ignores stopwords and single letters and matches simple inflections', () => {
    expect(sharedContentWords("the minister's son", 'a son of the minister')).toEqual(['minister', 'son']);
    expect(sharedContentWords('transfers', 'it was transferred')).toEqual(['transfer']);
    expect(sharedContentWords('money moved to an offshore firm', 'funds went to a Cypriot shell company')).toEqual([]);
  });
});
