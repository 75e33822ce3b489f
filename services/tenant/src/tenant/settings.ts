import type { Settings } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';

/**
 * A tenant's settings as its view holds them (`{}` for a tenant without any, or unknown): what
 * other contexts read of a tenant's configuration (its embedding model, whether members learn of
 * projects they cannot open). Run inside `withTenant` for `tenantId`.
 */
export async function tenantSettings(tx: Tx, tenantId: string): Promise<Settings> {
  const [row] = await tx<{ settings: Settings | null }[]>`select settings from tenants_view where tenant_id = ${tenantId}`;
  return row?.settings ?? {};
}
