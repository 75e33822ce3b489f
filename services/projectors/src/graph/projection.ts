import { type DocumentAnalysis, EntityMerged, type EventEnvelope } from '@mandant/contracts';
import type { Projection } from '@mandant/shared/projection';
import type { MentionInput, RelationInput } from '@mandant/shared/stores/graph';
import {
  type DocumentStores,
  type PageArtefacts,
  documentTitle,
  isErased,
  pageArtefacts,
  projectOrPurge,
  readAnalysis,
} from '../content.ts';
import { type DocumentAt, documentAt, documentIdOf, createDocumentStates } from '../document-state.ts';

const DOCUMENT_EVENTS = new Set([
  'document.uploaded.v1',
  'document.processed.v1',
  'document.linked.v1',
  'document.unlinked.v1',
  'document.deleted.v1',
]);
const MERGED = 'entity.merged.v1';

/**
 * The entity graph: documents with their titles, project links, mentions (FOUND_IN, with counts)
 * and co-mention relations; APPEARS_IN_PROJECT is derived inside the store, so an entity leaves a
 * project as soon as no document linked to it mentions it any more. Link events link or unlink
 * the one project they name; every store call is idempotent, so replaying any suffix converges.
 *
 * A document whose content is erased (key destroyed, artefact gone) is removed from the graph,
 * and link events do not bring it back (they check the content can still be opened).
 *
 * `applyBatch` keeps the page's order where it matters and defers what commutes. Titles, mentions,
 * relations and links are collected and written at the end of the page, or before the next
 * deletion (of a document or project) or merge, which must see them: one `upsertDocuments`, one
 * `upsertMentionsOfDocuments` (in the order of the events: which entity a name resolves to
 * depends on which document named it first), one `upsertRelations` and one `changeLinks`. A
 * relation is deferred only when both its entities are among its own document's mentions, so it
 * resolves to the same entities later as right after them; any other is written right after
 * everything before it. A document processed twice in a page has its first mentions written
 * before its second. Appearances are derived from links and mentions inside the store, so their
 * order does not matter.
 *
 * `entity.merged.v1` folds one entity into another (`mergeEntities`, a no-op once done, so a
 * replay converges); it sees every write before it in the page (the deferred ones are flushed).
 */
