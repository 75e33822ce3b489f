import type { Tx } from '@mandant/shared/db';

/** Whether the tenant has registered this user (membership's users view). Run inside `withTenant`. */
export async function userExists(tx: Tx, tenantId: string, userId: string): Promise<boolean> {
  const [row] = await tx`select 1 from users_view where tenant_id = ${tenantId} and user_id = ${userId}`;
  return row !== undefined;
}
