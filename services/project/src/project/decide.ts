import type { ProjectEvent, Settings } from '@mandant/contracts';
import type { Decider } from '@mandant/shared/decider';
import { DomainError, notFound } from '@mandant/shared/errors';
import { mergeSettings, sameJson } from '@mandant/shared/json';
import { evolveProject, initialProjectState, type ProjectState } from './project.ts';

export type CreateProject = { type: 'CreateProject'; name: string; slug: string; description: string; settings: Settings };
/** Fields left `undefined` stay as they are. */
export type UpdateProject = {
  type: 'UpdateProject';
  name?: string | undefined;
  slug?: string | undefined;
  description?: string | undefined;
};
/** `patch` is merged shallowly into the settings; a key set to `null` is removed. */
export type ChangeProjectSettings = { type: 'ChangeProjectSettings'; patch: Record<string, unknown> };
export type ArchiveProject = { type: 'ArchiveProject' };
export type UnarchiveProject = { type: 'UnarchiveProject' };
/** Allowed on active and archived projects alike. */
export type DeleteProject = { type: 'DeleteProject' };

export type ProjectCommand = CreateProject | UpdateProject | ChangeProjectSettings | ArchiveProject | UnarchiveProject | DeleteProject;

type ProjectUpdatedData = Extract<ProjectEvent, { type: 'project.updated.v1' }>['data'];

/** A project that was never created or has been deleted is missing, alike. */
function requireExisting(state: ProjectState): void {
  if (state.status === 'none' || state.status === 'deleted') throw notFound('project');
}

function requireActive(state: ProjectState): void {
  requireExisting(state);
  if (state.status === 'archived') throw new DomainError('project.archived', 'the project is archived: unarchive it to change it');
}

export function decideProject(command: ProjectCommand, state: ProjectState): ProjectEvent[] {
  switch (command.type) {
    case 'CreateProject': {
      if (state.status !== 'none') throw new DomainError('conflict', 'project exists');
      const { name, slug, description, settings } = command;
      return [{ type: 'project.created.v1', data: { name, slug, description, settings } }];
    }
    case 'UpdateProject': {
      requireActive(state);
      const data: ProjectUpdatedData = {};
      if (command.name !== undefined && command.name !== state.name) data.name = command.name;
      if (command.slug !== undefined && command.slug !== state.slug) data.slug = command.slug;
      if (command.description !== undefined && command.description !== state.description) data.description = command.description;
      return Object.keys(data).length === 0 ? [] : [{ type: 'project.updated.v1', data }];
    }
    case 'ChangeProjectSettings': {
      requireActive(state);
      const settings = mergeSettings(state.settings, command.patch);
      if (sameJson(settings, state.settings)) return [];
      return [{ type: 'project.settings_changed.v1', data: { settings } }];
    }
    case 'ArchiveProject': {
      requireExisting(state);
      return state.status === 'archived' ? [] : [{ type: 'project.archived.v1', data: {} }];
    }
    case 'UnarchiveProject': {
      requireExisting(state);
      return state.status === 'active' ? [] : [{ type: 'project.unarchived.v1', data: {} }];
    }
    case 'DeleteProject': {
      requireExisting(state);
      return [{ type: 'project.deleted.v1', data: {} }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled project command ${(unhandled as { type: string }).type}`);
    }
  }
}

export const projectDecider: Decider<ProjectState, ProjectCommand, ProjectEvent> = {
  initialState: initialProjectState,
  evolve: evolveProject,
  decide: decideProject,
};
