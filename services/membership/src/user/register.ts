import { type EventMeta, RegisterFromTokenInput, authRpc, streams } from '@mandant/contracts';
import { withTenant } from '@mandant/shared/db';
import { DomainError } from '@mandant/shared/errors';
import type { RpcContext, RpcHandler } from '@mandant/shared/rpc';
import { requireUser } from '../access/access.ts';
import { runCommand } from '@mandant/shared/service';
import type { ServiceDeps } from '@mandant/shared/service';
import type { Keyring } from '@mandant/shared/stores/crypto';
import { sealUser } from '../sealed.ts';
import { userDecider } from './decide.ts';
import { emailHash, normaliseEmail } from './email.ts';

export type RegisterDeps = ServiceDeps & { keyring: Keyring };

/**
 * Registers user `userId` of the tenant: `user.registered.v2` with e-mail and name sealed, and
 * the tenant's claim on the e-mail in the same transaction (`email.taken` when another user
 * holds it). Waits for the views, so the user can be read and authenticated at once.
 */
export async function registerUser(
  deps: RegisterDeps,
  p: { tenantId: string; userId: string; email: string; name: string; meta: EventMeta },
): Promise<void> {
  const { store, clock, keyring, waitForViews } = deps;
  const email = normaliseEmail(p.email);
  const hash = emailHash(p.tenantId, email);
  const sealed = await sealUser(keyring, p.tenantId, p.userId, { email, name: p.name });
  const res = await runCommand({
    store,
    clock,
    decider: userDecider,
    tenantId: p.tenantId,
    stream: streams.user(p.userId),
    projectId: null,
    command: { type: 'RegisterUser', sealed, email_hash: hash },
    meta: p.meta,
    beforeCommit: () => async (t) => {
      const claimed =
        await t`insert into user_emails (tenant_id, email_hash, user_id) values (${p.tenantId}, ${hash}, ${p.userId}) on conflict do nothing returning user_id`;
      if (claimed.length === 0)
        throw new DomainError('email.taken', `a user with email ${email} exists in this tenant`, { field: 'email' });
    },
  });
  await waitForViews(p.tenantId, res.position);
}

/**
 * Register-on-first-use (the gateway sends it only when JWT_REGISTER_ON_FIRST_USE is set): the
 * principal, a verified token's subject, registers itself from the token's `email` and `name`
 * claims, recorded like any registration with the subject as actor. Idempotent: a subject already
 * registered (two first requests at once) is a success; its e-mail is not changed.
 */
export function registerFromTokenHandlers(deps: RegisterDeps): Record<string, RpcHandler> {
  const registered = async (tenantId: string, userId: string) => {
    const [row] = await withTenant(
      deps.sql,
      tenantId,
      (t) => t`select 1 from users_view where tenant_id = ${tenantId} and user_id = ${userId}`,
    );
    return row !== undefined;
  };
  return {
    async [authRpc.userRegisterFromToken](input, ctx: RpcContext) {
      const p = requireUser(ctx.principal);
      const { email, name } = RegisterFromTokenInput.parse(input);
      if (await registered(p.tenant_id, p.user_id)) return null;
      const meta = { actor: p.actor, correlation_id: ctx.meta.correlation_id, causation_id: null, traceparent: ctx.meta.traceparent };
      try {
        await registerUser(deps, { tenantId: p.tenant_id, userId: p.user_id, email, name, meta });
      } catch (err) {
        // Lost the race to a concurrent first request of the same subject: the winner's event is
        // in the log already, its view row maybe not yet; answer once the views have it.
        const code = (err as { code?: unknown }).code;
        if (code !== 'conflict' && code !== 'email.taken') throw err;
        const { events } = await deps.store.readStream(p.tenant_id, streams.user(p.user_id));
        const first = events[0];
        if (!first) throw err;
        await deps.waitForViews(p.tenant_id, first.tenant_seq);
      }
      return null;
    },
  };
}
