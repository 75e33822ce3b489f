import type { UserEvent } from '@mandant/contracts';

/**
 * What deciding needs of a user. E-mail and name are not kept: since `user.registered.v2` they
 * are sealed, and no rule reads them (the e-mail's uniqueness is the `user_emails` claim).
 */
export interface UserState {
  status: 'none' | 'active';
  /** the project the user last switched to, restored as their working scope */
  currentProjectId: string | null;
}

export const initialUserState = (): UserState => ({ status: 'none', currentProjectId: null });

export function evolveUser(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'user.registered.v1':
    case 'user.registered.v2':
      return { ...state, status: 'active' };
    case 'user.project_switched.v1':
      return { ...state, currentProjectId: event.data.to_project_id };
    default: {
      // Reached only by a stream written by newer code: deciding on a partial state would be unsafe.
      const unknown: never = event;
      throw new Error(`unknown user event ${(unknown as { type: string }).type}`);
    }
  }
}
