import { type EventMeta, type ProjectRole, streams } from '@mandant/contracts';
import type { EventStore } from '@mandant/shared/eventstore';
import { type Clock, runCommand } from '@mandant/shared/service';
import { membershipDecider } from './decide.ts';

/**
 * Gives a user a role in a project through membership's own decider: what another context asks
 * for when its use case makes someone a member (a project's creator starts as its admin).
 * Returns the log position of the change, for the caller to wait on the views.
 */
export async function grantProjectRole(
  deps: { store: EventStore; clock: Clock },
  input: { tenantId: string; projectId: string; userId: string; role: ProjectRole; meta: EventMeta },
): Promise<{ position: number }> {
  const res = await runCommand({
    store: deps.store,
    clock: deps.clock,
    decider: membershipDecider,
    tenantId: input.tenantId,
    stream: streams.membership(input.projectId, input.userId),
    projectId: input.projectId,
    command: { type: 'SetMemberRole', user_id: input.userId, role: input.role },
    meta: input.meta,
  });
  return { position: res.position };
}
