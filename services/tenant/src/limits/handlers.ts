import {
  ActivityQueryInput,
  type ActivityView,
  type LimitsView,
  RateLeaseInput,
  type RateLeaseReply,
  SetLimitsInput,
  TenantUsageQueryInput,
  type UsageIncrement,
  UsageQueryInput,
  UsageRecordInput,
  type UsageView,
  limitsRpc,
  streams,
} from '@mandant/contracts';
import { withTenant } from '@mandant/shared/db';
import type { Env } from '@mandant/shared/env';
import { readEnv } from '@mandant/shared/env';
import { forbidden, notFound } from '@mandant/shared/errors';
import { inParallel } from '@mandant/shared/in-parallel';
import type { RpcContext, RpcHandler } from '@mandant/shared/rpc';
import { requireOversight } from '@mandant/membership';
import { runCommand } from '@mandant/shared/service';
import { type LimitDefaults, limitDefaults, readLimits } from './limits.ts';
import type { ServiceDeps } from '@mandant/shared/service';
import { tenantDecider } from '../tenant/decide.ts';
import { type BucketState, takeLease } from './bucket.ts';
import { type DocumentTotals, usageOf, usagePeriod } from './usage.ts';
import { activityOf, activityWindow, recordActivity, sumMinutes } from './activity.ts';

export interface LimitsDeps extends ServiceDeps {
  /** the platform defaults (RATE_LIMIT_*, QUOTA_*); the schema's defaults when absent */
  env?: Env;
  /** what the tenant stores now, for its usage: the documents context's, given by the composition */
  documents: DocumentTotals;
}

/** Patterns only the gateway itself sends (no principal, flagged operator): leases and usage flushes. */
function requireInternal(ctx: RpcContext): void {
  if (!ctx.operator || ctx.principal) throw forbidden('platform operator only');
}

function requireOperator(ctx: RpcContext): void {
  if (!ctx.operator) throw forbidden('platform operator only');
}

