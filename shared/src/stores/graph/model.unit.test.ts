import { describe, expect, it } from 'vitest';
import { DomainError } from '../../errors.ts';
import { aliasKey, checkMentions, evidenceScope, foldForSearch, relationRows, resolveMentions } from './model.ts';

const [A, B, C, D] = [
  '00000000-0000-4000-8000-00000000000a',
  '00000000-0000-4000-8000-00000000000b',
  '00000000-0000-4000-8000-00000000000c',
  '00000000-0000-4000-8000-00000000000d',
];

describe('graph model', () => {
  it('keys an entity by normalised name and type', () => {
    expect(aliasKey('  ACME\u00a0  Corp ', 'Organisation')).toBe(aliasKey('acme corp', 'organisation'));
    expect(aliasKey('Ｐａｒｉｓ', 'place')).toBe('place:paris');
    expect(aliasKey('Paris', 'place')).not.toBe(aliasKey('Paris', 'person'));
  });

  it('resolves by key first, then by id, else creates the entity with the mention id', () => {
    const r = resolveMentions(
      [
        { entity_id: A, name: 'Ada', type: 'person', count: 1 },
        { entity_id: B, name: 'ADA', type: 'person', count: 2 },
        { entity_id: C, name: 'Countess', type: 'person', count: 4 },
        { entity_id: D, name: 'Babbage', type: 'person', count: 1 },
      ],
      { byKey: new Map([[aliasKey('Babbage', 'person'), B]]), byId: new Map([[C, B]]) },
    );
    expect(r.entities).toEqual([{ id: A, name: 'Ada', type: 'person' }]);
    expect(r.counts).toEqual(
      new Map([
        [A, 3],
        [B, 5],
      ]),
    );
    expect(r.aliases.map((a) => [a.name, a.entity_id])).toEqual([
      ['Ada', A],
      ['Countess', B],
    ]);
    expect(r.ids).toEqual([
      { id: A, entity_id: A },
      { id: B, entity_id: A },
      { id: D, entity_id: B },
    ]);
  });

  it('orders relation pairs, follows merged ids, drops unknowns and self pairs, keeps the highest confidence', () => {
    const owners = new Map([
      [A, A],
      [B, B],
      [C, B],
    ]);
    const rows = relationRows(
      [
        { from_entity_id: B, to_entity_id: A, document_id: D, confidence: 0.2 },
        { from_entity_id: A, to_entity_id: C, document_id: D, confidence: 0.7 },
        { from_entity_id: B, to_entity_id: C, document_id: D, confidence: 1 },
        { from_entity_id: A, to_entity_id: D, document_id: D, confidence: 1 },
        { from_entity_id: A, to_entity_id: B, document_id: C, confidence: 1 },
      ],
      owners,
      new Set([D]),
    );
    expect(rows).toEqual([{ a: A, b: B, document_id: D, confidence: 0.7 }]);
  });

  it('rejects a mention without a name or with a count that is not a positive integer', () => {
    expect(() => checkMentions([{ entity_id: A, name: '  ', type: 'person', count: 1 }])).toThrow(DomainError);
    expect(() => checkMentions([{ entity_id: A, name: 'x', type: 'person', count: 1.5 }])).toThrow(DomainError);
    expect(() => checkMentions([{ entity_id: 'nope', name: 'x', type: 'person', count: 1 }])).toThrow(DomainError);
  });

  it('folds names for search without case, accents or extra spaces', () => {
    expect(foldForSearch('  MARÍA   González ')).toBe('maria gonzalez');
    expect(foldForSearch('Zürich')).toBe(foldForSearch('zurich'));
  });

  it('scopes relation evidence to the intersection of one project and a project list', () => {
    expect(evidenceScope({})).toBeNull();
    expect(evidenceScope({ projectId: A })).toEqual([A]);
    expect(evidenceScope({ projectIds: [A, B] })).toEqual([A, B]);
    expect(evidenceScope({ projectId: C, projectIds: [A, B] })).toEqual([]);
  });
});
