import { type EventEnvelope, streams } from '@mandant/contracts';
import { type Tx, readOfTheLog } from '@mandant/shared/db';
import type { Projection } from '@mandant/shared/projection';
import { runCommand } from '@mandant/shared/service';
import type { ServiceDeps } from '@mandant/shared/service';
import { documentDecider } from '../document/decide.ts';

/**
 * Deleting a project removes its links, never documents: on `project.deleted.v1` every
 * document ever linked to the project (found in the log itself, so no view lag can hide one)
 * is unlinked with reason `project_deleted`. Idempotent: a document no longer linked decides
 * nothing, so a redelivery or a restart mid-way appends no duplicates.
 */
export function projectDeletedUnlinker(deps: ServiceDeps): Projection {
  const { store, clock } = deps;
  return {
    name: 'project-unlinker',
    version: 1,
    handles: (type) => type === 'project.deleted.v1',
    async apply(tx: Tx, e: EventEnvelope) {
      const projectId = e.project_id;
      if (!projectId) return;
      const rows = await readOfTheLog(
        tx,
        tx<{ stream: string }[]>`
          select distinct stream from events where tenant_id = ${e.tenant_id} and type = 'document.linked.v1' and project_id = ${projectId} and tenant_seq < ${e.tenant_seq}`,
      );
      for (const { stream } of rows) {
        const documentId = stream.replace(/^document-/, '');
        await runCommand({
          store,
          clock,
          decider: documentDecider,
          tenantId: e.tenant_id,
          stream: streams.document(documentId),
          projectId,
          command: { type: 'UnlinkDocument', project_id: projectId, reason: 'project_deleted' },
          meta: { actor: 'service:linking', correlation_id: e.correlation_id, causation_id: e.id, traceparent: e.traceparent },
        }).catch((err: unknown) => {
          // a deleted document has no links left to remove
          if ((err as { code?: string }).code !== 'not_found') throw err;
        });
      }
    },
    async reset() {
      // its effects are events in the log, which a rebuild must not repeat: replaying decides nothing new
    },
  };
}
