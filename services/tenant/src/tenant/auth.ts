import { AuthApiKeyInput, AuthJwtInput, type AuthJwtReply, type Principal, authRpc, rpc } from '@mandant/contracts';
import { type Sql, withTenant } from '@mandant/shared/db';
import { userExists } from '@mandant/membership';
import { DomainError } from '@mandant/shared/errors';
import type { RpcHandler } from '@mandant/shared/rpc';
import { hashSecret, tenantOfSecret } from './api-keys.ts';

/**
 * The gateway's questions on every authenticated request, answered uncached from the database:
 * an API key revoked, or a tenant offboarded, stops working at once on every gateway replica.
 * A tenant counts as live when its directory entry exists (written before provisioning answers)
 * and it is not in `offboarded_tenants`, which the tombstone's own transaction fills: a lagging
 * tenant view projection cannot keep an offboarded tenant's credentials alive.
 */
export function authHandlers(deps: { sql: Sql }): Record<string, RpcHandler> {
  const { sql } = deps;

  return {
    async [rpc.authApiKey](input): Promise<Principal> {
      const { secret } = AuthApiKeyInput.parse(input);
      const unauthenticated = new DomainError('unauthenticated', 'invalid or revoked API key');
      const tenantId = tenantOfSecret(secret);
      if (!tenantId) throw unauthenticated;
      const hash = hashSecret(secret);
      const [key] = await withTenant(
        sql,
        tenantId,
        (tx) => tx<{ key_id: string; user_id: string | null; role: 'tenant_admin' | 'auditor' }[]>`
        select key_id, user_id, role from api_keys_view
        where tenant_id = ${tenantId} and secret_hash = ${hash} and revoked_at is null
          and not exists (select 1 from offboarded_tenants o where o.tenant_id = ${tenantId})`,
      );
      if (!key) throw unauthenticated;
      if (key.user_id) return { tenant_id: tenantId, user_id: key.user_id, tenant_role: 'member', actor: `user:${key.user_id}` };
      return { tenant_id: tenantId, user_id: null, tenant_role: key.role, actor: `api_key:${key.key_id}` };
    },

    /**
     * A verified JWT's tenant must be live, whatever its signature says: a token naming a tenant
     * that was never provisioned, or was offboarded, is refused. Whether its subject is a user is
     * answered, not refused here: the gateway decides (401, or registration when opted in).
     * Whether the user is registered is membership's to say (`userExists`), as when issuing a
     * user's API key.
     */
    async [authRpc.authJwt](input): Promise<AuthJwtReply> {
      const { tenant_id, user_id } = AuthJwtInput.parse(input);
      const tenantId = tenant_id.toLowerCase();
      const row = await withTenant(sql, tenantId, async (tx) => {
        const [t] = await tx<{ live: boolean }[]>`
          select exists (select 1 from tenants_view where tenant_id = ${tenantId})
                   and not exists (select 1 from offboarded_tenants where tenant_id = ${tenantId}) as live`;
        return { live: t?.live === true, registered: t?.live === true && (await userExists(tx, tenantId, user_id)) };
      });
      if (!row.live) throw new DomainError('unauthenticated', 'the token names no live tenant');
      return { user_registered: row.registered };
    },
  };
}
