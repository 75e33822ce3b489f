import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { type DragEvent, useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api.ts';
import { type Scope, canEdit, scopePath, useMyProjects, useScope } from '../scope.tsx';
import { reportUnauthenticated } from '../session.tsx';
import { ProblemAlert } from '../shell/ProblemAlert.tsx';
import { type DocumentView, formatBytes, formatDateTime, isUnsettled, titleOf } from './format.ts';
import { useLiveStatus } from './live.ts';
import { StatusBadge } from './StatusBadge.tsx';
import { UploadError, uploadFile } from './upload.ts';
import './files.css';

const PAGE = 50;
/** How often the list is read again while documents are processing: slowly when streams follow them, faster when not. */
const POLL_FOLLOWED_MS = 15_000;
const POLL_UNFOLLOWED_MS = 3_000;

const listKey = (scope: Scope) => ['documents', scope.kind === 'global' ? 'global' : scope.slug];

/** Files: the scope's documents with their live status, and (for editors) an upload drop zone. */
export function FilesPage() {
  const scope = useScope();
  const mayUpload = scope.kind === 'project' && canEdit(scope.role) && scope.project?.status === 'active';
  return (
    <div className="files-page">
      <h1>Files</h1>
      {scope.kind === 'project' && scope.project?.status === 'archived' ? (
        <p className="notice">This project is archived: its files can be read, not changed.</p>
      ) : null}
      {mayUpload ? <UploadZone project={scope.slug} /> : null}
      <DocumentsTable scope={scope} />
    </div>
  );
}

interface UploadItem {
  key: number;
  name: string;
  size: number;
  loaded: number;
  state: 'waiting' | 'uploading' | 'done' | 'failed';
  message?: string;
  documentId?: string;
}

/** Uploads at once: the browser would queue more anyway, and the tenant's upload rate is limited. */
const PARALLEL = 3;
let nextKey = 1;

function UploadZone({ project }: { project: string }) {
  const queryClient = useQueryClient();
  const inputId = useId();
  const headingId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [items, setItems] = useState<UploadItem[]>([]);
  const [dragging, setDragging] = useState(false);

  const update = (key: number, patch: Partial<UploadItem>) => setItems((list) => list.map((i) => (i.key === key ? { ...i, ...patch } : i)));

  const start = (files: readonly File[]) => {
    if (files.length === 0) return;
    const added = files.map((file) => ({
      file,
      item: { key: nextKey++, name: file.name, size: file.size, loaded: 0, state: 'waiting' as const },
    }));
    setItems((list) => [...added.map((a) => a.item), ...list]);
    const queue = [...added];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { file, item } = next;
        update(item.key, { state: 'uploading' });
        try {
          const answer = await uploadFile(project, file, (loaded) => update(item.key, { loaded }));
          update(item.key, {
            state: 'done',
            loaded: file.size,
            documentId: answer.id,
            message: answer.duplicate ? 'Already uploaded: the existing document is now linked here.' : 'Uploaded; processing.',
          });
          void queryClient.invalidateQueries({ queryKey: ['documents'] });
        } catch (err) {
          if (err instanceof UploadError && err.status === 401) reportUnauthenticated();
          update(item.key, { state: 'failed', message: err instanceof UploadError ? err.reason : 'The upload failed.' });
        }
      }
    };
    for (let i = 0; i < Math.min(PARALLEL, added.length); i++) void worker();
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    start([...e.dataTransfer.files]);
  };

  return (
    <section
      className={dragging ? 'upload dragging' : 'upload'}
      aria-labelledby={headingId}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <h2 id={headingId}>Upload files</h2>
      <p className="upload-hint">
        Drop files here, or <label htmlFor={inputId}>Choose files</label>
        <input
          ref={input}
          id={inputId}
          type="file"
          multiple
          onChange={(e) => {
            start([...(e.target.files ?? [])]);
            e.target.value = '';
          }}
        />
        <span className="muted"> PDF, Word, HTML, Markdown, CSV or plain text; the type is read from the file itself.</span>
      </p>
      {items.length > 0 ? (
        <ul className="uploads" aria-label="Uploads">
          {items.map((item) => (
            <li key={item.key} className={`upload-item ${item.state}`}>
              <span className="upload-name">{item.name}</span>
              <progress
                aria-label={item.name}
                max={Math.max(item.size, 1)}
                value={item.state === 'done' ? Math.max(item.size, 1) : item.loaded}
              />
              <span className="upload-state">
                {item.state === 'waiting'
                  ? 'Waiting…'
                  : item.state === 'uploading'
                    ? `${formatBytes(item.loaded)} of ${formatBytes(item.size)}`
                    : item.state === 'done'
                      ? item.message
                      : null}
              </span>
              {item.state === 'failed' ? (
                <span role="alert" className="upload-error">
                  {item.message}
                </span>
              ) : null}
              {item.state === 'done' || item.state === 'failed' ? (
                <button
                  type="button"
                  className="quiet small"
                  aria-label={`Dismiss ${item.name}`}
                  onClick={() => setItems((list) => list.filter((i) => i.key !== item.key))}
                >
                  Dismiss
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function DocumentsTable({ scope }: { scope: Scope }) {
  const projects = useMyProjects();
  const key = listKey(scope);
  // whether every processing document has a status stream: read when the list decides to poll
  const followed = useRef(true);
  const list = useInfiniteQuery({
    queryKey: key,
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) => {
      const query = { limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) };
      return scope.kind === 'global'
        ? unwrap(await api.GET('/documents', { params: { query } }))
        : unwrap(await api.GET('/projects/{id}/documents', { params: { path: { id: scope.slug }, query } }));
    },
    getNextPageParam: (last) => last.next_cursor,
    refetchInterval: (query) =>
      query.state.data?.pages.some((p) => p.documents.some((d) => isUnsettled(d.status)))
        ? followed.current
          ? POLL_FOLLOWED_MS
          : POLL_UNFOLLOWED_MS
        : false,
  });
  const documents = (list.data?.pages.flatMap((p) => p.documents) ?? []).filter((d) => d.status !== 'deleted');
  const { allFollowed } = useLiveStatus(documents, key);
  useEffect(() => {
    followed.current = allFollowed;
  }, [allFollowed]);
  const names = new Map((projects.data ?? []).map((p) => [p.id, p.name]));
  const global = scope.kind === 'global';

  if (list.error) return <ProblemAlert error={list.error} />;
  return (
    <div className="documents">
      <table className="documents-table">
        <caption>
          Documents
          {/* the count beside the name, not in it: the table is called "Documents" */}
          {list.data ? (
            <span className="muted count" aria-hidden="true">
              {' '}
              {documents.length + (list.hasNextPage ? '+' : '')}
            </span>
          ) : null}
        </caption>
        <thead>
          <tr>
            <th scope="col">Title</th>
            <th scope="col">Status</th>
            <th scope="col">Uploaded</th>
            {global ? <th scope="col">Project</th> : null}
            <th scope="col" className="numeric">
              Size
            </th>
          </tr>
        </thead>
        <tbody>
          {documents.map((d) => (
            <DocumentRow
              key={d.id}
              doc={d}
              scope={scope}
              projectNames={global ? d.project_ids.map((id) => names.get(id) ?? 'another project') : null}
            />
          ))}
        </tbody>
      </table>
      {list.isPending ? <p aria-busy="true">Loading documents…</p> : null}
      {list.data && documents.length === 0 ? (
        <p className="empty">{global ? 'No documents in your projects yet.' : 'No documents in this project yet.'}</p>
      ) : null}
      {list.hasNextPage ? (
        <button type="button" className="quiet load-more" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
          {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </div>
  );
}

function DocumentRow({ doc, scope, projectNames }: { doc: DocumentView; scope: Scope; projectNames: string[] | null }) {
  return (
    <tr>
      <td>
        <Link to={scopePath(scope, `files/${doc.id}`)}>{titleOf(doc)}</Link>
        <span className="muted kind"> {doc.kind}</span>
      </td>
      <td>
        <StatusBadge status={doc.status} failure={doc.failure?.message ?? null} />
      </td>
      <td>
        <time dateTime={doc.created_at}>{formatDateTime(doc.created_at)}</time>
      </td>
      {projectNames ? (
        <td>
          {projectNames.map((name, i) => (
            <span key={`${name}-${i}`} className="badge">
              {name}
            </span>
          ))}
        </td>
      ) : null}
      <td className="numeric">{formatBytes(doc.size)}</td>
    </tr>
  );
}
