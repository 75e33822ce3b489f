import type { EntityEvent } from '@mandant/contracts';
import type { Decider } from '@mandant/shared/decider';
import { DomainError } from '@mandant/shared/errors';
import { type EntityState, evolveEntity, initialEntityState } from './entity.ts';

/**
 * Folds the stream's entity into `into`. The handler has read `into`'s own stream and passes what
 * it found (`into_merged_into`), so the rule stays pure: ids are compared lower-cased.
 */
export type MergeEntity = { type: 'MergeEntity'; entity_id: string; into: string; into_merged_into: string | null };
export type EntityCommand = MergeEntity;

/**
 * A merge is final and happens once: merging into itself, an entity merged away already, or
 * into one merged away (which would chain or cycle) is a conflict, never a silent no-op, so
 * the caller learns the graph is not what they thought.
 */
export function decideEntity(command: EntityCommand, state: EntityState): EntityEvent[] {
  switch (command.type) {
    case 'MergeEntity': {
      const [from, into] = [command.entity_id.toLowerCase(), command.into.toLowerCase()];
      if (from === into) throw new DomainError('conflict', 'an entity cannot be merged into itself', { entity_id: from });
      if (state.mergedInto !== null) {
        throw new DomainError('conflict', 'the entity was merged away already', { entity_id: from, merged_into: state.mergedInto });
      }
      if (command.into_merged_into !== null) {
        throw new DomainError('conflict', 'the target entity was merged away already', { into, merged_into: command.into_merged_into });
      }
      return [{ type: 'entity.merged.v1', data: { from_entity_id: from, into_entity_id: into } }];
    }
    default: {
      const unknown: never = command.type;
      return unknown;
    }
  }
}

export const entityDecider: Decider<EntityState, EntityCommand, EntityEvent> = {
  initialState: initialEntityState,
  evolve: evolveEntity,
  decide: decideEntity,
};
