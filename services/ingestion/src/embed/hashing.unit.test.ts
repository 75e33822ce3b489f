import { describe, expect, it } from 'vitest';
import { cosineSimilarity } from './embedder.ts';
import { createHashingEmbedder } from './hashing.ts';

describe('createHashingEmbedder', () => {
  it('names its vector space after the algorithm and the dimension', () => {
    expect(createHashingEmbedder()).toMatchObject({ model: 'local-hashing-v1-384', dimension: 384 });
    expect(createHashingEmbedder({ dimension: 64 }).model).toBe('local-hashing-v1-64');
  });

  it('returns one L2-normalised vector of the configured dimension per text', async () => {
    const vectors = await createHashingEmbedder({ dimension: 128 }).embed(['Anna Schmidt', 'Siemens AG in München']);
    expect(vectors).toHaveLength(2);
    for (const v of vectors) {
      expect(v).toHaveLength(128);
      expect(Math.hypot(...v)).toBeCloseTo(1, 10);
    }
  });

  it('is deterministic across embedder instances', async () => {
    const text = 'Die Staatsanwaltschaft ermittelt gegen die Wirecard AG.';
    const [a] = await createHashingEmbedder().embed([text]);
    const [b] = await createHashingEmbedder().embed([text]);
    expect(a).toEqual(b);
  });

  it('ignores case and accents', async () => {
    const [a = [], b = []] = await createHashingEmbedder().embed(['Jürgen MÜLLER in Zürich', 'jurgen muller in zurich']);
    expect(cosineSimilarity(a, b)).toBeCloseTo(1, 10);
  });

  it('ranks texts that share words and word parts above unrelated ones', async () => {
    const embedder = createHashingEmbedder();
    const [query = [], close = [], partial = [], unrelated = []] = await embedder.embed([
      'money laundering through shell companies in Panama',
      'shell companies in Panama were used for money laundering',
      'the bank laundered money through a company',
      'the football team won the cup final on Saturday',
    ]);
    const close_ = cosineSimilarity(query, close);
    const partial_ = cosineSimilarity(query, partial);
    const unrelated_ = cosineSimilarity(query, unrelated);
    expect(close_).toBeGreaterThan(partial_);
    expect(partial_).toBeGreaterThan(unrelated_);
    expect(close_).toBeGreaterThan(0.7);
  });

  it('gives a zero vector for a text without words', async () => {
    const [v = []] = await createHashingEmbedder({ dimension: 16 }).embed(['  …  ']);
    expect(v.every((x) => x === 0)).toBe(true);
  });

  it('rejects an unusable dimension', () => {
    expect(() => createHashingEmbedder({ dimension: 3 })).toThrow(RangeError);
    expect(() => createHashingEmbedder({ dimension: 100.5 })).toThrow(RangeError);
  });
});
