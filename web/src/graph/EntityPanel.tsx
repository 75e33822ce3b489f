import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api.ts';
import { useMyProjects } from '../scope.tsx';
import { ProblemAlert } from '../shell/ProblemAlert.tsx';
import { Dialog } from '../shell/Dialog.tsx';
import '../admin/modal.css';
import type { GraphNode } from './model.ts';

/**
 * The selected entity: its name, type and mentions, the investigations it appears in (only
 * those the caller may read: the API leaves the others out), and what can be done with it.
 */
export function EntityPanel({
  entityId,
  candidates,
  canMerge,
  expanding,
  onExpand,
  onMerged,
}: {
  entityId: string;
  /** the drawn entities, which it may be merged into */
  candidates: readonly GraphNode[];
  canMerge: boolean;
  expanding: boolean;
  onExpand: () => void;
  onMerged: (intoId: string) => void;
}) {
  const entity = useQuery({
    queryKey: ['entity', entityId],
    queryFn: async () => unwrap(await api.GET('/entities/{id}', { params: { path: { id: entityId } } })),
  });
  const projects = useMyProjects();
  const [merging, setMerging] = useState(false);
  const name = entity.data?.name ?? candidates.find((c) => c.id === entityId)?.label ?? 'Entity';

  return (
    <section className="entity-panel" aria-label="Entity">
      <h2>{name}</h2>
      <ProblemAlert error={entity.error} />
      {entity.data ? (
        <>
          <dl className="entity-facts">
            <dt>Type</dt>
            <dd>{entity.data.type}</dd>
            <dt>Mentions</dt>
            <dd>
              {entity.data.mentions} in {entity.data.documents} {entity.data.documents === 1 ? 'document' : 'documents'}
            </dd>
            {entity.data.aliases.length > 1 ? (
              <>
                <dt>Also written</dt>
                <dd>{entity.data.aliases.filter((a) => a !== entity.data.name).join(', ')}</dd>
              </>
            ) : null}
          </dl>
          <p className="appears-in">
            Appears in {entity.data.projects.length} of your investigations
            {entity.data.hidden_projects ? ` (and ${entity.data.hidden_projects} you cannot open)` : ''}
          </p>
          {entity.data.projects.length > 0 ? (
            <ul className="entity-projects" aria-label="Investigations">
              {entity.data.projects.map((p) => {
                const project = projects.data?.find((m) => m.id === p.project_id);
                return (
                  <li key={p.project_id}>
                    {project ? (
                      <Link to={`/projects/${encodeURIComponent(project.slug)}/graph?entity=${encodeURIComponent(entityId)}`}>
                        {project.name}
                      </Link>
                    ) : (
                      <span>A project of the tenant</span>
                    )}{' '}
                    <span className="muted">
                      ({p.mentions} {p.mentions === 1 ? 'mention' : 'mentions'})
                    </span>
                  </li>
                );
              })}
            </ul>
          ) : null}
        </>
      ) : entity.isPending ? (
        <p aria-busy="true">Loading…</p>
      ) : null}
      <div className="entity-actions">
        <button type="button" onClick={onExpand} disabled={expanding}>
          {expanding ? 'Expanding…' : 'Expand neighbourhood'}
        </button>
        {canMerge ? (
          <button type="button" className="quiet" onClick={() => setMerging(true)}>
            Merge into…
          </button>
        ) : null}
      </div>
      {merging ? (
        <MergeDialog
          entityId={entityId}
          name={name}
          candidates={candidates}
          onClose={() => setMerging(false)}
          onMerged={(into) => {
            setMerging(false);
            onMerged(into);
          }}
        />
      ) : null}
    </section>
  );
}

function MergeDialog({
  entityId,
  name,
  candidates,
  onClose,
  onMerged,
}: {
  entityId: string;
  name: string;
  candidates: readonly GraphNode[];
  onClose: () => void;
  onMerged: (intoId: string) => void;
}) {
  const queryClient = useQueryClient();
  // duplicates are usually of one type: entities of the merged one's type come first
  const ownType = candidates.find((c) => c.id === entityId)?.type;
  const sorted = [...candidates]
    .filter((c) => c.id !== entityId)
    .sort((a, b) => Number(b.type === ownType) - Number(a.type === ownType) || a.label.localeCompare(b.label));
  const [into, setInto] = useState(sorted[0]?.id ?? '');
  const selectId = useId();
  const merge = useMutation({
    mutationFn: async (target: string) =>
      unwrap(await api.POST('/entities/{id}/merge', { params: { path: { id: entityId } }, body: { into: target } })),
    onSuccess: async (result) => {
      await queryClient.invalidateQueries({ queryKey: ['graph'] });
      await queryClient.invalidateQueries({ queryKey: ['entity'] });
      onMerged(result.into_entity_id);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (into) merge.mutate(into);
  };
  return (
    <Dialog open title="Merge entity" onClose={onClose}>
      <form onSubmit={submit} className="stack">
        <p>
          “{name}” becomes another name of the entity you choose: its mentions, relations and investigations move there. The log records the
          merge.
        </p>
        <label htmlFor={selectId}>Merge into</label>
        <select id={selectId} value={into} onChange={(e) => setInto(e.target.value)} required>
          {sorted.map((c) => (
            <option key={c.id} value={c.id}>
              {c.label}
              {c.type ? ` (${c.type})` : ''}
            </option>
          ))}
        </select>
        <ProblemAlert error={merge.error} />
        <div className="row">
          <button type="submit" disabled={!into || merge.isPending}>
            Merge
          </button>
          <button type="button" className="quiet" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
