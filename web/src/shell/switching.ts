import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { api, unwrap } from '../api.ts';
import { type MyProject, findProject, useMyProjects, useScope } from '../scope.tsx';
import { useSession } from '../session.tsx';
import { type ProjectState, pathOfState, stateOfLocation } from './projectState.ts';

/**
 * The last working state of each project this tab has shown, by project id, in memory only:
 * what the switch saves for the project left (the server keeps it across devices), and what a
 * credential acting for no user (which has no saved state on the server) comes back to.
 */
const remembered = new Map<string, ProjectState>();

/** For a view to add to its project's saved state what its URL does not hold (e.g. the last conversation). */
export function rememberUiState(projectId: string, patch: Partial<ProjectState>): void {
  const current = remembered.get(projectId) ?? { view: 'files', query: '' };
  remembered.set(projectId, { ...current, ...patch });
}

/** Keeps `remembered` up to date with the page shown: called once, by the layout. */
export function useTrackProjectState(): void {
  const scope = useScope();
  const { pathname, search } = useLocation();
  const id = scope.kind === 'project' ? scope.project?.id : undefined;
  useEffect(() => {
    if (!id) return;
    const state = stateOfLocation(pathname, search, remembered.get(id));
    if (state) remembered.set(id, state);
  }, [id, pathname, search]);
}

const MY_PROJECTS = ['me', 'projects'];

/**
 * Switching project: POST /me/switch-project saves the state of the project left and answers
 * the one saved for the project entered, which the console then opens (its view, search and
 * document), without reloading the page.
 */
export function useSwitchProject() {
  const { session } = useSession();
  const scope = useScope();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { pathname, search } = useLocation();
  return useMutation({
    mutationFn: async (target: Pick<MyProject, 'id' | 'slug'>): Promise<string> => {
      const leaving = scope.kind === 'project' ? scope.project : undefined;
      const saved = leaving ? (stateOfLocation(pathname, search, remembered.get(leaving.id)) ?? remembered.get(leaving.id)) : undefined;
      if (leaving && saved) remembered.set(leaving.id, saved);
      if (!session?.principal.user_id) return pathOfState(target.slug, remembered.get(target.id));
      const answer = unwrap(
        await api.POST('/me/switch-project', {
          body: { project_id: target.id, ...(saved && leaving?.id !== target.id ? { save_state: { ...saved } } : {}) },
        }),
      );
      // the switch is recorded: the list's `current` follows without waiting for a refetch
      queryClient.setQueriesData<MyProject[]>({ queryKey: MY_PROJECTS }, (list) =>
        list?.map((p) => ({ ...p, current: p.id === target.id })),
      );
      return pathOfState(answer.project.slug, answer.state);
    },
    onSuccess: (path) => {
      void queryClient.invalidateQueries({ queryKey: MY_PROJECTS });
      void navigate(path);
    },
  });
}

/**
 * A project opened by its URL (a link, a bookmark, the back button) becomes the caller's current
 * project too, so the next switch saves its state and not another's. Nothing is restored: the
 * URL stays as it is.
 */
export function useSyncCurrentProject(): void {
  const { session } = useSession();
  const scope = useScope();
  const projects = useMyProjects();
  const queryClient = useQueryClient();
  const synced = useRef<string | null>(null);
  const project = scope.kind === 'project' ? findProject(projects.data, scope.slug) : undefined;
  const userId = session?.principal.user_id;
  useEffect(() => {
    if (!userId || !project || project.current || project.status !== 'active' || synced.current === project.id) return;
    synced.current = project.id;
    const from = projects.data?.find((p) => p.current);
    const save = from ? remembered.get(from.id) : undefined;
    void api
      .POST('/me/switch-project', { body: { project_id: project.id, ...(save ? { save_state: { ...save } } : {}) } })
      .then(({ response }) => {
        if (!response.ok) return;
        queryClient.setQueriesData<MyProject[]>({ queryKey: MY_PROJECTS }, (list) =>
          list?.map((p) => ({ ...p, current: p.id === project.id })),
        );
      });
  }, [userId, project, projects.data, queryClient]);
}
