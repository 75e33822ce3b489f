import type { UserEvent } from '@mandant/contracts';

export interface UserState {
  status: 'none' | 'active';
  email: string;
  name: string;
  /** the project the user last switched to, restored as their working scope */
  currentProjectId: string | null;
}

export const initialUserState = (): UserState => ({ status: 'none', email: '', name: '', currentProjectId: null });

export function evolveUser(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'user.registered.v1':
      return { ...state, status: 'active', email: event.data.email, name: event.data.name };
    case 'user.project_switched.v1':
      return { ...state, currentProjectId: event.data.to_project_id };
    default: {
      // Reached only by a stream written by newer code: deciding on a partial state would be unsafe.
      const unknown: never = event;
      throw new Error(`unknown user event ${(unknown as { type: string }).type}`);
    }
  }
}
