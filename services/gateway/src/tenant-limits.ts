import { randomUUID } from 'node:crypto';
import { type ActivityIncrement, type RateBucket, RateLeaseReply, type UsageIncrement, limitsRpc } from '@mandant/contracts';
import type { Logger } from '@mandant/shared/log';
import type { RpcClient } from '@mandant/shared/rpc';
import type { HttpResponse } from './http.ts';
import type { Endpoint } from './nest.ts';
import { ProblemError } from './problem.ts';
import { type LeaseSource, type RateDecision, createRateLimiter } from './rate-limit.ts';
import { checkedReply } from './reply.ts';
import { stateOf } from './request.ts';
import { type UsageKind, createUsageRecorder } from './usage.ts';

export interface TenantLimitsConfig {
  /** RATE_LIMIT_LEASE_MS: how long a replica serves from a lease before its unused tokens expire */
  leaseMs: number;
  /** USAGE_FLUSH_MS: how often the usage counted in memory is flushed */
  usageFlushMs: number;
}

/** Calls that also take a token from the tenant's stricter `expensive` bucket, and are counted on their own. */
const EXPENSIVE: Record<string, Exclude<UsageKind, null>> = {
  searchProject: 'search',
  searchGlobal: 'search',
  postMessage: 'chat',
  uploadProjectDocument: 'upload',
  uploadDocument: 'upload',
};

/** How long the gateway waits for a lease or a flush: a slow tenant service then fails open instead of holding requests. */
const RPC_TIMEOUT_MS = 2_000;

/**
 * Rate limit headers after draft-ietf-httpapi-ratelimit-headers-06, the last draft with separate
 * fields (-07 on merges them into `RateLimit`): `RateLimit-Limit` (the burst),
 * `RateLimit-Remaining`, `RateLimit-Reset` (seconds until the bucket is full again; on a 429 the
 * same instant as `Retry-After`, as the draft asks) and `RateLimit-Policy`
 * (`{burst};w={seconds to refill it}`).
 */
export function setRateHeaders(res: HttpResponse, d: RateDecision): void {
  if (!d.known) return;
  res.setHeader('RateLimit-Limit', String(d.limit));
  res.setHeader('RateLimit-Remaining', String(d.remaining));
  res.setHeader('RateLimit-Reset', String(d.allowed ? d.resetSeconds : d.retryAfterSeconds));
  res.setHeader('RateLimit-Policy', `${d.limit};w=${Math.max(1, Math.ceil(d.limit / d.rate))}`);
  if (!d.allowed) res.setHeader('Retry-After', String(d.retryAfterSeconds));
}

export interface TenantLimits {
  /** the endpoint behind the tenant's rate limits and usage count (operator and public endpoints pass as they are) */
  wrap(endpoint: Endpoint): Endpoint;
  /** flushes the usage counted so far (tests; shutdown does it too) */
  flushUsage(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Per-tenant limits at the edge: every authenticated call of a tenant takes a token from its
 * `api` bucket, expensive ones from its `expensive` bucket too, before the call is forwarded;
 * admitted and refused calls are counted for the tenant's usage, and every answer's status for
 * its per-minute activity. Operator calls and
 * unauthenticated requests are not per tenant and pass untouched (floods of those are outside
 * these limits).
 */
export function createTenantLimits(deps: { rpc: RpcClient; log: Logger; config: TenantLimitsConfig }): TenantLimits {
  const { rpc, log } = deps;
  const meta = () => ({ correlation_id: randomUUID(), traceparent: null });

  const source: LeaseSource = async (tenantId, bucket, want) => {
    const reply = checkedReply(
      limitsRpc.rateLease,
      await rpc.request<unknown>(
        limitsRpc.rateLease,
        {
          principal: null,
          operator: true,
          meta: meta(),
          input: { tenant_id: tenantId, bucket, want },
        },
        RPC_TIMEOUT_MS,
      ),
    );
    if (!reply.ok) throw new Error(`rate lease refused: ${reply.error.code}: ${reply.error.message}`);
    return RateLeaseReply.parse(reply.value);
  };
  const limiter = createRateLimiter({
    source,
    leaseMs: deps.config.leaseMs,
    onLeaseError: (err, tenantId) =>
      log.warn(
        { err, tenant_id: tenantId, project_id: null, correlation_id: null },
        "rate lease failed: the tenant's requests pass unlimited for a second",
      ),
  });
  const usage = createUsageRecorder({
    intervalMs: deps.config.usageFlushMs,
    sink: async (increments: UsageIncrement[], minutes: ActivityIncrement[]) => {
      const reply = checkedReply(
        limitsRpc.usageRecord,
        await rpc.request<unknown>(
          limitsRpc.usageRecord,
          {
            principal: null,
            operator: true,
            meta: meta(),
            input: { increments, minutes },
          },
          RPC_TIMEOUT_MS,
        ),
      );
      if (!reply.ok) throw new Error(`usage flush refused: ${reply.error.code}: ${reply.error.message}`);
    },
    onError: (err) =>
      log.warn({ err, tenant_id: null, project_id: null, correlation_id: null }, 'usage flush failed: kept for the next one'),
  });

  const refuse = (res: HttpResponse, tenantId: string, bucket: RateBucket, d: RateDecision): never => {
    usage.limited(tenantId);
    setRateHeaders(res, d);
    throw new ProblemError(
      'rate_limited',
      `the tenant's ${bucket === 'api' ? '' : 'search, chat and upload '}rate limit is reached: retry after ${d.retryAfterSeconds} s`,
      {
        bucket,
        retry_after: d.retryAfterSeconds,
      },
    );
  };

  return {
    wrap(endpoint) {
      if (endpoint.access === null || endpoint.access === 'operator') return endpoint;
      const kind = EXPENSIVE[endpoint.name] ?? null;
      return {
        ...endpoint,
        async handle(req, res) {
          const caller = stateOf(res).caller;
          if (caller?.kind !== 'tenant') return endpoint.handle(req, res);
          const tenantId = caller.principal.tenant_id;
          // every answer counts for the tenant's activity, refusals and failures included, once sent
          res.once('finish', () => usage.answered(tenantId, res.statusCode));
          const api = await limiter.take(tenantId, 'api');
          if (!api.allowed) refuse(res, tenantId, 'api', api);
          let shown = api;
          if (kind) {
            const expensive = await limiter.take(tenantId, 'expensive');
            if (!expensive.allowed) refuse(res, tenantId, 'expensive', expensive);
            // the headers describe the bucket closer to refusing
            if (expensive.known && expensive.remaining < api.remaining) shown = expensive;
          }
          setRateHeaders(res, shown);
          usage.call(tenantId, kind);
          return endpoint.handle(req, res);
        },
      };
    },
    flushUsage: () => usage.flush(),
    stop: () => usage.stop(),
  };
}
