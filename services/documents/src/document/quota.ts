import { type Sql, withTenant } from '@mandant/shared/db';
import { type Env, readEnv } from '@mandant/shared/env';
import { DomainError } from '@mandant/shared/errors';
import { documentTotals, limitDefaults, readLimits } from '@mandant/shared/service';

/**
 * The tenant's quotas on stored bytes and documents, checked before an upload is recorded, from
 * the document views (what the tenant stores now) and its effective limits (the operator's
 * override, else QUOTA_* of the environment: `env` when the composition passes it, else the
 * schema's defaults). 403 `quota.documents` / `quota.stored_bytes`, with nothing appended.
 *
 * Known limits: uploads of one tenant recorded at the same moment are checked side by side, so
 * together they may pass a quota by what is in flight; an upload of bytes the tenant already
 * stores is checked like a new document, though it may end as a link to the existing one.
 */
export function quotaCheck(deps: { sql: Sql; env?: Env }): (tenantId: string, size: number) => Promise<void> {
  const defaults = limitDefaults(deps.env ?? readEnv({}));
  return async (tenantId, size) => {
    const { limits, totals } = await withTenant(deps.sql, tenantId, async (tx) => ({
      limits: await readLimits(tx, tenantId, defaults),
      totals: await documentTotals(tx, tenantId),
    }));
    if (totals.documents + 1 > limits.max_documents) {
      throw new DomainError('quota.documents', `the tenant's quota of ${limits.max_documents} documents is reached`, {
        quota: 'documents', limit: limits.max_documents, used: totals.documents,
      });
    }
    if (totals.stored_bytes + size > limits.max_stored_bytes) {
      throw new DomainError('quota.stored_bytes', `this upload of ${size} bytes would pass the tenant's quota of ${limits.max_stored_bytes} stored bytes`, {
        quota: 'stored_bytes', limit: limits.max_stored_bytes, used: totals.stored_bytes, size,
      });
    }
  };
}
