import { type ComponentType, lazy } from 'react';
import { Navigate, Outlet, createBrowserRouter, useLocation } from 'react-router';
import { useSession } from './session.tsx';
import { Home } from './shell/Home.tsx';
import { Layout } from './shell/Layout.tsx';
import { SignInPage } from './shell/SignInPage.tsx';

// Each view is its own chunk, loaded when first opened: the first page loads only the shell.
const view = <K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) =>
  lazy(async () => ({ default: (await load())[name] }));
const FilesPage = view(() => import('./files/FilesPage.tsx'), 'FilesPage');
const DocumentPage = view(() => import('./files/DocumentPage.tsx'), 'DocumentPage');
const SearchPage = view(() => import('./search/SearchPage.tsx'), 'SearchPage');
const GraphPage = view(() => import('./graph/GraphPage.tsx'), 'GraphPage');
const ChatPage = view(() => import('./chat/ChatPage.tsx'), 'ChatPage');
const AdminPage = view(() => import('./admin/AdminPage.tsx'), 'AdminPage');

/** Signed-in pages only; a signed-out visitor goes to /signin (never in single-tenant mode: its session always exists). */
function RequireSession() {
  const { session } = useSession();
  const { pathname, search } = useLocation();
  if (session === undefined) return <p aria-busy="true">Loading…</p>;
  // after signing in again, back to the page the caller was on
  if (session === null) return <Navigate to="/signin" replace state={{ from: pathname + search }} />;
  return <Outlet />;
}

/** The same views in one project (`/projects/{slug}/…`) and across the tenant (`/global/…`). */
const scopedViews = [
  { path: 'files', element: <FilesPage /> },
  { path: 'files/:documentId', element: <DocumentPage /> },
  { path: 'search', element: <SearchPage /> },
  { path: 'graph', element: <GraphPage /> },
  // one route, so opening a conversation keeps the page (and an answer being written) mounted
  { path: 'chat/:conversationId?', element: <ChatPage /> },
];

export const router = createBrowserRouter([
  { path: '/signin', element: <SignInPage /> },
  {
    element: <RequireSession />,
    children: [
      {
        element: <Layout />,
        children: [
          { index: true, element: <Home /> },
          { path: 'projects/:slug', children: [{ index: true, element: <Navigate to="files" replace /> }, ...scopedViews] },
          { path: 'global', children: [{ index: true, element: <Navigate to="files" replace /> }, ...scopedViews] },
          { path: 'admin/*', element: <AdminPage /> },
          { path: '*', element: <NotFound /> },
        ],
      },
    ],
  },
]);

function NotFound() {
  return (
    <div role="alert" className="alert">
      <strong>Not found</strong>
      <p>There is nothing at this address.</p>
    </div>
  );
}
