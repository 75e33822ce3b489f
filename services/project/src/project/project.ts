import type { ProjectEvent, Settings } from '@mandant/contracts';

export interface ProjectState {
  /** `deleted` is final: the stream stays for the audit trail, the project answers as missing */
  status: 'none' | 'active' | 'archived' | 'deleted';
  name: string;
  slug: string;
  description: string;
  settings: Settings;
}

export const initialProjectState = (): ProjectState => ({ status: 'none', name: '', slug: '', description: '', settings: {} });

export function evolveProject(state: ProjectState, event: ProjectEvent): ProjectState {
  switch (event.type) {
    case 'project.created.v1':
      return { ...state, status: 'active', ...event.data };
    case 'project.updated.v1': {
      const { name, slug, description } = event.data;
      return {
        ...state,
        name: name ?? state.name,
        slug: slug ?? state.slug,
        description: description ?? state.description,
      };
    }
    case 'project.settings_changed.v1':
      return { ...state, settings: event.data.settings };
    case 'project.archived.v1':
      return { ...state, status: 'archived' };
    case 'project.unarchived.v1':
      return { ...state, status: 'active' };
    case 'project.deleted.v1':
      return { ...state, status: 'deleted' };
    default: {
      // Reached only by a stream written by newer code: deciding on a partial state would be unsafe.
      const unknown: never = event;
      throw new Error(`unknown project event ${(unknown as { type: string }).type}`);
    }
  }
}
