import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkingFor, processDocument } from '../pipeline.ts';
import { chooseDefaultModel, createEmbedderRegistry } from '../worker/models.ts';
import { cosineSimilarity } from './embedder.ts';
import { LOCAL_MODELS, defaultModelsDir, isInstalled, localModel } from './local-models.ts';
import { EmbeddingModelError, createOnnxEmbedder } from './onnx.ts';

/**
 * The real all-MiniLM-L6-v2 (int8 ONNX) from the models directory (MODELS_DIR, else `.models`):
 * install it with `npx tsx tools/models/fetch.ts`. Without it this suite is skipped and says so.
 */
const modelsDir = process.env['MODELS_DIR'] || defaultModelsDir();
const MINILM = 'all-minilm-l6-v2-q';
const installed = isInstalled(modelsDir, MINILM);
if (!installed) console.log(`SKIPPED-MODEL: minilm (${MINILM} is not installed in ${modelsDir}; run npx tsx tools/models/fetch.ts)`);

const spec = localModel(MINILM);
const minilm = (): ReturnType<typeof createOnnxEmbedder> => {
  if (!spec) throw new Error('catalogue lacks MiniLM');
  return createOnnxEmbedder({ model: spec, modelsDir, threads: 1 });
};

describe.skipIf(!installed)('all-MiniLM-L6-v2 in-process', () => {
  const embedder = minilm();

  it('returns 384-dimensional unit vectors named after the model', async () => {
    expect(embedder).toMatchObject({ model: MINILM, dimension: 384, tokens: { max: 256 } });
    const vectors = await embedder.embed(['Anna Schmidt of the Beta GmbH met investors in Zürich.', 'A second text.']);
    expect(vectors).toHaveLength(2);
    for (const v of vectors) {
      expect(v).toHaveLength(384);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
  });

  it('ranks a paraphrase that shares no word with the query above an unrelated text, on either side of minSimilarity', async () => {
    const [query = []] = await embedder.embed(['Who bribed the minister?'], 'query');
    const [paraphrase = [], unrelated = []] = await embedder.embed([
      'A construction firm paid an official in government to win contracts.',
      "Heavy rain flooded several streets during Saturday's football match.",
    ]);
    const close = cosineSimilarity(query, paraphrase);
    const far = cosineSimilarity(query, unrelated);
    expect(close).toBeGreaterThan(far + 0.15);
    expect(close).toBeGreaterThan(embedder.minSimilarity);
    expect(far).toBeLessThan(embedder.minSimilarity);
  });

  it('gives the same vector for the same text, alone or in a batch of other lengths, and across instances', async () => {
    const text = 'Die Staatsanwaltschaft ermittelt gegen die Wirecard AG wegen Bilanzbetrugs.';
    const [alone = []] = await embedder.embed([text]);
    const batch = await embedder.embed(['kurz', text, `${'ein sehr langer Satz über Konten in Singapur '.repeat(20)}`]);
    const [again = []] = await minilm().embed([text]);
    expect(batch[1]).toEqual(alone);
    expect(again).toEqual(alone);
  });

  it('embeds hostile input without failing: empty, a megabyte, control characters, lone surrogates', async () => {
    const hostile = ['', 'x'.repeat(1_000_000), 'a\u0000b\u0007c\u001b[31m', '\ud800 lone \udfff', '😀'.repeat(5000), ' \n\t '];
    const vectors = await embedder.embed(hostile);
    expect(vectors).toHaveLength(hostile.length);
    for (const v of vectors) {
      expect(v).toHaveLength(384);
      expect(v.every(Number.isFinite)).toBe(true);
    }
  });

  it('embeds any generated string, alone or among others, as a finite 384-number vector', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: 'binary', maxLength: 2000 }), { minLength: 1, maxLength: 4 }), async (texts) => {
        const vectors = await embedder.embed(texts, 'query');
        expect(vectors).toHaveLength(texts.length);
        for (const v of vectors) {
          expect(v).toHaveLength(384);
          expect(v.every(Number.isFinite)).toBe(true);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('serves concurrent callers from one session, each getting its own vectors', async () => {
    const texts = Array.from({ length: 12 }, (_, i) => `Report number ${i} on payments to offshore accounts.`);
    const [one, two] = await Promise.all([embedder.embed(texts.slice(0, 6)), embedder.embed(texts.slice(6), 'query')]);
    const serial = await embedder.embed(texts.slice(0, 6));
    expect(one).toHaveLength(6);
    expect(two).toHaveLength(6);
    expect(one).toEqual(serial);
  });

  it('chunks a document so that every chunk fits the model, and embeds it', async () => {
    const paragraph = (n: number): string =>
      `Absatz ${n}: Über Konten in Singapur flossen 1,9 Milliarden Euro an Treuhänder der Wirecard AG; die Staatsanwaltschaft München prüft Überweisungen, Verträge und E-Mails von Markus Braun. `.repeat(
        3,
      );
    const text = Array.from({ length: 20 }, (_, i) => paragraph(i)).join('\n\n');
    const doc = await processDocument(new TextEncoder().encode(text), { embedder });
    if (doc.status !== 'processed') throw new Error('expected processed');
    expect(doc.embedding).toEqual({ model: MINILM, dimension: 384 });
    const { maxTokens = 0 } = chunkingFor(embedder);
    expect(maxTokens).toBe(200);
    for (const c of doc.chunks) expect(embedder.tokens?.count(c.text)).toBeLessThanOrEqual(202);
    expect(doc.chunks.length).toBeGreaterThan(10);
  });

  it('fails an embed with EmbeddingModelError when the model file is damaged, and keeps failing cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mandant-models-'));
    try {
      mkdirSync(join(dir, MINILM));
      copyFileSync(join(modelsDir, MINILM, 'tokenizer.json'), join(dir, MINILM, 'tokenizer.json'));
      writeFileSync(join(dir, MINILM, 'model.onnx'), 'not a model');
      if (!spec) throw new Error('catalogue lacks MiniLM');
      const broken = createOnnxEmbedder({ model: spec, modelsDir: dir, threads: 1 });
      await expect(broken.embed(['text'])).rejects.toBeInstanceOf(EmbeddingModelError);
      await expect(broken.embed(['text'])).rejects.toBeInstanceOf(EmbeddingModelError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves by id in the registry, once per registry, and is what EMBEDDING_MODEL=auto picks', () => {
    const registry = createEmbedderRegistry({ defaultModel: MINILM, modelsDir });
    expect(registry.get(MINILM)).toBe(registry.get(MINILM));
    expect(registry.get(MINILM)?.model).toBe(MINILM);
    expect(chooseDefaultModel('auto', modelsDir)).toEqual({ model: MINILM, degraded: false });
  });
});

