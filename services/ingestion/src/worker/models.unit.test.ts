import { randomUUID } from 'node:crypto';
import { DocumentAnalysis, DocumentVectors, documentKeys } from '@mandant/contracts';
import { ConfigError } from '@mandant/shared/env';
import { entityId } from '@mandant/shared/ids';
import { describe, expect, it } from 'vitest';
import { createHashingEmbedder } from '../embed/embedder.ts';
import { processDocument, type ProcessedDocument } from '../pipeline.ts';
import { analysisArtefact, buildAnalysis, vectorsArtefact } from './artefacts.ts';
import { chooseDefaultModel, createEmbedderRegistry } from './models.ts';
import { EmbedderUnavailableError, withEmbedderRetry } from './retry.ts';

describe('embedder registry', () => {
  it('serves local-hashing-v1-{dimension} at that dimension under the same model id', () => {
    const registry = createEmbedderRegistry({ defaultModel: 'local-hashing-v1-384' });
    expect(registry.defaultModel).toBe('local-hashing-v1-384');
    const e = registry.get('local-hashing-v1-64');
    expect(e).toMatchObject({ model: 'local-hashing-v1-64', dimension: 64 });
    expect(registry.get('local-hashing-v1-64')).toBe(e);
    expect(registry.get('local-hashing-v1-4')).toBeNull();
    expect(registry.get('local-hashing-v1-064')).toBeNull();
    expect(registry.get('text-embedding-3-small')).toBeNull();
  });

  it('serves the models listed for the provider URL, by entry and by the embedder model name', () => {
    const registry = createEmbedderRegistry({
      defaultModel: 'local-hashing-v1-384',
      embeddingsUrl: 'http://127.0.0.1:9/v1',
      models: 'text-embedding-3-small, text-embedding-3-large:256, e5-large:1024',
    });
    expect(registry.get('text-embedding-3-small')).toMatchObject({ model: 'text-embedding-3-small', dimension: 1536 });
    expect(registry.get('text-embedding-3-large:256')).toMatchObject({ model: 'text-embedding-3-large:256', dimension: 256 });
    expect(registry.get('e5-large:1024')).toMatchObject({ model: 'e5-large', dimension: 1024 });
    expect(registry.get('e5-large')).toBe(registry.get('e5-large:1024'));
  });

  it('serves a local model only when it is installed in the models directory', () => {
    const registry = createEmbedderRegistry({ defaultModel: 'local-hashing-v1-384', modelsDir: '/nonexistent/models' });
    expect(registry.get('all-minilm-l6-v2-q')).toBeNull();
    expect(registry.get('e5-small-v2-q')).toBeNull();
    expect(() => createEmbedderRegistry({ defaultModel: 'bge-small-en-v1.5-q', modelsDir: '/nonexistent/models' })).toThrow(
      /not installed in \/nonexistent\/models/,
    );
  });

  it('takes an EMBEDDING_MODEL other than auto as it is, and auto without the model as degraded hashing', () => {
    expect(chooseDefaultModel('local-hashing-v1-64', '/nonexistent')).toEqual({ model: 'local-hashing-v1-64', degraded: false });
    expect(chooseDefaultModel('auto', '/nonexistent')).toMatchObject({ model: 'local-hashing-v1-384', degraded: true });
  });

  it('refuses a configuration it cannot serve', () => {
    expect(() => createEmbedderRegistry({ defaultModel: 'nope' })).toThrow(ConfigError);
    expect(() => createEmbedderRegistry({ defaultModel: 'local-hashing-v1-384', models: ['x:3'] })).toThrow(ConfigError);
  });
});

describe('artefacts', () => {
  const tenant = randomUUID();
  const doc = randomUUID();
  const embedder = createHashingEmbedder({ dimension: 16 });
  const text = [
    'Anna Schmidt of the Beta GmbH met investors in Zürich.',
    'Anna Schmidt then wrote to anna@beta.example about the Beta GmbH accounts.',
  ].join('\n\n');

  async function processed(): Promise<ProcessedDocument> {
    const result = await processDocument(new TextEncoder().encode(text), { embedder }, { chunk: { maxTokens: 20, overlapTokens: 0 } });
    if (result.status !== 'processed') throw new Error('expected processed');
    return result;
  }

  it('builds an analysis with entities deduplicated by type and name, ids per tenant, relations a < b', async () => {
    const analysis = DocumentAnalysis.parse(buildAnalysis(tenant, doc, await processed()));
    const anna = analysis.entities.find((e) => e.type === 'person' && e.normalised === 'anna schmidt');
    expect(anna).toMatchObject({ id: entityId(tenant, 'person', 'anna schmidt'), name: 'Anna Schmidt', count: 2 });
    expect(new Set(analysis.entities.map((e) => `${e.type}:${e.normalised}`)).size).toBe(analysis.entities.length);
    expect(analysis.mentions.filter((m) => m.entity_id === anna?.id)).toHaveLength(2);
    for (const m of analysis.mentions) {
      const chunk = analysis.chunks[m.chunk_index];
      expect(chunk !== undefined && m.start >= chunk.start && m.end <= chunk.end).toBe(true);
    }
    expect(analysis.relations.length).toBeGreaterThan(0);
    for (const r of analysis.relations) expect(r.a < r.b).toBe(true);
  });

  it('names each artefact by the SHA-256 of its exact bytes', async () => {
    const result = await processed();
    const a = analysisArtefact(doc, buildAnalysis(tenant, doc, result));
    expect(a).toEqual(analysisArtefact(doc, buildAnalysis(tenant, doc, await processed())));
    expect(a.key).toBe(documentKeys.analysis(doc, a.sha256));
    const v = vectorsArtefact(
      doc,
      result.embedding,
      result.chunks.map((c) => c.vector),
    );
    expect(v.key).toBe(documentKeys.vectors(doc, 'local-hashing-v1-16', v.sha256));
    expect(DocumentVectors.parse(JSON.parse(new TextDecoder().decode(v.bytes)))).toMatchObject({
      model: 'local-hashing-v1-16',
      dimension: 16,
    });
  });
});

describe('embedder retry', () => {
  const flaky = (failures: number) => {
    let calls = 0;
    const inner = createHashingEmbedder({ dimension: 8 });
    return {
      calls: () => calls,
      embedder: { ...inner, embed: async (t: string[]) => (++calls <= failures ? Promise.reject(new Error('503')) : inner.embed(t)) },
    };
  };
  const policy = { maxAttempts: 3, baseMs: 1, sleep: async () => {} };

  it('retries embedder failures and succeeds once the embedder answers', async () => {
    const f = flaky(2);
    const vectors = await withEmbedderRetry(f.embedder, policy, (e) => e.embed(['a']));
    expect(vectors).toHaveLength(1);
    expect(f.calls()).toBe(3);
  });

  it('gives up after maxAttempts with EmbedderUnavailableError, and never retries other errors', async () => {
    const f = flaky(10);
    await expect(withEmbedderRetry(f.embedder, policy, (e) => e.embed(['a']))).rejects.toBeInstanceOf(EmbedderUnavailableError);
    expect(f.calls()).toBe(3);
    let runs = 0;
    await expect(
      withEmbedderRetry(f.embedder, policy, async () => {
        runs += 1;
        throw new Error('bug');
      }),
    ).rejects.toThrow('bug');
    expect(runs).toBe(1);
  });
});
