import type { EventEnvelope } from '@mandant/contracts';
import type { Projection } from '@mandant/shared/projection/projector.ts';
import { type DocumentStores, documentTitle, projectOrPurge, readAnalysis } from '../content.ts';
import { type DocumentAt, documentAt } from '../document-state.ts';

const DOCUMENT_EVENTS = new Set(['document.uploaded.v1', 'document.processed.v1', 'document.linked.v1', 'document.unlinked.v1', 'document.deleted.v1']);

/**
 * The entity graph: documents with their titles, project links, mentions (FOUND_IN, with counts)
 * and co-mention relations; APPEARS_IN_PROJECT is derived inside the store, so an entity leaves a
 * project as soon as no document linked to it mentions it any more. Link events link or unlink
 * the one project they name; every store call is idempotent, so replaying any suffix converges.
 *
 * A document whose content is erased (key destroyed, artefact gone) is removed from the graph,
 * and link events do not bring it back (they check the content can still be opened).
 */
export function graphProjection(stores: DocumentStores): Projection {
  const { graph } = stores;

  const purge = (tenantId: string, doc: DocumentAt) => () => graph.deleteDocuments(tenantId, [doc.documentId]);

  async function upserted(e: EventEnvelope, doc: DocumentAt): Promise<void> {
    const tenantId = e.tenant_id;
    await projectOrPurge(async () => {
      const title = await documentTitle(stores, tenantId, doc);
      if (e.type === 'document.uploaded.v1' || !doc.processed) {
        await graph.upsertDocuments(tenantId, [{ id: doc.documentId, title }]);
        return;
      }
      const analysis = await readAnalysis(stores, tenantId, doc.processed.analysisKey);
      await graph.upsertDocuments(tenantId, [{ id: doc.documentId, title: title ?? analysis.title }]);
      await graph.upsertMentions(tenantId, doc.documentId, analysis.entities.map((en) => ({
        entity_id: en.id, name: en.name, type: en.type, count: en.count,
      })), { replace: true });
      await graph.upsertRelations(tenantId, analysis.relations.map((r) => ({
        from_entity_id: r.a, to_entity_id: r.b, document_id: doc.documentId, confidence: r.confidence,
      })));
    }, purge(tenantId, doc));
  }

  async function linked(e: EventEnvelope, doc: DocumentAt): Promise<void> {
    const projectId = String(e.data.project_id);
    const tenantId = e.tenant_id;
    if (e.type === 'document.unlinked.v1') {
      await graph.unlinkDocuments(tenantId, projectId, [doc.documentId]);
      return;
    }
    await projectOrPurge(async () => {
      await documentTitle(stores, tenantId, doc); // throws when the content is erased
      await graph.linkDocuments(tenantId, projectId, [doc.documentId]);
    }, purge(tenantId, doc));
  }

  return {
    name: 'graph',
    version: 1,
    handles: (type) => DOCUMENT_EVENTS.has(type) || type === 'project.deleted.v1',
    async apply(tx, e) {
      if (e.type === 'project.deleted.v1') {
        if (e.project_id) await graph.deleteProject(e.tenant_id, e.project_id);
        return;
      }
      const doc = await documentAt(tx, e);
      switch (e.type) {
        case 'document.uploaded.v1':
        case 'document.processed.v1':
          if (!doc.deleted) await upserted(e, doc);
          return;
        case 'document.linked.v1':
        case 'document.unlinked.v1':
          if (!doc.deleted) await linked(e, doc);
          return;
        case 'document.deleted.v1':
          return graph.deleteDocuments(e.tenant_id, [doc.documentId]);
      }
    },
    async reset(_tx, tenantId) {
      await graph.dropTenant(tenantId);
    },
  };
}
