import { documentAt, documentCounts } from '@mandant/documents';
import { entityCounts } from '@mandant/entities';
import type { DocumentCounts, DocumentProjects, EntityCounts } from '@mandant/project';
import type { GraphStore } from '@mandant/shared/stores/graph';

/** What the project context reads of other contexts' data, filled with the owners' exports. */
export interface ProjectPorts {
  documents: DocumentCounts;
  entities: EntityCounts;
  documentProjects: DocumentProjects;
}

/**
 * The project service's ports: document counts from documents, entity counts from the entity
 * graph (as the entities context reads it), and a document's projects at one of its events from
 * the documents context's fold, for the project view's activity.
 */
export const projectPorts = (graph: GraphStore): ProjectPorts => ({
  documents: documentCounts,
  entities: entityCounts(graph),
  documentProjects: { at: async (tx, event) => (await documentAt(tx, event)).project_ids },
});