export function limitsHandlers(deps: LimitsDeps): Record<string, RpcHandler> {
  const { sql, store, clock, waitForViews } = deps;
  const defaults: LimitDefaults = limitDefaults(deps.env ?? readEnv({}));

  const limitsOf = (tenantId: string): Promise<LimitsView> => withTenant(sql, tenantId, (tx) => readLimits(tx, tenantId, defaults));

  const requireTenant = async (tenantId: string): Promise<void> => {
    const [row] = await withTenant(sql, tenantId, (tx) => tx`select 1 from tenants_view where tenant_id = ${tenantId}`);
    if (!row) throw notFound('tenant');
  };

  return {
    /**
     * One lease: lock the tenant's bucket row (created full), refill it by the database clock,
     * take up to `want` whole tokens and write the rest back, in one short transaction. Every
     * replica leases from the same row, so together they never hand out more than the bucket.
     */
    async [limitsRpc.rateLease](input, ctx): Promise<RateLeaseReply> {
      requireInternal(ctx);
      const { tenant_id, bucket, want } = RateLeaseInput.parse(input);
      const tenantId = tenant_id.toLowerCase();
      return withTenant(sql, tenantId, async (tx) => {
        const l = await readLimits(tx, tenantId, defaults);
        const limits =
          bucket === 'api'
            ? { rate: l.requests_per_second, burst: l.burst }
            : { rate: l.expensive_requests_per_second, burst: l.expensive_burst };
        const [row] = await tx<{ tokens: number; at_ms: number; now_ms: number }[]>`
          insert into rate_buckets as b (tenant_id, bucket, tokens, updated_at) values (${tenantId}, ${bucket}, ${limits.burst}, clock_timestamp())
          on conflict (tenant_id, bucket) do update set tokens = b.tokens
          returning tokens, (extract(epoch from updated_at) * 1000)::float8 as at_ms, (extract(epoch from clock_timestamp()) * 1000)::float8 as now_ms`;
        // no row: the tenant is offboarded (its writes are dropped); its credentials no longer authenticate
        if (!row) return { granted: 0, tokens_left: 0, rate: limits.rate, burst: limits.burst, retry_after_ms: 1000 };
        const state: BucketState = { tokens: row.tokens, at: row.at_ms };
        const lease = takeLease(state, limits, want, row.now_ms);
        await tx`update rate_buckets set tokens = ${lease.state.tokens}, updated_at = to_timestamp(${lease.state.at / 1000})
                 where tenant_id = ${tenantId} and bucket = ${bucket}`;
        return {
          granted: lease.granted,
          tokens_left: Math.floor(lease.state.tokens),
          rate: limits.rate,
          burst: limits.burst,
          retry_after_ms: lease.retryAfterMs,
        };
      });
    },

    /**
     * Adds a gateway's counts: increments of one tenant and day (and per-minute activity of one
     * tenant and minute) are summed, then one upsert of each per tenant, in one transaction.
     */
    async [limitsRpc.usageRecord](input, ctx) {
      requireInternal(ctx);
      const { increments, minutes } = UsageRecordInput.parse(input);
      const byTenant = new Map<string, Map<string, UsageIncrement>>();
      for (const inc of increments) {
        const tenantId = inc.tenant_id.toLowerCase();
        const days = byTenant.get(tenantId) ?? new Map<string, UsageIncrement>();
        byTenant.set(tenantId, days);
        const had = days.get(inc.day);
        days.set(
          inc.day,
          had
            ? {
                ...had,
                api_calls: had.api_calls + inc.api_calls,
                search_calls: had.search_calls + inc.search_calls,
                chat_calls: had.chat_calls + inc.chat_calls,
                upload_calls: had.upload_calls + inc.upload_calls,
                rate_limited: had.rate_limited + inc.rate_limited,
              }
            : { ...inc, tenant_id: tenantId },
        );
      }
      const activity = sumMinutes(minutes);
      const tenants = new Set([...byTenant.keys(), ...activity.keys()]);
      await inParallel([...tenants], async (tenantId) => {
        const rows = [...(byTenant.get(tenantId)?.values() ?? [])];
        await withTenant(sql, tenantId, async (tx) => {
          if (rows.length > 0)
            await tx`
            insert into tenant_usage ${tx(rows, 'tenant_id', 'day', 'api_calls', 'search_calls', 'chat_calls', 'upload_calls', 'rate_limited')}
            on conflict (tenant_id, day) do update set
              api_calls = tenant_usage.api_calls + excluded.api_calls, search_calls = tenant_usage.search_calls + excluded.search_calls,
              chat_calls = tenant_usage.chat_calls + excluded.chat_calls, upload_calls = tenant_usage.upload_calls + excluded.upload_calls,
              rate_limited = tenant_usage.rate_limited + excluded.rate_limited`;
          await recordActivity(tx, tenantId, [...(activity.get(tenantId)?.values() ?? [])]);
        });
      });
      return { tenants: tenants.size };
    },

    /** The operator sets a tenant's limits: an event of the tenant (actor `operator`), then the view. */
    async [limitsRpc.limitsSet](input, ctx): Promise<LimitsView> {
      requireOperator(ctx);
      const { tenant_id, ...limits } = SetLimitsInput.parse(input);
      const tenantId = tenant_id.toLowerCase();
      const res = await runCommand({
        store,
        clock,
        decider: tenantDecider,
        tenantId,
        stream: streams.tenant(tenantId),
        projectId: null,
        command: { type: 'SetTenantLimits', limits },
        meta: { actor: 'operator', correlation_id: ctx.meta.correlation_id, causation_id: null, traceparent: ctx.meta.traceparent },
      });
      await waitForViews(tenantId, res.position);
      return limitsOf(tenantId);
    },

    /** The caller's tenant: tenant admins and auditors (usage is oversight, like the log). */
    async [limitsRpc.usageGet](input, ctx): Promise<UsageView> {
      const p = requireOversight(ctx.principal, 'tenant admins and auditors read usage');
      const period = usagePeriod(UsageQueryInput.parse(input ?? {}), clock.now());
      return usageOf({ sql, store, defaults, documents: deps.documents }, p.tenant_id, period);
    },

    /** The caller's tenant's requests and errors per minute: oversight, like usage. */
    async [limitsRpc.activityGet](input, ctx): Promise<ActivityView> {
      const p = requireOversight(ctx.principal, 'tenant admins and auditors read activity');
      const { minutes } = ActivityQueryInput.parse(input ?? {});
      const window = activityWindow(minutes, clock.now());
      return withTenant(sql, p.tenant_id, (tx) => activityOf(tx, p.tenant_id, window));
    },

    async [limitsRpc.usageOfTenant](input, ctx): Promise<UsageView> {
      requireOperator(ctx);
      const { tenant_id, ...query } = TenantUsageQueryInput.parse(input);
      const tenantId = tenant_id.toLowerCase();
      const period = usagePeriod(query, clock.now());
      await requireTenant(tenantId);
      return usageOf({ sql, store, defaults, documents: deps.documents }, tenantId, period);
    },

    /** Every tenant's usage over the period, for the operator (a few reads per tenant, four tenants at a time). */
    async [limitsRpc.usageAll](input, ctx): Promise<{ tenants: (UsageView & { slug: string; name: string })[] }> {
      requireOperator(ctx);
      const period = usagePeriod(UsageQueryInput.parse(input ?? {}), clock.now());
      const tenants = await sql<
        { tenant_id: string; name: string; slug: string }[]
      >`select tenant_id, name, slug from mandant_list_tenants()`;
      const out = new Map<string, UsageView & { slug: string; name: string }>();
      await inParallel(tenants, async (t) => {
        out.set(t.tenant_id, {
          ...(await usageOf({ sql, store, defaults, documents: deps.documents }, t.tenant_id, period)),
          slug: t.slug,
          name: t.name,
        });
      });
      return { tenants: tenants.flatMap((t) => out.get(t.tenant_id) ?? []) };
    },
  };
}