describe('the other local models, where installed', () => {
  for (const model of LOCAL_MODELS.filter((m) => m.id !== MINILM)) {
    it.skipIf(!isInstalled(modelsDir, model.id))(`${model.id}: unit vectors, queries embedded apart from passages`, async () => {
      const embedder = createOnnxEmbedder({ model, modelsDir, threads: 1 });
      const [asQuery = [], asPassage = []] = [
        ...(await embedder.embed(['money laundering in Panama'], 'query')),
        ...(await embedder.embed(['money laundering in Panama'], 'passage')),
      ];
      expect(asQuery).toHaveLength(384);
      expect(Math.hypot(...asQuery)).toBeCloseTo(1, 5);
      expect(asQuery).not.toEqual(asPassage);
    });
  }
});

describe('without the model', () => {
  it('auto falls back to the hashing model, marked degraded with the reason', () => {
    const choice = chooseDefaultModel('auto', '/nonexistent/models');
    expect(choice).toMatchObject({ model: 'local-hashing-v1-384', degraded: true });
    expect(choice.reason).toContain(MINILM);
    expect(() => createEmbedderRegistry({ defaultModel: MINILM, modelsDir: '/nonexistent/models' })).toThrow(/not installed/);
    expect(createEmbedderRegistry({ defaultModel: 'local-hashing-v1-384', modelsDir: '/nonexistent/models' }).get(MINILM)).toBeNull();
  });
});
