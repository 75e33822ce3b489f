import { useQuery } from '@tanstack/react-query';
import { useCallback, useId, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../api.ts';
import { type Scope, canEdit, useMyProjects, useScope } from '../scope.tsx';
import { useSession } from '../session.tsx';
import { ProblemAlert } from '../shell/ProblemAlert.tsx';
import { EntityPanel } from './EntityPanel.tsx';
import { GraphCanvas } from './GraphCanvas.tsx';
import {
  DEFAULT_COLOUR,
  DRAW_LIMIT,
  type GraphView,
  SHARED_COLOUR,
  filterNodes,
  mergeGraphs,
  nodeColour,
  projectColours,
} from './model.ts';
import './graph.css';

/** An entity and its related entities one hop away (in project view: by that project's documents only). */
const neighbourhood = async (entityId: string, projectId: string | undefined): Promise<GraphView> =>
  unwrap(
    await api.GET('/entities/{id}/neighbourhood', {
      params: { path: { id: entityId }, query: { depth: 1, limit: 50, ...(projectId ? { project_id: projectId } : {}) } },
    }),
  );

const scopeKey = (scope: Scope) => (scope.kind === 'global' ? 'global' : `project:${scope.slug}`);

/** The entity graph of the project (or, in global view, of every project the caller may read). */
export function GraphPage() {
  const scope = useScope();
  // a new scope starts with a fresh drawing (expansions belong to the graph they were made in)
  return <ScopedGraph key={scopeKey(scope)} scope={scope} />;
}

function ScopedGraph({ scope }: { scope: Scope }) {
  const { session } = useSession();
  const projects = useMyProjects();
  const [params, setParams] = useSearchParams();
  const selected = params.get('entity');
  const [filter, setFilter] = useState('');
  const [expansions, setExpansions] = useState<GraphView[]>([]);
  const [expanding, setExpanding] = useState(false);
  const [expandError, setExpandError] = useState<unknown>(null);
  const filterId = useId();
  const global = scope.kind === 'global';
  const projectId = scope.kind === 'project' ? (scope.project?.id ?? scope.slug) : undefined;

  const base = useQuery({
    queryKey: ['graph', scopeKey(scope)],
    queryFn: async () =>
      scope.kind === 'global'
        ? unwrap(await api.GET('/graph', { params: { query: { limit: DRAW_LIMIT } } }))
        : unwrap(await api.GET('/projects/{id}/graph', { params: { path: { id: scope.slug }, query: { limit: DRAW_LIMIT } } })),
  });
  // global view colours nodes by project: the entity list (ranked as the graph is) says which projects each is in
  const placed = useQuery({
    queryKey: ['graph', 'global', 'projects-of-entities'],
    enabled: global,
    queryFn: async () => {
      const page = unwrap(await api.GET('/entities', { params: { query: { limit: 500 } } }));
      return new Map(page.entities.map((e) => [e.id, e.project_ids]));
    },
  });

  // `?entity=` on arrival naming an entity not drawn (one of a document's, beyond the most
  // mentioned): its neighbourhood is drawn too, and stays while other entities are selected
  const [arrival] = useState(selected);
  const drawn = useMemo(() => (base.data ? mergeGraphs(base.data, expansions) : null), [base.data, expansions]);
  const around = useQuery({
    queryKey: ['graph', scopeKey(scope), 'around', arrival],
    enabled: Boolean(drawn && arrival && !drawn.nodes.some((n) => n.id === arrival)),
    queryFn: async () => neighbourhood(arrival ?? '', projectId),
  });
  const graph = useMemo(
    () => (base.data ? mergeGraphs(base.data, around.data ? [around.data, ...expansions] : expansions) : null),
    [base.data, around.data, expansions],
  );

  const legendProjects = useMemo(() => {
    if (!global || !placed.data) return [];
    const seen = new Set<string>();
    for (const ids of placed.data.values()) for (const id of ids) seen.add(id);
    return (projects.data ?? []).filter((p) => seen.has(p.id));
  }, [global, placed.data, projects.data]);
  const colours = useMemo(() => projectColours(legendProjects.map((p) => p.id)), [legendProjects]);
  const colourOf = useCallback(
    (id: string) => (global ? nodeColour(placed.data?.get(id), colours) : DEFAULT_COLOUR),
    [global, placed.data, colours],
  );

  const select = useCallback(
    (id: string | null) =>
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          if (id) next.set('entity', id);
          else next.delete('entity');
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );

  const expand = useCallback(
    async (entityId: string) => {
      setExpanding(true);
      setExpandError(null);
      try {
        const hood = await neighbourhood(entityId, projectId);
        setExpansions((list) => [...list, hood]);
      } catch (error) {
        setExpandError(error);
      } finally {
        setExpanding(false);
      }
    },
    [projectId],
  );

  const tenantRole = session?.principal.tenant_role;
  const canMerge =
    tenantRole === 'tenant_admin' || (scope.kind === 'project' ? canEdit(scope.role) : (projects.data ?? []).some((p) => canEdit(p.role)));

  const listed = graph ? filterNodes(graph.nodes, filter) : [];

  return (
    <div className="graph-page">
      <h1>Graph</h1>
      <ProblemAlert error={base.error ?? placed.error} />
      {graph ? (
        <p className="graph-summary">
          {graph.nodes.length === 0
            ? 'No entities yet: they appear here once documents are processed.'
            : `${graph.nodes.length} entities, ${graph.edges.length} relations` +
              (graph.truncated
                ? ` — the most mentioned ones only (at most ${DRAW_LIMIT} are drawn); expand an entity to see more around it.`
                : '.')}
        </p>
      ) : base.isPending ? (
        <p aria-busy="true">Loading the graph…</p>
      ) : null}
      <div className="graph-layout">
        <div className="graph-list">
          <label htmlFor={filterId}>Filter entities</label>
          <input id={filterId} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
          <ul aria-label="Entities" className="entity-list">
            {listed.map((n) => (
              <li key={n.id}>
                <button
                  type="button"
                  className={n.id === selected ? 'entity-button chosen' : 'entity-button'}
                  aria-pressed={n.id === selected}
                  onClick={() => select(n.id)}
                >
                  <span className="swatch" style={{ background: colourOf(n.id) }} aria-hidden="true" />
                  <span className="entity-name">{n.label}</span>
                  {n.type ? <span className="entity-type">{n.type}</span> : null}
                </button>
              </li>
            ))}
          </ul>
          {graph && graph.nodes.length > 0 && listed.length === 0 ? <p className="muted">No entity matches “{filter}”.</p> : null}
        </div>
        {selected ? (
          <EntityPanel
            key={selected}
            entityId={selected}
            candidates={graph?.nodes ?? []}
            canMerge={canMerge}
            expanding={expanding}
            onExpand={() => void expand(selected)}
            onMerged={(into) => {
              setExpansions([]);
              select(into);
            }}
          />
        ) : null}
        <section className="graph-area" aria-label="Entity graph">
          <ProblemAlert error={expandError ?? around.error} />
          {graph && graph.nodes.length > 0 ? <GraphCanvas graph={graph} colourOf={colourOf} selected={selected} onSelect={select} /> : null}
          {global && legendProjects.length > 0 ? (
            <ul className="legend" aria-label="Colour legend">
              {legendProjects.map((p) => (
                <li key={p.id}>
                  <span className="swatch" style={{ background: colours.get(p.id) }} aria-hidden="true" /> {p.name}
                </li>
              ))}
              <li>
                <span className="swatch" style={{ background: SHARED_COLOUR }} aria-hidden="true" /> In several projects
              </li>
            </ul>
          ) : null}
          <p className="muted small">Select an entity in the list or on the canvas to see where it appears.</p>
        </section>
      </div>
    </div>
  );
}
