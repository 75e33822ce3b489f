import type { UserEvent } from '@mandant/contracts';
import type { Decider } from '@mandant/shared/decider';
import { DomainError, notFound } from '@mandant/shared/errors';
import { evolveUser, initialUserState, type UserState } from './user.ts';

/**
 * The caller seals e-mail and name (`sealUser`) and hashes the e-mail (`emailHash`) first:
 * deciding does no I/O and sealing needs the keyring.
 */
export type RegisterUser = { type: 'RegisterUser'; sealed: string; email_hash: string };
/**
 * Records a switch even to the current project: each one is a visit. Whether the user may see
 * `to_project_id` is checked by the caller, which knows the memberships.
 */
export type SwitchProject = { type: 'SwitchProject'; to_project_id: string };

export type UserCommand = RegisterUser | SwitchProject;

export function decideUser(command: UserCommand, state: UserState): UserEvent[] {
  switch (command.type) {
    case 'RegisterUser': {
      if (state.status !== 'none') throw new DomainError('conflict', 'user exists');
      return [{ type: 'user.registered.v2', data: { sealed: command.sealed, email_hash: command.email_hash } }];
    }
    case 'SwitchProject': {
      if (state.status !== 'active') throw notFound('user');
      return [
        { type: 'user.project_switched.v1', data: { from_project_id: state.currentProjectId, to_project_id: command.to_project_id } },
      ];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled user command ${(unhandled as { type: string }).type}`);
    }
  }
}

export const userDecider: Decider<UserState, UserCommand, UserEvent> = {
  initialState: initialUserState,
  evolve: evolveUser,
  decide: decideUser,
};
