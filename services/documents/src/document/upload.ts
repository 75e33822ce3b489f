import { type Principal, UploadDocumentInput, type UploadView, documentKeys, streams } from '@mandant/contracts';
import { type Tx, withTenant } from '@mandant/shared/db';
import { DomainError } from '@mandant/shared/errors';
import { isIdempotentRequest } from '@mandant/shared/rpc';
import type { RpcContext } from '@mandant/shared/rpc';
import { requireProjectRole } from '@mandant/membership';
import { projectLookup } from '@mandant/project';
import { requestEventMeta, runCommand } from '@mandant/shared/service';
import { guardContentWrite, requireWritable } from '@mandant/project';
import { documentScope } from '@mandant/shared/stores/crypto';
import { sealJson } from '@mandant/shared/stores/crypto';
import { adoptableDuplicate, documentAccess } from './access.ts';
import { type DocumentCommand, documentDecider } from './decide.ts';
import type { DocumentDeps } from './handlers.ts';
import { quotaCheck } from './quota.ts';

type Upload = ReturnType<typeof UploadDocumentInput.parse>;

/** Another upload claimed the same bytes between our look and our append: look again. */
class HashClaimed extends Error {}

/**
 * Recording an upload whose bytes the gateway already stored, sealed under the new document's
 * own key, at `raw/{document_id}/…`. Deduplication never crosses visibility: when the caller
 * can read a document with the same bytes (see `adoptableDuplicate`), that one is the answer
 * (`duplicate: true`, linked into the project, the new bytes and key discarded); otherwise the
 * upload becomes a document of its own (own id, key and blob; extracted again), answered
 * exactly like bytes never seen before, so nothing of a hidden document shows. A content hash
 * may therefore be claimed by several documents of a tenant (migration 1700000000160).
 */
