export { auditHandlers } from './audit/handlers.ts';
export { type BucketLimits, type BucketState, fullBucket, takeLease } from './limits/bucket.ts';
export { tenantLimits } from './limits/limits.ts';
export { type DocumentTotals } from './limits/usage.ts';
export { tenantService } from './service.ts';
export { tenantDecider } from './tenant/decide.ts';
export { tenantViews } from './views/projection.ts';
export { tenantSettings } from './tenant/settings.ts';
