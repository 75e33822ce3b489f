import { DocumentIdInput, type DocumentView, ListDocumentsInput, type Principal, rpc, streams } from '@mandant/contracts';
import { type Tx, withTenant } from '@mandant/shared/db';
import { forbidden } from '@mandant/shared/errors';
import type { RpcContext, RpcHandler } from '@mandant/shared/rpc';
import { readableProjects, requireActor, requireProjectRole, requireReader } from '@mandant/membership';
import { projectLookup, projectSummaries } from '@mandant/project';
import { requestEventMeta, runCommand } from '@mandant/shared/service';
import { guardContentWrite, requireWritable } from '@mandant/project';
import type { ServiceDeps } from '@mandant/shared/service';
import type { BlobStore } from '@mandant/shared/stores/blobs';
import { type Keyring, documentScope } from '@mandant/shared/stores/crypto';
import { type DocumentRow, documentAccess, embeddingsOf, readableCondition, toDocumentView } from './access.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { type DocumentCommand, documentDecider } from './decide.ts';
import type { TenantLimits } from './quota.ts';
import { uploadUseCase } from './upload.ts';

export interface DocumentDeps extends ServiceDeps {
  blobs: BlobStore;
  keyring: Keyring;
  /** the tenant's quotas: the tenant context's `tenantLimits(env)`, given by the composition */
  limits: TenantLimits;
}

export const requireWriter = (ctx: RpcContext): Principal => requireActor(ctx.principal);

