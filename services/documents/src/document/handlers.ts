import {
  DocumentIdInput, type DocumentView, ListDocumentsInput, type Principal, UploadDocumentInput, type UploadView, documentKeys, rpc, streams,
} from '@mandant/contracts';
import { type Tx, withTenant } from '@mandant/shared/db/connect.ts';
import { DomainError, forbidden } from '@mandant/shared/errors.ts';
import type { RpcContext, RpcHandler } from '@mandant/shared/rpc/rpc.ts';
import { requirePrincipal, requireProjectRole } from '@mandant/shared/service/access.ts';
import { requestEventMeta, runCommand } from '@mandant/shared/service/command.ts';
import type { ServiceDeps } from '@mandant/shared/service/service.ts';
import { waitForViews } from '@mandant/shared/service/views.ts';
import type { BlobStore } from '@mandant/shared/stores/blobs/port.ts';
import { type Keyring, documentScope } from '@mandant/shared/stores/crypto/data-keys.ts';
import { sealJson } from '@mandant/shared/stores/crypto/sealed-json.ts';
import { documentAccess, embeddingsOf, toDocumentView } from './access.ts';
import { type DocumentCommand, documentDecider } from './decide.ts';

export interface DocumentDeps extends ServiceDeps {
  blobs: BlobStore;
  keyring: Keyring;
}

/** Someone else claimed the same bytes between our check and our append: decide again. */
class HashTaken extends Error {}

export function requireWriter(ctx: RpcContext): Principal {
  const p = requirePrincipal(ctx.principal);
  if (p.tenant_role === 'auditor') throw forbidden('auditors read the event log only');
  if (!p.user_id && p.tenant_role !== 'tenant_admin') throw forbidden('this action needs a user or a tenant admin');
  return p;
}

const encodeCursor = (createdAt: Date, id: string) => Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!at || !id || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/.test(id)) throw new DomainError('validation.failed', 'cursor: not a cursor this API issued', { issues: [{ path: 'cursor', message: 'invalid' }] });
  return { at, id };
}

