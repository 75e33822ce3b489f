/**
 * The working state of one project as the console saves it when the caller leaves the project
 * (POST /me/switch-project `save_state`) and restores it when they come back: the view, its URL
 * query (search text, mode, filters, page), the open document and the last conversation. The
 * server keeps it as opaque JSON, so what comes back is checked before it becomes a URL.
 */
export interface ProjectState {
  /** the view's path inside the project: `files`, `files/{documentId}`, `search`, `graph`, `chat`, `chat/{conversationId}` */
  view: string;
  /** the view's URL query without `?` (search: `q`, `mode`, `type`, `from`, `to`, `entity`, `page`) */
  query: string;
  search?: { q: string; mode: string; type: string; from: string; to: string; entity: string };
  document_id?: string;
  conversation_id?: string;
}

const VIEW = /^(files|search|graph|chat)(?:\/([0-9A-Za-z-]{1,64}))?$/;
const MAX_QUERY = 2000;

/** The state of the project whose page is `pathname` + `search`, or null outside a project page. */
export function stateOfLocation(pathname: string, search: string, remembered: Partial<ProjectState> = {}): ProjectState | null {
  const match = /^\/projects\/[^/]+\/(.+)$/.exec(pathname);
  const path = match?.[1]?.replace(/\/+$/, '');
  const view = path && VIEW.exec(path);
  if (!view) return null;
  const query = search.replace(/^\?/, '').slice(0, MAX_QUERY);
  const state: ProjectState = { view: view[0], query };
  const params = new URLSearchParams(query);
  if (view[1] === 'search') {
    const get = (k: string) => params.get(k) ?? '';
    state.search = { q: get('q'), mode: get('mode'), type: get('type'), from: get('from'), to: get('to'), entity: get('entity') };
  } else if (remembered.search) state.search = remembered.search;
  if (view[1] === 'files' && view[2]) state.document_id = view[2];
  else if (remembered.document_id) state.document_id = remembered.document_id;
  if (view[1] === 'chat' && view[2]) state.conversation_id = view[2];
  else if (remembered.conversation_id) state.conversation_id = remembered.conversation_id;
  return state;
}

/**
 * The URL to open for a project from the state saved for it: its view with its query, or the
 * project's files when nothing (or nothing valid) was saved.
 */
export function pathOfState(slug: string, state: unknown): string {
  const base = `/projects/${encodeURIComponent(slug)}/`;
  if (!state || typeof state !== 'object') return `${base}files`;
  const { view, query } = state as Record<string, unknown>;
  if (typeof view !== 'string' || !VIEW.test(view)) return `${base}files`;
  let q = '';
  if (typeof query === 'string' && query.length <= MAX_QUERY) {
    const params = new URLSearchParams(query);
    q = params.toString();
  }
  return `${base}${view}${q ? `?${q}` : ''}`;
}
