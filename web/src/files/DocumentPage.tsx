import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { ApiError, api, unwrap } from '../api.ts';
import { type Scope, canEdit, scopePath, useMyProjects, useScope } from '../scope.tsx';
import { Confirm, Dialog } from '../shell/Dialog.tsx';
import { ProblemAlert } from '../shell/ProblemAlert.tsx';
import { StatusBadge } from './StatusBadge.tsx';
import { type DocumentView, formatBytes, formatDateTime, isUnsettled, titleOf } from './format.ts';
import { cutAtPassage } from './passage.ts';
import './files.css';

const docKey = (id: string) => ['document', id];

/** One document: its facts, its text (a cited passage marked), its entities and the projects it is in. */
export function DocumentPage() {
  const { documentId = '' } = useParams();
  const scope = useScope();
  const doc = useQuery({
    queryKey: docKey(documentId),
    queryFn: async () => unwrap(await api.GET('/documents/{id}', { params: { path: { id: documentId } } })),
    // while it is processed, read it again until it settles (its text and entities come then)
    refetchInterval: (query) => (query.state.data && isUnsettled(query.state.data.status) ? 3_000 : false),
  });
  if (doc.error) return <ProblemAlert error={doc.error} />;
  if (!doc.data) return <p aria-busy="true">Loading the document…</p>;
  const d = doc.data;
  if (d.status === 'deleted')
    return (
      <div role="alert" className="alert">
        <strong>Deleted</strong>
        <p>This document was deleted.</p>
      </div>
    );
  if (scope.kind === 'project' && scope.project && !d.project_ids.includes(scope.project.id))
    return (
      <div role="alert" className="alert">
        <strong>Not found</strong>
        <p>This document is not in this project.</p>
      </div>
    );
  return <DocumentDetail doc={d} scope={scope} />;
}

function DocumentDetail({ doc, scope }: { doc: DocumentView; scope: Scope }) {
  const editable = scope.kind === 'project' && canEdit(scope.role) && scope.project?.status === 'active';
  const processed = doc.status === 'processed';
  return (
    <article className="document-page">
      <div className="document-header">
        <div>
          <p className="crumbs">
            <Link to={scopePath(scope, 'files')}>Files</Link>
          </p>
          <h1>{titleOf(doc)}</h1>
        </div>
        {editable && scope.kind === 'project' ? <WriteActions doc={doc} scope={scope} /> : null}
      </div>
      <dl className="document-facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={doc.status} failure={doc.failure?.message ?? null} />
          </dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd>{doc.kind}</dd>
        </div>
        <div>
          <dt>Size</dt>
          <dd>{formatBytes(doc.size)}</dd>
        </div>
        <div>
          <dt>Pages</dt>
          <dd>{doc.pages ?? '—'}</dd>
        </div>
        <div>
          <dt>Passages</dt>
          <dd>{doc.chunk_count}</dd>
        </div>
        <div>
          <dt>Uploaded</dt>
          <dd>
            <time dateTime={doc.created_at}>{formatDateTime(doc.created_at)}</time>
          </dd>
        </div>
      </dl>
      <AlsoIn doc={doc} scope={scope} />
      <div className="document-body">
        <TextRegion doc={doc} processed={processed} />
        <EntitiesRegion doc={doc} scope={scope} processed={processed} />
      </div>
    </article>
  );
}

/** The other projects the document is linked to (the ones the caller may read). */
function AlsoIn({ doc, scope }: { doc: DocumentView; scope: Scope }) {
  const linked = useQuery({
    queryKey: [...docKey(doc.id), 'projects', doc.project_ids.join(',')],
    queryFn: async () => unwrap(await api.GET('/documents/{id}/projects', { params: { path: { id: doc.id } } })).projects,
  });
  const mine = useMyProjects();
  const here = scope.kind === 'project' ? scope.project?.id : undefined;
  const known = new Map((mine.data ?? []).map((p) => [p.id, p]));
  const others = (linked.data ?? doc.project_ids.flatMap((id) => (known.get(id) ? [known.get(id)!] : []))).filter((p) => p.id !== here);
  if (others.length === 0) return scope.kind === 'project' ? <p className="also-in muted">Only in this project.</p> : null;
  return (
    <p className="also-in">
      <span className="muted">{scope.kind === 'project' ? 'Also in projects:' : 'In projects:'}</span>{' '}
      {others.map((p) => (
        <Link key={p.id} to={`/projects/${encodeURIComponent(p.slug)}/files/${doc.id}`}>
          {p.name}
        </Link>
      ))}
    </p>
  );
}

