import { LinkDocumentsInput, type Principal, UnlinkDocumentInput, rpc, streams } from '@mandant/contracts';
import { withTenant } from '@mandant/shared/db';
import { notFound } from '@mandant/shared/errors';
import type { RpcContext, RpcHandler } from '@mandant/shared/rpc';
import { requireProjectRole } from '@mandant/membership';
import { projectLookup } from '@mandant/project';
import { requestEventMeta, runCommand } from '@mandant/shared/service';
import { guardContentWrite, requireWritable } from '@mandant/project';
import type { ServiceDeps } from '@mandant/shared/service';
import { documentAccess } from '../document/access.ts';
import { type DocumentCommand, documentDecider } from '../document/decide.ts';
import { requireWriter } from '../document/handlers.ts';

/**
 * Linking: a document of the tenant joins or leaves a project; never a copy. Same tenant only
 * (another tenant's document is not found), and an archived project refuses both.
 */
export function linkingHandlers(deps: ServiceDeps): Record<string, RpcHandler> {
  const { sql, store, clock, waitForViews } = deps;

  async function activeProject(p: Principal, projectId: string, write: 'document.link' | 'document.unlink') {
    const a = await withTenant(sql, p.tenant_id, (tx) => requireProjectRole(tx, projectLookup, p, projectId, 'editor'));
    requireWritable(write, projectId, a.status);
  }

  /** The archive rule is checked again inside the append, so a concurrent archive cannot slip in between. */
  const run = (
    p: Principal,
    ctx: RpcContext,
    documentId: string,
    projectId: string,
    command: DocumentCommand & { type: 'LinkDocument' | 'UnlinkDocument' },
  ) =>
    runCommand({
      store,
      clock,
      decider: documentDecider,
      tenantId: p.tenant_id,
      stream: streams.document(documentId),
      projectId,
      command,
      meta: requestEventMeta(ctx, p.actor),
      beforeCommit: () => (tx) =>
        guardContentWrite(tx, p.tenant_id, command.type === 'LinkDocument' ? 'document.link' : 'document.unlink', [projectId]),
    });

  return {
    async [rpc.documentLink](input, ctx) {
      const { project_id, document_ids } = LinkDocumentsInput.parse(input);
      const p = requireWriter(ctx);
      await activeProject(p, project_id, 'document.link');
      const ids = [...new Set(document_ids.map((d) => d.toLowerCase()))];
      // every document must be one the caller can read: checked for all before any is linked
      await withTenant(sql, p.tenant_id, async (tx) => {
        for (const id of ids) await documentAccess(tx, p, id);
      });
      let position = 0;
      const linked: string[] = [];
      for (const id of ids) {
        const res = await run(p, ctx, id, project_id, { type: 'LinkDocument', project_id });
        position = Math.max(position, res.position);
        if (res.appended > 0) linked.push(id);
      }
      await waitForViews(p.tenant_id, position);
      return { project_id, linked, already_linked: ids.filter((id) => !linked.includes(id)) };
    },

    async [rpc.documentUnlink](input, ctx) {
      const { project_id, document_id } = UnlinkDocumentInput.parse(input);
      const p = requireWriter(ctx);
      await activeProject(p, project_id, 'document.unlink');
      await withTenant(sql, p.tenant_id, async (tx) => {
        const a = await documentAccess(tx, p, document_id);
        if (!a.linked.includes(project_id.toLowerCase())) throw notFound('document in this project');
      });
      const res = await run(p, ctx, document_id, project_id, { type: 'UnlinkDocument', project_id, reason: 'unlinked' });
      await waitForViews(p.tenant_id, res.position);
      return null;
    },
  };
}
