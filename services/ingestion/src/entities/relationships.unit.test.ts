import { describe, expect, it } from 'vitest';
import { extractEntities } from './extract.ts';
import { relationships } from './relationships.ts';

describe('relationships', () => {
  const chunks = [
    'Markus Braun led the Wirecard AG from Munich.',
    'Markus Braun and the Wirecard AG denied everything.',
    'Jan Marsalek fled; Markus Braun stayed in Munich.',
    'The Wirecard AG collapsed.',
  ].map(extractEntities);

  it('pairs entities mentioned in the same chunk, each pair once, in key order', () => {
    const rel = relationships(chunks);
    expect(rel.map((r) => [r.source.name, r.target.name, r.chunk_indexes])).toEqual([
      ['Wirecard AG', 'Markus Braun', [0, 1]],
      ['Wirecard AG', 'Munich', [0]],
      ['Jan Marsalek', 'Markus Braun', [2]],
      ['Jan Marsalek', 'Munich', [2]],
      ['Markus Braun', 'Munich', [0, 2]],
    ]);
  });

  it('scores more shared chunks and more exclusive pairs higher, within 0..1', () => {
    const rel = relationships(chunks);
    const score = (a: string, b: string): number =>
      rel.find((r) => [r.source.name, r.target.name].sort().join('|') === [a, b].sort().join('|'))?.confidence ?? -1;
    for (const r of rel) {
      expect(r.confidence).toBeGreaterThan(0);
      expect(r.confidence).toBeLessThanOrEqual(1);
    }
    expect(score('Markus Braun', 'Wirecard AG')).toBeGreaterThan(score('Jan Marsalek', 'Markus Braun'));
    expect(score('Jan Marsalek', 'Munich')).toBeGreaterThan(score('Jan Marsalek', 'Markus Braun'));
    expect(score('Jan Marsalek', 'Munich')).toBe(0.25);
  });

  it('reaches 0.75 for two entities always together in three chunks', () => {
    const always = Array.from({ length: 3 }, () => extractEntities('Anna Schmidt of the Beta GmbH.'));
    expect(relationships(always).map((r) => r.confidence)).toEqual([0.75]);
  });

  it('leaves contact details and amounts out unless asked for', () => {
    const withContact = [extractEntities('Anna Schmidt, anna@beta.de, received €5m.')];
    expect(relationships(withContact)).toEqual([]);
    const rel = relationships(withContact, { types: ['person', 'email', 'money'] });
    expect(rel.map((r) => [r.source.type, r.target.type])).toEqual([
      ['email', 'money'],
      ['email', 'person'],
      ['money', 'person'],
    ]);
  });

  it('counts an entity once per chunk however often it is mentioned there', () => {
    const rel = relationships([extractEntities('Anna Schmidt met Peter Weber. Anna Schmidt and Peter Weber left.')]);
    expect(rel).toHaveLength(1);
    expect(rel[0]?.chunk_indexes).toEqual([0]);
  });
});
