import { describe, expect, it } from 'vitest';
import { fold } from '@mandant/shared/decider';
import { decideEntity, entityDecider } from './decide.ts';

const [A, B, C] = ['0190a5b0-0000-7000-8000-00000000000a', '0190a5b0-0000-7000-8000-00000000000b', '0190a5b0-0000-7000-8000-00000000000c'];
const merge = (entity_id: string, into: string, into_merged_into: string | null = null) =>
  ({ type: 'MergeEntity', entity_id, into, into_merged_into }) as const;

describe('entity merge decider', () => {
  it('folds an entity into another with one entity.merged.v1 naming both, lower-cased', () => {
    expect(decideEntity(merge(A.toUpperCase(), B), entityDecider.initialState())).toEqual([
      { type: 'entity.merged.v1', data: { from_entity_id: A, into_entity_id: B } },
    ]);
  });

  it('refuses to merge an entity into itself, whatever the case of the ids', () => {
    expect(() => decideEntity(merge(A, A.toUpperCase()), entityDecider.initialState())).toThrow(
      expect.objectContaining({ code: 'conflict' }),
    );
  });

  it('refuses to merge an entity that was merged away already, even into the same survivor', () => {
    const state = fold(entityDecider, decideEntity(merge(A, B), entityDecider.initialState()));
    expect(state).toEqual({ mergedInto: B });
    expect(() => decideEntity(merge(A, B), state)).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(() => decideEntity(merge(A, C), state)).toThrow(expect.objectContaining({ code: 'conflict' }));
  });

  it('refuses to merge into an entity that was merged away (no chains, no cycles)', () => {
    expect(() => decideEntity(merge(B, A, C), entityDecider.initialState())).toThrow(expect.objectContaining({ code: 'conflict' }));
  });
});
