import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createHashingEmbedder, type Embedder } from './embed/embedder.ts';
import { chunkingFor, processDocument, type ProcessedDocument } from './pipeline.ts';
import { buildPdf } from './testing/pdf-builder.ts';
import { buildDocx } from './testing/zip-builder.ts';

const embedder = createHashingEmbedder({ dimension: 32 });
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function processed(result: Awaited<ReturnType<typeof processDocument>>): ProcessedDocument {
  if (result.status !== 'processed') throw new Error(`expected processed, got ${JSON.stringify(result)}`);
  return result;
}

describe('processDocument', () => {
  const paragraphs = [
    'Die Staatsanwaltschaft München ermittelt gegen Markus Braun von der Wirecard AG.',
    'Über Konten in Singapur flossen 1,9 Milliarden Euro. Kontakt: presse@wirecard.example.',
    'Markus Braun bestreitet die Vorwürfe; die Wirecard AG meldete Insolvenz an.',
  ];

  it('turns a DOCX into text, chunks with vectors, mentions and relations', async () => {
    const bytes = buildDocx(paragraphs, { title: 'Fall Wirecard' });
    const doc = processed(await processDocument(bytes, { embedder }, { chunk: { maxTokens: 30, overlapTokens: 5 } }));

    expect(doc).toMatchObject({ status: 'processed', kind: 'docx', ext: 'docx', title: 'Fall Wirecard' });
    expect(doc.content_sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(doc.text).toBe(paragraphs.join('\n\n'));
    expect(doc.embedding).toEqual({ model: 'local-hashing-v1-32', dimension: 32 });
    expect(doc.chunks.length).toBeGreaterThan(2);
    for (const c of doc.chunks) {
      expect(doc.text.slice(c.start, c.end)).toBe(c.text);
      expect(c.vector).toHaveLength(32);
    }
    // mention spans index into the whole text, and lie inside their chunk
    for (const m of doc.mentions) {
      expect(doc.text.slice(m.start, m.end)).toBe(m.name);
      const chunk = doc.chunks[m.chunk_index];
      expect(chunk !== undefined && m.start >= chunk.start && m.end <= chunk.end).toBe(true);
    }
    expect(new Set(doc.mentions.map((m) => `${m.type}:${m.normalised}`))).toEqual(
      new Set([
        'organisation:staatsanwaltschaft munchen',
        'person:markus braun',
        'organisation:wirecard ag',
        'place:singapur',
        'money:EUR 1900000000',
        'email:presse@wirecard.example',
      ]),
    );
    const braunWirecard = doc.relations.find((r) => r.source.normalised === 'wirecard ag' && r.target.normalised === 'markus braun');
    expect(braunWirecard?.confidence).toBeGreaterThan(0);
  });

  it('processes a PDF, keeps its page count, and prefers a title given at upload', async () => {
    const pdf = buildPdf({ pages: [['Anna Schmidt of the Beta GmbH met investors in Zürich.']], title: 'Scan 0042' });
    const doc = processed(await processDocument(pdf, { embedder }, { title: 'Beta GmbH meeting notes' }));
    expect(doc).toMatchObject({ kind: 'pdf', pages: 1, title: 'Beta GmbH meeting notes' });
    expect(doc.mentions.map((m) => m.name)).toEqual(['Anna Schmidt', 'Beta GmbH', 'Zürich']);
  });

  it('titles an untitled text by its first line', async () => {
    const doc = processed(await processDocument(utf8('\n  Protokoll der Sitzung vom 3. Mai\nInhalt folgt.'), { embedder }));
    expect(doc.title).toBe('Protokoll der Sitzung vom 3. Mai');
    expect(doc.kind).toBe('text');
  });

  it('reports an unreadable document as failed with a user-facing reason and its hash', async () => {
    const locked = buildPdf({ pages: [['Secret']], encrypt: { userPassword: 'u', ownerPassword: 'o' } });
    const result = await processDocument(locked, { embedder });
    expect(result).toEqual({
      status: 'failed',
      kind: 'pdf',
      content_type: 'application/pdf',
      ext: 'pdf',
      content_sha256: createHash('sha256').update(locked).digest('hex'),
      reason: { code: 'extraction.encrypted', message: expect.stringMatching(/password-protected/) },
    });
    const binary = await processDocument(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]), { embedder });
    expect(binary).toMatchObject({ status: 'failed', kind: 'unsupported', reason: { code: 'extraction.unsupported_type' } });
  });

  it('lets an embedder failure reject, since it says nothing about the document', async () => {
    const failing: Embedder = { model: 'm', dimension: 2, minSimilarity: 0, embed: () => Promise.reject(new Error('provider down')) };
    await expect(processDocument(utf8('Some text.'), { embedder: failing })).rejects.toThrow('provider down');
  });

  it("chunks by the embedder's own token count, within what the model reads, and embeds chunks as passages", async () => {
    const purposes: (string | undefined)[] = [];
    // one token per word, plus [CLS] and [SEP]; reads at most 12
    const counting: Embedder = {
      model: 'words-12',
      dimension: 2,
      minSimilarity: 0,
      tokens: { max: 12, count: (t) => t.split(/\s+/).filter((w) => w !== '').length + 2 },
      embed: (texts, purpose) => {
        purposes.push(purpose);
        return Promise.resolve(texts.map(() => [1, 0]));
      },
    };
    expect(chunkingFor(counting)).toMatchObject({ maxTokens: 10 });
    expect(chunkingFor(embedder)).toEqual({ maxTokens: 200 });
    const doc = processed(await processDocument(utf8(paragraphs.join('\n\n')), { embedder: counting }));
    expect(doc.chunks.length).toBeGreaterThan(3);
    for (const c of doc.chunks) expect(c.text.split(/\s+/).length).toBeLessThanOrEqual(10);
    expect(purposes).toEqual(['passage']);
  });

  it('gives the same result for the same bytes', async () => {
    const bytes = buildDocx(paragraphs);
    expect(await processDocument(bytes, { embedder })).toEqual(await processDocument(bytes, { embedder }));
  });
});
