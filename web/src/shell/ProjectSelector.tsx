import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useMemo, useState } from 'react';
import { useLocation } from 'react-router';
import { api, unwrap } from '../api.ts';
import { type MyProject, useMyProjects, useProjectInfo, useScope } from '../scope.tsx';
import { Dialog } from './Dialog.tsx';
import { ProblemAlert } from './ProblemAlert.tsx';
import { usePins } from './pins.ts';
import { useSwitchProject } from './switching.ts';

/** Projects whose name or slug holds the text typed (case and accents aside). */
export function filterProjects<P extends { name: string; slug: string }>(projects: readonly P[], text: string): P[] {
  const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  const wanted = fold(text.trim());
  return wanted ? projects.filter((p) => fold(p.name).includes(wanted) || fold(p.slug).includes(wanted)) : [...projects];
}

/** The project selector in the header: a dialog to find, pin, switch and create projects. */
export function ProjectSelector() {
  const scope = useScope();
  const { pathname } = useLocation();
  const projects = useMyProjects();
  const info = useProjectInfo(scope.kind === 'project' ? scope.slug : undefined);
  const [open, setOpen] = useState(false);
  const [creating, setCreating] = useState(false);
  const name =
    scope.kind === 'project'
      ? (scope.project?.name ?? info.data?.name ?? scope.slug)
      : pathname.startsWith('/global')
        ? 'All projects'
        : (projects.data?.find((p) => p.current)?.name ?? 'choose one');
  return (
    <>
      <button type="button" className="project-selector" aria-haspopup="dialog" onClick={() => setOpen(true)}>
        Project: {name}
      </button>
      <Dialog open={open} onClose={() => setOpen(false)} title="Projects" className="projects-dialog">
        <ProjectList onDone={() => setOpen(false)} onCreate={() => setCreating(true)} />
      </Dialog>
      <Dialog open={creating} onClose={() => setCreating(false)} title="New project">
        <NewProject
          onDone={() => {
            setCreating(false);
            setOpen(false);
          }}
        />
      </Dialog>
    </>
  );
}

function ProjectList({ onDone, onCreate }: { onDone: () => void; onCreate: () => void }) {
  const scope = useScope();
  const projects = useMyProjects();
  const switching = useSwitchProject();
  const [pins, togglePin] = usePins();
  const [text, setText] = useState('');
  const [showArchived, setShowArchived] = useState(false);
  const archivedId = useId();
  const currentId = scope.kind === 'project' ? scope.project?.id : undefined;

  const { pinned, others, archived } = useMemo(() => {
    const all = filterProjects(projects.data ?? [], text);
    const active = all.filter((p) => p.status === 'active');
    return {
      pinned: active.filter((p) => pins.includes(p.id)),
      others: active.filter((p) => !pins.includes(p.id)),
      archived: all.filter((p) => p.status === 'archived'),
    };
  }, [projects.data, text, pins]);

  const choose = (p: MyProject) => {
    if (p.id === currentId) return onDone();
    switching.mutate(p, { onSuccess: onDone });
  };

  const row = (p: MyProject) => {
    const pinnedNow = pins.includes(p.id);
    const current = p.id === currentId;
    return (
      <li key={p.id} className={current ? 'project-row current' : 'project-row'}>
        <button type="button" className="project-choice" aria-current={current ? 'true' : undefined} onClick={() => choose(p)}>
          <span className="star" aria-hidden="true">
            {current ? '★' : ''}
          </span>
          {p.name}
        </button>
        <span className="muted project-meta">
          {p.slug} · {p.role}
        </span>
        {p.status === 'active' ? (
          <button
            type="button"
            className="pin quiet"
            aria-label={`${pinnedNow ? 'Unpin' : 'Pin'} ${p.name}`}
            onClick={() => togglePin(p.id)}
          >
            {pinnedNow ? 'Unpin' : 'Pin'}
          </button>
        ) : null}
      </li>
    );
  };

  return (
    <div className="project-list">
      <input
        type="search"
        aria-label="Find a project"
        placeholder="Find a project"
        value={text}
        onChange={(e) => setText(e.target.value)}
        autoComplete="off"
      />
      <ProblemAlert error={projects.error ?? switching.error} />
      {projects.isPending ? <p aria-busy="true">Loading projects…</p> : null}
      {pinned.length > 0 ? (
        <div role="group" aria-labelledby="projects-pinned">
          <h3 id="projects-pinned">Pinned</h3>
          <ul>{pinned.map(row)}</ul>
        </div>
      ) : null}
      <div role="group" aria-labelledby="projects-all">
        <h3 id="projects-all">Projects</h3>
        {others.length > 0 ? <ul>{others.map(row)}</ul> : <p className="muted">{text ? 'No project matches.' : 'No other projects.'}</p>}
      </div>
      {archived.length > 0 ? (
        <div className="archived">
          <button
            type="button"
            className="disclosure quiet"
            aria-expanded={showArchived}
            aria-controls={archivedId}
            onClick={() => setShowArchived((v) => !v)}
          >
            Archived ({archived.length})
          </button>
          <ul id={archivedId} hidden={!showArchived}>
            {archived.map(row)}
          </ul>
        </div>
      ) : null}
      <div className="dialog-actions">
        <button type="button" onClick={onCreate}>
          + New project
        </button>
        <button type="button" className="quiet" onClick={onDone}>
          Close
        </button>
      </div>
    </div>
  );
}

function NewProject({ onDone }: { onDone: () => void }) {
  const queryClient = useQueryClient();
  const switching = useSwitchProject();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: async (projectName: string) => unwrap(await api.POST('/projects', { body: { name: projectName } })),
    onSuccess: async (project) => {
      await queryClient.invalidateQueries({ queryKey: ['me', 'projects'] });
      switching.mutate(project, { onSuccess: onDone });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) create.mutate(name.trim());
  };
  return (
    <form onSubmit={submit} className="stack">
      <label htmlFor="new-project-name">Name</label>
      <input id="new-project-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} autoComplete="off" />
      <ProblemAlert error={create.error ?? switching.error} />
      <div className="dialog-actions">
        <button type="submit" disabled={create.isPending || switching.isPending || !name.trim()}>
          Create
        </button>
        <button type="button" className="quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
