import type { Service } from '@mandant/shared/service';
import { contentHandlers } from './document/content.ts';
import { type DocumentDeps, documentHandlers } from './document/handlers.ts';
import { linkingHandlers } from './linking/handlers.ts';
import { projectDeletedUnlinker } from './linking/project-deleted.ts';
import { documentViews } from './views/projection.ts';

/** Documents: uploads, reads (extracted text, entities and passages too), deletion, and the relational views of documents and their links. */
export function documentService(deps: DocumentDeps): Service {
  return {
    name: 'document',
    handlers: { ...documentHandlers(deps), ...contentHandlers(deps) },
    projections: [documentViews(deps.keyring)],
  };
}

/** Linking: documents join and leave projects; deleting a project unlinks its documents. */
export function linkingService(deps: DocumentDeps): Service {
  return { name: 'linking', handlers: linkingHandlers(deps), projections: [projectDeletedUnlinker(deps)] };
}