export function documentHandlers(deps: DocumentDeps): Record<string, RpcHandler> {
  const { sql, store, clock, log, blobs, keyring } = deps;

  /** Runs one command on a document's stream and waits until the views show it. */
  async function execute(p: Principal, ctx: RpcContext, documentId: string, projectId: string | null, command: DocumentCommand, beforeCommit?: (tx: Tx) => Promise<void>) {
    const res = await runCommand({
      store, clock, decider: documentDecider, tenantId: p.tenant_id, stream: streams.document(documentId), projectId,
      command, meta: requestEventMeta(ctx, p.actor), beforeCommit: beforeCommit ? () => beforeCommit : undefined,
    });
    await waitForViews(sql, log, p.tenant_id, res.position);
    return res;
  }

  /** An upload that does not become a document: its bytes, and the key the gateway made for them, go. */
  async function discard(tenantId: string, documentId: string, blobKey: string): Promise<void> {
    await blobs.delete(tenantId, blobKey);
    await keyring.destroy(tenantId, documentScope(documentId));
  }

  const readableProjects = async (tx: Tx, p: Principal, documentId: string) => [...(await documentAccess(tx, p, documentId)).readable.keys()];

  async function view(p: Principal, documentId: string): Promise<DocumentView> {
    return withTenant(sql, p.tenant_id, async (tx) => {
      const a = await documentAccess(tx, p, documentId);
      const emb = await embeddingsOf(tx, p.tenant_id, [documentId]);
      return toDocumentView(a.row, [...a.readable.keys()], emb.get(documentId) ?? []);
    });
  }

  async function upload(p: Principal, ctx: RpcContext, u: ReturnType<typeof UploadDocumentInput.parse>): Promise<UploadView> {
    if (u.blob_key !== documentKeys.raw(u.document_id, u.ext)) throw new DomainError('validation.failed', 'blob_key: not the document\'s raw key');
    if (u.project_id) {
      const a = await withTenant(sql, p.tenant_id, (tx) => requireProjectRole(tx, p, u.project_id as string, 'editor'));
      if (a.status === 'archived') throw new DomainError('project.archived', 'the project is archived: unarchive it to add documents');
    }
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [existing] = await withTenant(sql, p.tenant_id, (tx) => tx<{ document_id: string }[]>`
        select document_id from document_hashes where tenant_id = ${p.tenant_id} and content_sha256 = ${u.content_sha256}`);
      if (existing) {
        // the same bytes are already a document of this tenant: link it, never extract again
        await discard(p.tenant_id, u.document_id, u.blob_key);
        if (u.project_id) await execute(p, ctx, existing.document_id, u.project_id, { type: 'LinkDocument', project_id: u.project_id });
        const [row] = await withTenant(sql, p.tenant_id, (tx) => tx`select status from documents_view where tenant_id = ${p.tenant_id} and document_id = ${existing.document_id}`);
        const project_ids = await withTenant(sql, p.tenant_id, (tx) => readableProjects(tx, p, existing.document_id)).catch(() => (u.project_id ? [u.project_id] : []));
        return { id: existing.document_id, status: row?.status ?? 'pending', duplicate: true, project_ids };
      }
      const sealed = await sealJson(keyring, p.tenant_id, u.document_id, { title: u.title, filename: u.filename, source_url: u.source_url }, { scope: documentScope(u.document_id) });
      const upload = { kind: u.kind, content_type: u.content_type, ext: u.ext, size: u.size, content_sha256: u.content_sha256, blob_key: u.blob_key, sealed };
      try {
        await execute(p, ctx, u.document_id, u.project_id, { type: 'UploadDocument', upload, project_id: u.project_id }, async (tx) => {
          const claimed = await tx`insert into document_hashes (tenant_id, content_sha256, document_id) values (${p.tenant_id}, ${u.content_sha256}, ${u.document_id})
                                   on conflict do nothing returning document_id`;
          if (claimed.length === 0) throw new HashTaken();
        });
      } catch (err) {
        if (err instanceof HashTaken) continue;
        throw err;
      }
      return { id: u.document_id, status: 'pending', duplicate: false, project_ids: u.project_id ? [u.project_id.toLowerCase()] : [] };
    }
    throw new DomainError('conflict', 'the same file is being uploaded concurrently: try again');
  }

  return {
    async [rpc.documentUpload](input, ctx) {
      const p = requireWriter(ctx);
      const u = UploadDocumentInput.parse(input);
      try {
        return await upload(p, ctx, u);
      } catch (err) {
        // the gateway stored the bytes before asking: a refused upload leaves nothing behind
        await discard(p.tenant_id, u.document_id, u.blob_key).catch((e: unknown) => log.warn({ err: e, tenant_id: p.tenant_id, document_id: u.document_id }, 'orphan upload not removed'));
        throw err;
      }
    },

    async [rpc.documentGet](input, ctx) {
      const { document_id } = DocumentIdInput.parse(input);
      const p = requirePrincipal(ctx.principal);
      if (p.tenant_role === 'auditor') throw forbidden('auditors read the event log only');
      return view(p, document_id);
    },

    async [rpc.documentList](input, ctx) {
      const q = ListDocumentsInput.parse(input ?? {});
      const p = requirePrincipal(ctx.principal);
      if (p.tenant_role === 'auditor') throw forbidden('auditors read the event log only');
      const after = q.cursor ? decodeCursor(q.cursor) : null;
      return withTenant(sql, p.tenant_id, async (tx) => {
        const admin = p.tenant_role === 'tenant_admin';
        if (q.project_id) await requireProjectRole(tx, p, q.project_id, 'viewer');
        const scope = q.project_id
          ? tx`exists (select 1 from document_links_view l where l.tenant_id = d.tenant_id and l.document_id = d.document_id and l.project_id = ${q.project_id})`
          : admin
            ? tx`true`
            : tx`(exists (select 1 from document_links_view l join members_view m on m.tenant_id = l.tenant_id and m.project_id = l.project_id
                          where l.tenant_id = d.tenant_id and l.document_id = d.document_id and m.user_id = ${p.user_id})
                  or (not exists (select 1 from document_links_view l where l.tenant_id = d.tenant_id and l.document_id = d.document_id)
                      and d.uploaded_by in (${p.actor}, ${p.user_id ? `user:${p.user_id}` : p.actor})))`;
        const rows = await tx`
          select d.* from documents_view d where d.tenant_id = ${p.tenant_id} and ${scope}
            ${q.status ? tx`and d.status = ${q.status}` : tx``}
            ${after ? tx`and (d.created_at, d.document_id) > (${after.at}::timestamptz, ${after.id}::uuid)` : tx``}
          order by d.created_at, d.document_id limit ${q.limit + 1}`;
        const page = rows.slice(0, q.limit);
        const ids = page.map((r) => r.document_id as string);
        const links = await tx<{ document_id: string; project_id: string }[]>`
          select l.document_id, l.project_id from document_links_view l
          where l.tenant_id = ${p.tenant_id} and l.document_id = any(${ids}::uuid[])
            ${admin ? tx`` : tx`and exists (select 1 from members_view m where m.tenant_id = l.tenant_id and m.project_id = l.project_id and m.user_id = ${p.user_id})`}
          order by l.project_id`;
        const emb = await embeddingsOf(tx, p.tenant_id, ids);
        const last = page.at(-1);
        return {
          documents: page.map((r) => toDocumentView(r, links.filter((l) => l.document_id === r.document_id).map((l) => l.project_id), emb.get(r.document_id) ?? [])),
          next_cursor: rows.length > q.limit && last ? encodeCursor(last.created_at, last.document_id) : null,
        };
      });
    },

    async [rpc.documentDelete](input, ctx) {
      const { document_id } = DocumentIdInput.parse(input);
      const p = requireWriter(ctx);
      await withTenant(sql, p.tenant_id, async (tx) => {
        const a = await documentAccess(tx, p, document_id);
        // deleting takes the document out of every project it is in: it needs editing rights in all of them
        if (p.tenant_role !== 'tenant_admin' && a.linked.some((id) => { const r = a.readable.get(id); return r !== 'editor' && r !== 'admin'; })) {
          throw forbidden('deleting a document needs the editor role in every project it is linked to');
        }
      });
      await execute(p, ctx, document_id, null, { type: 'DeleteDocument' }, async (tx) => {
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
      const p = requirePrincipal(ctx.principal);
      if (p.tenant_role === 'auditor') throw forbidden('auditors read the event log only');
      return withTenant(sql, p.tenant_id, async (tx) => {
        const a = await documentAccess(tx, p, document_id);
        const ids = [...a.readable.keys()];
        const rows = await tx`select pv.project_id, pv.name, pv.slug, pv.status, l.linked_at from document_links_view l
          join projects_view pv on pv.tenant_id = l.tenant_id and pv.project_id = l.project_id
          where l.tenant_id = ${p.tenant_id} and l.document_id = ${document_id} and l.project_id = any(${ids}::uuid[]) order by l.linked_at, l.project_id`;
        return {
          document_id,
          projects: rows.map((r) => ({ id: r.project_id, name: r.name, slug: r.slug, status: r.status, linked_at: r.linked_at.toISOString(), role: a.readable.get(r.project_id) })),
        };
      });
    },
  };
}
