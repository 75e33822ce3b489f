import type { EntityEvent } from '@mandant/contracts';

/** An entity's own stream (`entity-{id}`) holds only what happened to it as an aggregate: its merge. */
export interface EntityState {
  /** the survivor it was folded into; null while it stands on its own */
  mergedInto: string | null;
}

export const initialEntityState = (): EntityState => ({ mergedInto: null });

export function evolveEntity(state: EntityState, event: EntityEvent): EntityState {
  switch (event.type) {
    case 'entity.merged.v1':
      return { mergedInto: event.data.into_entity_id.toLowerCase() };
    default: {
      const unknown: never = event.type;
      return unknown;
    }
  }
}