export function documentHandlers(deps: DocumentDeps): Record<string, RpcHandler> {
  const { sql, store, clock, keyring, waitForViews } = deps;
  const recordUpload = uploadUseCase(deps);

  /** Runs one command on a document's stream and waits until the views show it. */
  async function execute(
    p: Principal,
    ctx: RpcContext,
    documentId: string,
    projectId: string | null,
    command: DocumentCommand,
    beforeCommit?: (tx: Tx) => Promise<void>,
  ) {
    const res = await runCommand({
      store,
      clock,
      decider: documentDecider,
      tenantId: p.tenant_id,
      stream: streams.document(documentId),
      projectId,
      command,
      meta: requestEventMeta(ctx, p.actor),
      beforeCommit: beforeCommit ? () => beforeCommit : undefined,
    });
    await waitForViews(p.tenant_id, res.position);
    return res;
  }

  async function view(p: Principal, documentId: string): Promise<DocumentView> {
    return withTenant(sql, p.tenant_id, async (tx) => {
      const a = await documentAccess(tx, p, documentId);
      const emb = await embeddingsOf(tx, p.tenant_id, [documentId]);
      return toDocumentView(a.row, [...a.readable.keys()], emb.get(documentId) ?? []);
    });
  }

  return {
    async [rpc.documentUpload](input, ctx) {
      return recordUpload(requireWriter(ctx), ctx, input);
    },

    async [rpc.documentGet](input, ctx) {
      const { document_id } = DocumentIdInput.parse(input);
      return view(requireReader(ctx.principal), document_id);
    },

    async [rpc.documentList](input, ctx) {
      const q = ListDocumentsInput.parse(input ?? {});
      const p = requireReader(ctx.principal);
      const after = q.cursor ? decodeCursor(q.cursor) : null;
      return withTenant(sql, p.tenant_id, async (tx) => {
        if (q.project_id) await requireProjectRole(tx, projectLookup, p, q.project_id, 'viewer');
        const roles = await readableProjects(tx, p);
        const memberProjects = [...(roles?.keys() ?? [])];
        const scope = q.project_id
          ? tx`exists (select 1 from document_links_view l where l.tenant_id = d.tenant_id and l.document_id = d.document_id and l.project_id = ${q.project_id})`
          : readableCondition(tx, p, memberProjects);
        const rows = await tx<DocumentRow[]>`
          select d.* from documents_view d where d.tenant_id = ${p.tenant_id} and ${scope}
            ${q.status ? tx`and d.status = ${q.status}` : tx``}
            ${after ? tx`and (d.created_at, d.document_id) > (${after.at}::timestamptz, ${after.id}::uuid)` : tx``}
          order by d.created_at, d.document_id limit ${q.limit + 1}`;
        const page = rows.slice(0, q.limit);
        const ids = page.map((r) => r.document_id);
        const links = await tx<{ document_id: string; project_id: string }[]>`
          select l.document_id, l.project_id from document_links_view l
          where l.tenant_id = ${p.tenant_id} and l.document_id = any(${ids}::uuid[])
            ${roles ? tx`and l.project_id = any(${memberProjects}::uuid[])` : tx``}
          order by l.project_id`;
        const emb = await embeddingsOf(tx, p.tenant_id, ids);
        const last = page.at(-1);
        return {
          documents: page.map((r) =>
            toDocumentView(
              r,
              links.filter((l) => l.document_id === r.document_id).map((l) => l.project_id),
              emb.get(r.document_id) ?? [],
            ),
          ),
          next_cursor: rows.length > q.limit && last ? encodeCursor(last.created_at, last.document_id) : null,
        };
      });
    },

    async [rpc.documentDelete](input, ctx) {
      const { document_id } = DocumentIdInput.parse(input);
      const p = requireWriter(ctx);
      const linked = await withTenant(sql, p.tenant_id, async (tx) => {
        const a = await documentAccess(tx, p, document_id);
        // deleting takes the document out of every project it is in: it needs editing rights in all of them
        if (
          p.tenant_role !== 'tenant_admin' &&
          a.linked.some((id) => {
            const r = a.readable.get(id);
            return r !== 'editor' && r !== 'admin';
          })
        ) {
          throw forbidden('deleting a document needs the editor role in every project it is linked to');
        }
        // and it changes the content of each of them: none may be archived
        for (const s of (await projectSummaries(tx, p.tenant_id, a.linked)).values()) requireWritable('document.delete', s.id, s.status);
        return a.linked;
      });
      await execute(p, ctx, document_id, null, { type: 'DeleteDocument' }, async (tx) => {
        await guardContentWrite(tx, p.tenant_id, 'document.delete', linked);
        await tx`delete from document_hashes where tenant_id = ${p.tenant_id} and document_id = ${document_id}`;
      });
      // Erasure: with `document.deleted.v1` committed (the tombstone every projector purges on,
      // the blob projector deleting the objects), the document's key goes, so its blobs, the
      // sealed fields of its events and any replay of them never open again. Documents uploaded
      // before per-document keys are sealed under the tenant's key: for them this removes the
      // read models and blobs, not the sealed fields in the log (see README, Erasure).
      await keyring.destroy(p.tenant_id, documentScope(document_id));
      return null;
    },

    async [rpc.documentProjects](input, ctx) {
      const { document_id } = DocumentIdInput.parse(input);
      const p = requireReader(ctx.principal);
      return withTenant(sql, p.tenant_id, async (tx) => {
        const a = await documentAccess(tx, p, document_id);
        const ids = [...a.readable.keys()];
        const rows = await tx<{ project_id: string; linked_at: Date }[]>`select l.project_id, l.linked_at from document_links_view l
          where l.tenant_id = ${p.tenant_id} and l.document_id = ${document_id} and l.project_id = any(${ids}::uuid[]) order by l.linked_at, l.project_id`;
        const projects = await projectSummaries(
          tx,
          p.tenant_id,
          rows.map((r) => r.project_id),
        );
        return {
          document_id,
          projects: rows.flatMap((r) => {
            const pv = projects.get(r.project_id);
            return pv
              ? [
                  {
                    id: pv.id,
                    name: pv.name,
                    slug: pv.slug,
                    status: pv.status,
                    linked_at: r.linked_at.toISOString(),
                    role: a.readable.get(r.project_id),
                  },
                ]
              : [];
          }),
        };
      });
    },
  };
}