export function uploadUseCase(deps: DocumentDeps) {
  const { sql, store, clock, log, blobs, keyring, waitForViews } = deps;
  const checkQuota = quotaCheck(deps);

  async function execute(
    p: Principal,
    ctx: RpcContext,
    documentId: string,
    projectId: string | null,
    command: DocumentCommand,
    beforeCommit: (tx: Tx) => Promise<void>,
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
      beforeCommit: () => beforeCommit,
    });
    await waitForViews(p.tenant_id, res.position);
  }

  /**
   * An upload that does not become a document: its bytes, and the key the gateway made for them,
   * go. An upload sent with an Idempotency-Key keeps its key: its document id is derived from
   * the key, so the client's retry seals under that same id again, which a destroyed key forbids.
   */
  async function discard(ctx: RpcContext, tenantId: string, documentId: string, blobKey: string): Promise<void> {
    await blobs.delete(tenantId, blobKey);
    if (!isIdempotentRequest(ctx)) await keyring.destroy(tenantId, documentScope(documentId));
  }

  const claimsOf = (p: Principal, tx: Tx, sha: string) => tx<{ document_id: string }[]>`
    select document_id from document_hashes where tenant_id = ${p.tenant_id} and content_sha256 = ${sha} order by document_id`;

  /**
   * The claims on these bytes and the one the caller may adopt. `settled`: every claimed document
   * is in the views already (a claim without one is an upload whose views lag, not yet judged).
   */
  const look = (p: Principal, sha: string) =>
    withTenant(sql, p.tenant_id, async (tx) => {
      const claims = (await claimsOf(p, tx, sha)).map((c) => c.document_id);
      const [shown] = await tx<{ n: number }[]>`
      select count(*)::int as n from documents_view where tenant_id = ${p.tenant_id} and document_id = any(${claims}::uuid[])`;
      return { claims, adoptable: await adoptableDuplicate(tx, p, claims), settled: (shown?.n ?? 0) === claims.length };
    });

  /** The caller already reads a document with these bytes: link it, never extract again. */
  async function adopt(p: Principal, ctx: RpcContext, u: Upload, existingId: string): Promise<UploadView> {
    // the same id: a retried upload (its id derives from its Idempotency-Key) that was recorded, its bytes are the document's
    if (existingId.toLowerCase() !== u.document_id.toLowerCase()) await discard(ctx, p.tenant_id, u.document_id, u.blob_key);
    const projectId = u.project_id;
    if (projectId) {
      await execute(p, ctx, existingId, projectId, { type: 'LinkDocument', project_id: projectId }, (tx) =>
        guardContentWrite(tx, p.tenant_id, 'document.link', [projectId]),
      );
    }
    return withTenant(sql, p.tenant_id, async (tx) => {
      const a = await documentAccess(tx, p, existingId);
      return { id: existingId, status: a.row.status, duplicate: true, project_ids: [...a.readable.keys()] };
    });
  }

  /** A document of its own. `seen`: the claims on these bytes the caller may not adopt. */
  async function record(p: Principal, ctx: RpcContext, u: Upload, seen: string[]): Promise<UploadView> {
    const sealed = await sealJson(
      keyring,
      p.tenant_id,
      u.document_id,
      { title: u.title, filename: u.filename, source_url: u.source_url },
      { scope: documentScope(u.document_id) },
    );
    const upload = {
      kind: u.kind,
      content_type: u.content_type,
      ext: u.ext,
      size: u.size,
      content_sha256: u.content_sha256,
      blob_key: u.blob_key,
      sealed,
    };
    await execute(p, ctx, u.document_id, u.project_id, { type: 'UploadDocument', upload, project_id: u.project_id }, async (tx) => {
      // uploads of the same bytes in the tenant take turns here, so none misses another's claim
      await tx`select pg_advisory_xact_lock(hashtextextended(${`document-hash:${p.tenant_id}:${u.content_sha256}`}, 0))`;
      if ((await claimsOf(p, tx, u.content_sha256)).some((c) => !seen.includes(c.document_id))) throw new HashClaimed();
      if (u.project_id) await guardContentWrite(tx, p.tenant_id, 'document.upload', [u.project_id]);
      await tx`insert into document_hashes (tenant_id, content_sha256, document_id) values (${p.tenant_id}, ${u.content_sha256}, ${u.document_id})`;
    });
    return { id: u.document_id, status: 'pending', duplicate: false, project_ids: u.project_id ? [u.project_id.toLowerCase()] : [] };
  }

  async function upload(p: Principal, ctx: RpcContext, u: Upload): Promise<UploadView> {
    if (u.blob_key !== documentKeys.raw(u.document_id, u.ext))
      throw new DomainError('validation.failed', "blob_key: not the document's raw key");
    if (u.project_id) {
      const a = await withTenant(sql, p.tenant_id, (tx) => requireProjectRole(tx, projectLookup, p, u.project_id as string, 'editor'));
      requireWritable('document.upload', u.project_id, a.status);
    }
    // quotas (stored bytes, documents): refused before anything is appended
    await checkQuota(p.tenant_id, u.size);
    // each lost turn means another upload of these bytes was recorded: a few turns are enough
    for (let attempt = 1; attempt <= 5; attempt++) {
      let found = await look(p, u.content_sha256);
      if (!found.settled) {
        // a claim is committed with its upload, the document's views follow: let them catch up
        await waitForViews(p.tenant_id, await store.head(p.tenant_id));
        found = await look(p, u.content_sha256);
        // still lagging (the wait timed out): a claim not yet judged is never recorded beside, or
        // a second document of these bytes could share the caller's reach; judge it next turn
        if (!found.settled) continue;
      }
      if (found.adoptable) return adopt(p, ctx, u, found.adoptable);
      try {
        return await record(p, ctx, u, found.claims);
      } catch (err) {
        if (!(err instanceof HashClaimed)) throw err;
      }
    }
    throw new DomainError('conflict', 'the same file is being uploaded concurrently: try again');
  }

  /** The use case behind `documentUpload`: a refused upload leaves nothing behind. */
  return async function recordUpload(p: Principal, ctx: RpcContext, input: unknown): Promise<UploadView> {
    const u = UploadDocumentInput.parse(input);
    try {
      return await upload(p, ctx, u);
    } catch (err) {
      // recorded, then failed (say, waiting for the views): the document is there, keep its bytes and key
      const recorded = await store.readStream(p.tenant_id, streams.document(u.document_id)).then(
        (s) => s.events.length > 0,
        () => true,
      );
      if (recorded) throw err;
      // the gateway stored the bytes before asking
      await discard(ctx, p.tenant_id, u.document_id, u.blob_key).catch((e: unknown) =>
        log.warn({ err: e, tenant_id: p.tenant_id, document_id: u.document_id }, 'orphan upload not removed'),
      );
      throw err;
    }
  };
}