/** Read from the document while it is not processed: the API answers 409 and the view says why. */
const notReady = (error: unknown) => error instanceof ApiError && error.status === 409;

function TextRegion({ doc, processed }: { doc: DocumentView; processed: boolean }) {
  const [params] = useSearchParams();
  const chunk = params.get('chunk');
  const headingId = useId();
  const mark = useRef<HTMLElement>(null);
  const content = useQuery({
    queryKey: [...docKey(doc.id), 'content'],
    enabled: processed,
    staleTime: 5 * 60_000,
    queryFn: async () => unwrap(await api.GET('/documents/{id}/content', { params: { path: { id: doc.id } } })),
  });
  const span = chunk ? content.data?.chunks.find((c) => c.chunk_id === chunk) : undefined;
  const parts = content.data ? cutAtPassage(content.data.text, span) : null;
  useEffect(() => {
    // the cited passage in view, once its text is there
    mark.current?.scrollIntoView({ block: 'center' });
  }, [chunk, parts?.passage]);
  return (
    <section className="document-text" aria-labelledby={headingId}>
      <h2 id={headingId}>Text</h2>
      {!processed ? (
        <p className="muted">
          {doc.status === 'failed'
            ? `The text could not be extracted${doc.failure ? `: ${doc.failure.message}` : '.'}`
            : 'The text appears here once the document is processed.'}
        </p>
      ) : content.error && !notReady(content.error) ? (
        <ProblemAlert error={content.error} />
      ) : !parts ? (
        <p aria-busy="true">Loading the text…</p>
      ) : (
        <>
          {chunk && !span ? <p className="notice">The cited passage is not in this text any more.</p> : null}
          {content.data?.truncated ? <p className="notice">The text is long: only its first part is shown.</p> : null}
          <div className="text-body">
            {parts.before}
            {parts.passage !== null ? (
              <mark ref={mark} tabIndex={-1}>
                {parts.passage}
              </mark>
            ) : null}
            {parts.after}
          </div>
        </>
      )}
    </section>
  );
}

