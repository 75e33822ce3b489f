import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import type { Schema } from '@mandant/client';
import { api, unwrap } from '../api.ts';
import type { MyProject } from '../scope.tsx';
import { ProblemAlert } from '../shell/ProblemAlert.tsx';
import { useAdministeredProjects, useChosenProject } from './access.ts';
import { ProjectPicker } from './ProjectPicker.tsx';

/**
 * The embedding models a deployment can serve (the ingestion worker's registry: word hashing and
 * the local ONNX models). The API does not list which are installed; GET /readyz names the
 * deployment's default and says when hashing serves in place of a model that is not installed.
 */
export const EMBEDDING_MODELS = [
  { id: 'local-hashing-v1-384', label: 'Word hashing (lexical only, no model)' },
  { id: 'all-minilm-l6-v2-q', label: 'all-MiniLM-L6-v2 (English, fast)' },
  { id: 'e5-small-v2-q', label: 'E5 small v2 (English)' },
  { id: 'bge-small-en-v1.5-q', label: 'BGE small v1.5 (English)' },
] as const;

/** A project's name, description, embedding model and archive state (project admins). */
export function SettingsPage() {
  const { projects, error, loading } = useAdministeredProjects();
  const { chosen, choose } = useChosenProject(projects);
  return (
    <section className="admin-section">
      <h1>Settings</h1>
      <ProblemAlert error={error} />
      {projects.length > 0 ? <ProjectPicker projects={projects} chosen={chosen} onChoose={choose} /> : null}
      {chosen ? (
        <ProjectSettings key={chosen.id} project={chosen} />
      ) : loading ? (
        <p aria-busy="true">Loading…</p>
      ) : error ? null : (
        <p>You administer no project.</p>
      )}
    </section>
  );
}

function ProjectSettings({ project }: { project: MyProject }) {
  const queryClient = useQueryClient();
  const key = ['admin', 'project', project.id];
  const view = useQuery({
    queryKey: key,
    queryFn: async () => unwrap(await api.GET('/projects/{id}', { params: { path: { id: project.id } } })),
  });
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: key });
    await queryClient.invalidateQueries({ queryKey: ['admin', 'projects'] });
    await queryClient.invalidateQueries({ queryKey: ['me', 'projects'] });
  };
  const lifecycle = useMutation({
    mutationFn: async (archive: boolean) =>
      unwrap(
        archive
          ? await api.POST('/projects/{id}/archive', { params: { path: { id: project.id } } })
          : await api.POST('/projects/{id}/unarchive', { params: { path: { id: project.id } } }),
      ),
    onSuccess: refresh,
  });

  if (view.error) return <ProblemAlert error={view.error} />;
  if (!view.data) return <p aria-busy="true">Loading…</p>;
  const archived = view.data.status === 'archived';
  return (
    <>
      <Details project={view.data} onSaved={refresh} />
      <Model project={view.data} onSaved={refresh} />
      <div className="admin-form">
        <h2>{archived ? 'Archived' : 'Archive'}</h2>
        <p>
          {archived
            ? 'This project is read-only: its documents, conversations and graph can be read, nothing can be added or changed.'
            : 'An archived project stays readable but takes no uploads, links, merges or setting changes until it is unarchived.'}
        </p>
        <button
          type="button"
          className={archived ? undefined : 'danger'}
          onClick={() => lifecycle.mutate(!archived)}
          disabled={lifecycle.isPending}
        >
          {archived ? 'Unarchive project' : 'Archive project'}
        </button>
        <ProblemAlert error={lifecycle.error} />
      </div>
    </>
  );
}

function Details({ project, onSaved }: { project: Schema<'ProjectWithRole'>; onSaved: () => Promise<void> }) {
  const [name, setName] = useState(project.name);
  const [description, setDescription] = useState(project.description);
  const ids = { name: useId(), description: useId() };
  const save = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.PATCH('/projects/{id}', {
          params: { path: { id: project.id } },
          body: { name: name.trim(), description: description.trim() },
        }),
      ),
    onSuccess: onSaved,
  });
  const changed = name.trim() !== project.name || description.trim() !== project.description;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (changed && name.trim()) save.mutate();
  };
  return (
    <form className="admin-form stack" onSubmit={submit}>
      <h2>Name and description</h2>
      <label htmlFor={ids.name}>Name</label>
      <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
      <label htmlFor={ids.description}>Description</label>
      <textarea id={ids.description} value={description} onChange={(e) => setDescription(e.target.value)} rows={3} maxLength={2000} />
      <div className="row">
        <button type="submit" disabled={!changed || !name.trim() || save.isPending}>
          Save
        </button>
        {save.isSuccess && !changed ? <span role="status">Saved.</span> : null}
      </div>
      <ProblemAlert error={save.error} />
    </form>
  );
}

function Model({ project, onSaved }: { project: Schema<'ProjectWithRole'>; onSaved: () => Promise<void> }) {
  const own = typeof project.settings['embedding_model'] === 'string' ? project.settings['embedding_model'] : '';
  const [model, setModel] = useState(own);
  const id = useId();
  const save = useMutation({
    // an empty choice removes the project's own model (null deletes a settings key): the tenant's applies again
    mutationFn: async () =>
      unwrap(
        await api.PATCH('/projects/{id}', {
          params: { path: { id: project.id } },
          body: { settings: { embedding_model: model === '' ? null : model } },
        }),
      ),
    onSuccess: onSaved,
  });
  const known = EMBEDDING_MODELS.some((m) => m.id === own);
  const ready = useQuery({ queryKey: ['admin', 'readyz'], queryFn: async () => (await api.GET('/readyz')).data ?? null, retry: false });
  const serving = ready.data?.details?.embedding;
  return (
    <form
      className="admin-form stack"
      onSubmit={(e) => {
        e.preventDefault();
        if (model !== own) save.mutate();
      }}
    >
      <h2>Search model</h2>
      <label htmlFor={id}>Embedding model</label>
      <select id={id} value={model} onChange={(e) => setModel(e.target.value)}>
        <option value="">The tenant’s model{serving ? ` (this deployment’s default: ${serving.model})` : ''}</option>
        {EMBEDDING_MODELS.map((m) => (
          <option key={m.id} value={m.id}>
            {m.label}
          </option>
        ))}
        {own && !known ? <option value={own}>{own}</option> : null}
      </select>
      {serving?.degraded ? (
        <p className="small">This deployment serves word hashing in place of its default model: {serving.reason}</p>
      ) : null}
      <p className="muted small">
        A change re-embeds the project’s documents in the background; search keeps using the previous model until every document has the new
        one.
      </p>
      <div className="row">
        <button type="submit" disabled={model === own || save.isPending}>
          Save model
        </button>
        {save.isSuccess && model === own ? <span role="status">Saved.</span> : null}
      </div>
      <ProblemAlert error={save.error} />
    </form>
  );
}
