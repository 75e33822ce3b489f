import { z } from 'zod';
import { Id, Timestamp } from './common.ts';
import { TenantLimitOverrides } from './events/tenant.ts';

/**
 * Per-tenant limits, quotas and usage: the tenant service owns them. The gateway leases rate
 * tokens and flushes the usage it counted in memory through the first two patterns; the others
 * are use cases of the HTTP API.
 */
export const limitsRpc = {
  /** a gateway replica takes a slice of a tenant's token bucket (one per lease, never per request) */
  rateLease: 'tenant.rate.lease',
  /** a gateway replica adds the usage it counted since its last flush */
  usageRecord: 'tenant.usage.record',
  limitsSet: 'tenant.limits.set',
  usageGet: 'tenant.usage.get',
  usageOfTenant: 'tenant.usage.of',
  usageAll: 'tenant.usage.all',
  activityGet: 'tenant.activity.get',
} as const;

/** The two buckets a tenant has: every API call takes from `api`; search, chat messages and uploads also from `expensive`. */
export const RateBucket = z.enum(['api', 'expensive']);
export type RateBucket = z.infer<typeof RateBucket>;

export const RateLeaseInput = z.strictObject({
  tenant_id: Id,
  bucket: RateBucket,
  /** how many tokens the replica would like; it gets at most what the bucket holds */
  want: z.number().int().min(1).max(10_000),
});
export const RateLeaseReply = z.object({
  granted: z.number().int().nonnegative(),
  /** whole tokens left in the shared bucket after this lease */
  tokens_left: z.number().nonnegative(),
  rate: z.number().positive(),
  burst: z.number().int().positive(),
  /** when nothing was granted: how long until the bucket holds a whole token again */
  retry_after_ms: z.number().int().nonnegative(),
});
export type RateLeaseReply = z.infer<typeof RateLeaseReply>;

/** a UTC day of the years 1 to 9999 (Postgres has no year 0) */
const Day = z.iso.date().refine((d) => !d.startsWith('0000'), 'a day of the years 1 to 9999');
const Count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** What a gateway counted for one tenant on one (UTC) day since its last flush. */
export const UsageIncrement = z.strictObject({
  tenant_id: Id,
  day: Day,
  api_calls: Count,
  search_calls: Count,
  chat_calls: Count,
  upload_calls: Count,
  rate_limited: Count,
});
export type UsageIncrement = z.infer<typeof UsageIncrement>;

/** A minute (UTC), as the ISO timestamp of its start: seconds and milliseconds zero. */
const Minute = z.iso
  .datetime()
  .refine((m) => /:00(?:\.0+)?Z$/.test(m) && !m.startsWith('0000'), 'the start of a minute (seconds zero), UTC, of the years 1 to 9999');

/** What a gateway answered one tenant in one minute since its last flush, by status class. */
export const ActivityIncrement = z.strictObject({
  tenant_id: Id,
  minute: Minute,
  /** every answer, whatever its status */
  requests: Count,
  /** 4xx answers but 429 */
  client_errors: Count,
  /** 5xx answers */
  server_errors: Count,
  /** 429 answers (the tenant's rate limit) */
  rate_limited: Count,
});
export type ActivityIncrement = z.infer<typeof ActivityIncrement>;
export const UsageRecordInput = z.strictObject({
  increments: z.array(UsageIncrement).max(100_000),
  /** absent from gateways that count no activity (older versions) */
  minutes: z.array(ActivityIncrement).max(100_000).default([]),
});

/** PUT semantics: the whole set; a field left out or null goes back to the platform default. */
export const SetLimitsInput = z.strictObject({
  tenant_id: Id,
  requests_per_second: TenantLimitOverrides.shape.requests_per_second.default(null),
  burst: TenantLimitOverrides.shape.burst.default(null),
  expensive_requests_per_second: TenantLimitOverrides.shape.expensive_requests_per_second.default(null),
  expensive_burst: TenantLimitOverrides.shape.expensive_burst.default(null),
  max_stored_bytes: TenantLimitOverrides.shape.max_stored_bytes.default(null),
  max_documents: TenantLimitOverrides.shape.max_documents.default(null),
});

/** A period of whole UTC days, both ends included; the last 30 days up to today when left out. */
export const UsageQueryInput = z.strictObject({ from: Day.optional(), to: Day.optional() });
export const TenantUsageQueryInput = UsageQueryInput.extend({ tenant_id: Id });

const Rate = z.number().positive();
export const LimitsView = z
  .object({
    requests_per_second: Rate,
    burst: z.number().int().positive(),
    expensive_requests_per_second: Rate,
    expensive_burst: z.number().int().positive(),
    max_stored_bytes: Count,
    max_documents: Count,
    overrides: TenantLimitOverrides.describe('what the operator set for this tenant; null fields follow the platform default'),
  })
  .describe('The limits in force for a tenant: each one its override, else the platform default');
export type LimitsView = z.infer<typeof LimitsView>;
export const UsageCounters = z.object({
  api_calls: Count,
  search_calls: Count,
  chat_calls: Count,
  upload_calls: Count,
  rate_limited: Count,
});
export type UsageCounters = z.infer<typeof UsageCounters>;
export const UsageView = UsageCounters.extend({
  tenant_id: Id,
  from: z.iso.date(),
  to: z.iso.date(),
  stored_bytes: Count.describe('current total from the document views (not per period)'),
  documents: Count.describe('current total from the document views (not per period)'),
  events: Count.describe("events in the tenant's log (its head)"),
  days: z.array(UsageCounters.extend({ day: z.iso.date() })),
  limits: LimitsView,
}).describe("A tenant's usage over whole UTC days, counters trailing the requests by at most one gateway flush interval");
export type UsageView = z.infer<typeof UsageView>;
export const TenantsUsage = z.object({ tenants: z.array(UsageView.extend({ slug: z.string(), name: z.string() })) });

/** The most minutes one activity answer covers (a day), and the default window (an hour). */
export const MAX_ACTIVITY_MINUTES = 1440;
export const ActivityQueryInput = z.strictObject({
  minutes: z.coerce.number().int().min(1).max(MAX_ACTIVITY_MINUTES).default(60),
});
const ActivityCounts = z.object({
  requests: Count.describe('every answer the gateways gave the tenant'),
  client_errors: Count.describe('answers 400-499 except 429'),
  server_errors: Count.describe('answers 500-599'),
  rate_limited: Count.describe("answers 429: the tenant's rate limit was reached"),
});
export const ActivityView = z
  .object({
    from: Timestamp.describe('the start of the first minute'),
    to: Timestamp.describe('the end of the last minute (the start of the next one)'),
    minutes: z
      .array(ActivityCounts.extend({ minute: Timestamp.describe("the minute's start (UTC)") }))
      .describe('every minute of the window, oldest first, zeros included; the current minute is the last'),
  })
  .describe(
    "The caller's tenant's requests and errors per minute over the last `minutes` minutes, counted by the gateways and trailing the requests by at most one flush interval (USAGE_FLUSH_MS); kept a few days",
  );
export type ActivityView = z.infer<typeof ActivityView>;
