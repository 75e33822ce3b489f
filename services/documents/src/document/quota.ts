import type { LimitsView } from '@mandant/contracts';
import { type Sql, type Tx, withTenant } from '@mandant/shared/db';
import { DomainError } from '@mandant/shared/errors';
import { documentTotals } from '../views/summaries.ts';

/**
 * A tenant's effective quotas (the operator's override, else the platform default): the tenant
 * context's data, which this package cannot import (the tenant's usage reads the document totals
 * from here), so the composition passes in its `tenantLimits(env)`. Inside the caller's tenant
 * transaction.
 */
export interface TenantLimits {
  limits(tx: Tx, tenantId: string): Promise<Pick<LimitsView, 'max_documents' | 'max_stored_bytes'>>;
}

/**
 * The tenant's quotas on stored bytes and documents, checked before an upload is recorded, from
 * the document views (what the tenant stores now) and its effective limits (`limits`, the
 * tenant context's). 403 `quota.documents` / `quota.stored_bytes`, with nothing appended.
 *
 * Known limits: uploads of one tenant recorded at the same moment are checked side by side, so
 * together they may pass a quota by what is in flight; an upload of bytes the tenant already
 * stores is checked like a new document, though it may end as a link to the existing one.
 */
export function quotaCheck(deps: { sql: Sql; limits: TenantLimits }): (tenantId: string, size: number) => Promise<void> {
  return async (tenantId, size) => {
    const { limits, totals } = await withTenant(deps.sql, tenantId, async (tx) => ({
      limits: await deps.limits.limits(tx, tenantId),
      totals: await documentTotals(tx, tenantId),
    }));
    if (totals.documents + 1 > limits.max_documents) {
      throw new DomainError('quota.documents', `the tenant's quota of ${limits.max_documents} documents is reached`, {
        quota: 'documents',
        limit: limits.max_documents,
        used: totals.documents,
      });
    }
    if (totals.stored_bytes + size > limits.max_stored_bytes) {
      throw new DomainError(
        'quota.stored_bytes',
        `this upload of ${size} bytes would pass the tenant's quota of ${limits.max_stored_bytes} stored bytes`,
        {
          quota: 'stored_bytes',
          limit: limits.max_stored_bytes,
          used: totals.stored_bytes,
          size,
        },
      );
    }
  };
}