export function graphProjection(stores: DocumentStores): Projection {
  // each document's state at the end of the last page that named it: a page folds only what came after
  const documentStates = createDocumentStates();
  const { graph } = stores;

  const purge = (tenantId: string, doc: DocumentAt) => () => graph.deleteDocuments(tenantId, [doc.documentId]);

  async function merge(e: EventEnvelope): Promise<void> {
    const parsed = EntityMerged.shape.data.safeParse(e.data);
    if (parsed.success) await graph.mergeEntities(e.tenant_id, parsed.data.from_entity_id, parsed.data.into_entity_id);
  }

  /** What an upload or processing event sets: the title, and for a processing the mentions. */
  async function readUpserted(e: EventEnvelope, doc: DocumentAt, page?: PageArtefacts) {
    const tenantId = e.tenant_id;
    const title = await documentTitle(stores, tenantId, doc);
    if (e.type === 'document.uploaded.v1' || !doc.processed) return { title, analysis: null };
    const analysis = await readAnalysis(stores, tenantId, doc.processed.analysisKey, page);
    return { title: title ?? analysis.title, analysis };
  }

  const mentionsOf = (analysis: DocumentAnalysis): MentionInput[] =>
    analysis.entities.map((en) => ({ entity_id: en.id, name: en.name, type: en.type, count: en.count }));
  const relationsOf = (documentId: string, analysis: DocumentAnalysis): RelationInput[] =>
    analysis.relations.map((r) => ({ from_entity_id: r.a, to_entity_id: r.b, document_id: documentId, confidence: r.confidence }));

  async function writeMentions(tenantId: string, documentId: string, analysis: DocumentAnalysis) {
    await graph.upsertMentions(tenantId, documentId, mentionsOf(analysis), { replace: true });
    await graph.upsertRelations(tenantId, relationsOf(documentId, analysis));
  }

  async function upserted(e: EventEnvelope, doc: DocumentAt): Promise<void> {
    const tenantId = e.tenant_id;
    await projectOrPurge(
      async () => {
        const { title, analysis } = await readUpserted(e, doc);
        await graph.upsertDocuments(tenantId, [{ id: doc.documentId, title }]);
        if (analysis) await writeMentions(tenantId, doc.documentId, analysis);
      },
      purge(tenantId, doc),
    );
  }

  async function linked(e: EventEnvelope, doc: DocumentAt): Promise<void> {
    const projectId = String(e.data.project_id);
    const tenantId = e.tenant_id;
    if (e.type === 'document.unlinked.v1') {
      await graph.unlinkDocuments(tenantId, projectId, [doc.documentId]);
      return;
    }
    await projectOrPurge(
      async () => {
        await documentTitle(stores, tenantId, doc); // throws when the content is erased
        await graph.linkDocuments(tenantId, projectId, [doc.documentId]);
      },
      purge(tenantId, doc),
    );
  }

  /** The page's deferred writes: titles and mentions by document (in order), and per project the documents linked and then unlinked. */
  function pending(tenantId: string) {
    const titles = new Map<string, string | null>();
    const mentions = new Map<string, MentionInput[]>();
    const relations = new Map<string, RelationInput[]>();
    const links = new Map<string, { linked: Set<string>; unlinked: Set<string> }>();
    const linksOf = (projectId: string) => {
      const entry = links.get(projectId) ?? { linked: new Set<string>(), unlinked: new Set<string>() };
      links.set(projectId, entry);
      return entry;
    };
    return {
      titles,
      mentions,
      relations,
      link(projectId: string, documentId: string) {
        const entry = linksOf(projectId);
        entry.linked.add(documentId);
        entry.unlinked.delete(documentId);
      },
      unlink(projectId: string, documentId: string) {
        // stays in `linked` if it was: the link also created the project node, which outlives the unlink
        linksOf(projectId).unlinked.add(documentId);
      },
      async flush() {
        if (titles.size > 0)
          await graph.upsertDocuments(
            tenantId,
            [...titles].map(([id, title]) => ({ id, title })),
          );
        titles.clear();
        // in the order of their events: the first document to name an entity names it
        if (mentions.size > 0)
          await graph.upsertMentionsOfDocuments(
            tenantId,
            [...mentions].map(([documentId, m]) => ({ documentId, mentions: m })),
            { replace: true },
          );
        mentions.clear();
        // after the titles and mentions: a relation naming an unknown document or entity is dropped
        if (relations.size > 0) await graph.upsertRelations(tenantId, [...relations.values()].flat());
        relations.clear();
        if (links.size > 0)
          await graph.changeLinks(
            tenantId,
            [...links].map(([projectId, { linked, unlinked }]) => ({ projectId, linked: [...linked], unlinked: [...unlinked] })),
          );
        links.clear();
      },
    };
  }

  return {
    name: 'graph',
    version: 1,
    handles: (type) => DOCUMENT_EVENTS.has(type) || type === 'project.deleted.v1' || type === MERGED,
    async apply(tx, e) {
      if (e.type === MERGED) return merge(e);
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
    async applyBatch(tx, events) {
      const tenantId = events[0]?.tenant_id;
      if (tenantId === undefined) return;
      const states = new Map<string, DocumentAt>();
      // the analyses of the page's processed documents, read ahead
      const page = pageArtefacts(stores, tenantId);
      for (const { steps } of await documentStates.at(tx, events))
        for (const { event, doc } of steps) {
          states.set(event.id, doc);
          if (event.type === 'document.processed.v1' && doc.processed && !doc.deleted) page.prefetch([doc.processed.analysisKey]);
        }
      const later = pending(tenantId);
      /** whether the document's content opens, per sealed field it is read from (the keyring does not change within a page) */
      const readable = new Map<string, boolean>();
      const isReadable = async (doc: DocumentAt): Promise<boolean> => {
        const key = `${doc.documentId}\u0000${doc.processed?.sealed ?? doc.uploadedSealed ?? ''}`;
        let ok = readable.get(key);
        if (ok === undefined) {
          try {
            await documentTitle(stores, tenantId, doc);
            ok = true;
          } catch (err) {
            if (!isErased(err)) throw err;
            ok = false;
          }
          readable.set(key, ok);
        }
        return ok;
      };
      const remove = async (documentId: string) => {
        await later.flush();
        await graph.deleteDocuments(tenantId, [documentId]);
      };

      for (const e of events) {
        if (e.type === MERGED) {
          await later.flush();
          await merge(e);
          continue;
        }
        if (e.type === 'project.deleted.v1') {
          if (!e.project_id) continue;
          await later.flush();
          await graph.deleteProject(tenantId, e.project_id);
          continue;
        }
        const doc = states.get(e.id);
        if (!doc || documentIdOf(e.stream) === null) continue;
        if (e.type === 'document.deleted.v1') {
          await remove(doc.documentId);
          continue;
        }
        if (doc.deleted) continue;
        switch (e.type) {
          case 'document.uploaded.v1':
          case 'document.processed.v1': {
            let read: Awaited<ReturnType<typeof readUpserted>>;
            try {
              read = await readUpserted(e, doc, page);
            } catch (err) {
              if (!isErased(err)) throw err;
              await remove(doc.documentId);
              break;
            }
            const { title, analysis } = read;
            if (!analysis) {
              later.titles.set(doc.documentId, title);
              break;
            }
            // re-processed within the page: its earlier mentions and relations first, as they were
            // written then (one call keeps the highest confidence per pair, successive calls the last)
            if (later.relations.has(doc.documentId) || later.mentions.has(doc.documentId)) await later.flush();
            // title and mentions wait for the flush, in the order of their events (the title first)
            later.titles.set(doc.documentId, title);
            later.mentions.set(doc.documentId, mentionsOf(analysis));
            const own = new Set(analysis.entities.map((en) => en.id.toLowerCase()));
            const relations = relationsOf(doc.documentId, analysis);
            if (relations.length === 0) break;
            if (relations.every((r) => own.has(r.from_entity_id.toLowerCase()) && own.has(r.to_entity_id.toLowerCase()))) {
              later.relations.set(doc.documentId, relations);
            } else {
              // a relation naming an entity the document does not mention resolves against the graph
              // as it is right after the document's mentions: everything before it written first
              await later.flush();
              await graph.upsertRelations(tenantId, relations);
            }
            break;
          }
          case 'document.linked.v1':
            if (await isReadable(doc)) later.link(String(e.data.project_id), doc.documentId);
            else await remove(doc.documentId);
            break;
          case 'document.unlinked.v1':
            later.unlink(String(e.data.project_id), doc.documentId);
            break;
        }
      }
      await later.flush();
    },
    async reset(_tx, tenantId) {
      await graph.dropTenant(tenantId);
    },
  };
}