function EntitiesRegion({ doc, scope, processed }: { doc: DocumentView; scope: Scope; processed: boolean }) {
  const headingId = useId();
  const entities = useQuery({
    queryKey: [...docKey(doc.id), 'entities'],
    enabled: processed,
    queryFn: async () => unwrap(await api.GET('/documents/{id}/entities', { params: { path: { id: doc.id } } })).entities,
  });
  return (
    <section className="document-entities" aria-labelledby={headingId}>
      <h2 id={headingId}>Entities</h2>
      {!processed ? (
        <p className="muted">None yet.</p>
      ) : entities.error && !notReady(entities.error) ? (
        <ProblemAlert error={entities.error} />
      ) : !entities.data ? (
        <p aria-busy="true">Loading…</p>
      ) : entities.data.length === 0 ? (
        <p className="muted">No people, organisations or places found.</p>
      ) : (
        <ul>
          {entities.data.map((e) => (
            <li key={e.entity_id}>
              <span>
                <Link to={scopePath(scope, `graph?entity=${encodeURIComponent(e.entity_id)}`)}>{e.name}</Link>{' '}
                <span className="entity-type">{e.type}</span>
              </span>
              <span className="muted" title={`${e.mentions} mentions in this document`}>
                ×{e.mentions}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Link, unlink and delete: for editors and admins of the project, in an active project. */
function WriteActions({ doc, scope }: { doc: DocumentView; scope: Extract<Scope, { kind: 'project' }> }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [linking, setLinking] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [unlinking, setUnlinking] = useState(false);
  const refresh = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: docKey(doc.id) }), queryClient.invalidateQueries({ queryKey: ['documents'] })]);
  const unlink = useMutation({
    mutationFn: async () =>
      unwrap(await api.DELETE('/projects/{id}/documents/{doc_id}/unlink', { params: { path: { id: scope.slug, doc_id: doc.id } } })),
    onSuccess: async () => {
      setUnlinking(false);
      await refresh();
      void navigate(scopePath(scope, 'files'));
    },
  });
  const others = doc.project_ids.length - 1;
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/documents/{id}', { params: { path: { id: doc.id } } })),
    onSuccess: async () => {
      setDeleting(false);
      await queryClient.invalidateQueries({ queryKey: ['documents'] });
      queryClient.removeQueries({ queryKey: docKey(doc.id) });
      void navigate(scopePath(scope, 'files'));
    },
  });
  return (
    <div className="document-actions-wrap">
      <div className="document-actions">
        <button type="button" className="quiet" onClick={() => setLinking(true)}>
          + Link to project
        </button>
        <button type="button" className="quiet" onClick={() => setUnlinking(true)}>
          Unlink from this project
        </button>
        <button type="button" className="danger" onClick={() => setDeleting(true)}>
          Delete
        </button>
      </div>
      <Confirm
        open={unlinking}
        title="Unlink from this project?"
        action="Unlink"
        onConfirm={() => unlink.mutate()}
        onCancel={() => setUnlinking(false)}
        pending={unlink.isPending}
        error={unlink.error}
      >
        <p>
          “{titleOf(doc)}” leaves {scope.project?.name ?? 'this project'}
          {others > 0
            ? ` and stays in ${others === 1 ? 'its other project' : `its ${others} other projects`}`
            : ', its only project: it stays stored, in no project, until it is deleted'}
          . Nothing of it is deleted by this.
        </p>
      </Confirm>
      <Dialog open={linking} onClose={() => setLinking(false)} title="Link to project">
        <LinkForm doc={doc} onDone={() => setLinking(false)} refresh={refresh} />
      </Dialog>
      <Confirm
        open={deleting}
        title="Delete document?"
        action="Delete"
        onConfirm={() => remove.mutate()}
        onCancel={() => setDeleting(false)}
        pending={remove.isPending}
        error={remove.error}
      >
        <p>
          “{titleOf(doc)}” will be deleted from every project it is in
          {doc.project_ids.length > 1 ? ` (${doc.project_ids.length} projects)` : ''}, with its text, passages and entity mentions.
        </p>
      </Confirm>
    </div>
  );
}

function LinkForm({ doc, onDone, refresh }: { doc: DocumentView; onDone: () => void; refresh: () => Promise<unknown> }) {
  const mine = useMyProjects();
  const selectId = useId();
  const candidates = (mine.data ?? []).filter((p) => canEdit(p.role) && p.status === 'active' && !doc.project_ids.includes(p.id));
  const [target, setTarget] = useState('');
  const chosen = target || candidates[0]?.id || '';
  const link = useMutation({
    mutationFn: async (id: string) =>
      unwrap(await api.POST('/projects/{id}/documents/link', { params: { path: { id } }, body: { document_ids: [doc.id] } })),
    onSuccess: async () => {
      await refresh();
      onDone();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (chosen) link.mutate(chosen);
  };
  return (
    <form onSubmit={submit} className="stack">
      <label htmlFor={selectId}>Project</label>
      <select id={selectId} value={chosen} onChange={(e) => setTarget(e.target.value)} disabled={candidates.length === 0}>
        {candidates.length === 0 ? <option value="">No other project you may add to</option> : null}
        {candidates.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
      <ProblemAlert error={mine.error ?? link.error} />
      <div className="dialog-actions">
        <button type="submit" disabled={!chosen || link.isPending}>
          Link
        </button>
        <button type="button" className="quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
