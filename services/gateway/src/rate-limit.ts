import type { RateBucket, RateLeaseReply } from '@mandant/contracts';

/**
 * Per-tenant rate limiting at the gateway, across replicas, without a round trip per request.
 *
 * Each tenant has a token bucket in Postgres (held by the tenant service). A replica takes a
 * LEASE of a few whole tokens from it (one request to the tenant service, one short transaction)
 * and serves requests from the lease; a replica that runs dry takes another; tokens left in a
 * lease expire after `leaseMs` (they are never returned). Every admitted request spends a token
 * taken from the shared bucket, so all replicas together admit at most burst + rate·t.
 *
 * When the bucket has no whole token, the lease answer says when it will: the replica refuses
 * locally until then (no round trip per refused request) and that wait is the Retry-After.
 * Lease sizes follow demand: one token at first, twice the last lease when it ran dry, what was
 * used when it expired with tokens left, never more than rate·lease time or a quarter of the
 * burst. That keeps the tokens a quiet replica strands (a tenant's light traffic spread over
 * many replicas) small; a tenant may still be refused slightly below its nominal rate then.
 */
export type LeaseSource = (tenantId: string, bucket: RateBucket, want: number) => Promise<RateLeaseReply>;

export interface RateDecision {
  allowed: boolean;
  /** the bucket's capacity (burst) */
  limit: number;
  /** tokens this replica may still spend plus those left in the shared bucket at its last lease: an estimate across replicas */
  remaining: number;
  /** seconds until the bucket is full again, at the estimate above */
  resetSeconds: number;
  /** refused: whole seconds until a token is there (rounded up) */
  retryAfterSeconds: number;
  /** tokens per second */
  rate: number;
  /** false until a lease answered (the figures above are then placeholders): no headers are sent */
  known: boolean;
}

interface Slot {
  tokens: number;
  expiresAt: number;
  dryUntil: number;
  used: number;
  lastGranted: number;
  /** what the shared bucket held after this replica's last lease */
  bucketLeft: number;
  rate: number;
  burst: number;
  /** lease failures: requests pass (fail open) until then */
  openUntil: number;
  pending: Promise<void> | null;
}

export interface RateLimiterOptions {
  source: LeaseSource;
  leaseMs: number;
  /** ms; Date.now by default */
  now?: () => number;
  /** a lease that failed (the tenant service down or slow): requests pass for this long, then it is tried again */
  failOpenMs?: number;
  onLeaseError?: (err: unknown, tenantId: string) => void;
}

export interface RateLimiter {
  take(tenantId: string, bucket: RateBucket): Promise<RateDecision>;
}

/** Attempts at a lease for one request before it is refused: each one grants a token to some waiting request or says the bucket is dry. */
const MAX_ROUNDS = 8;

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const now = opts.now ?? Date.now;
  const failOpenMs = opts.failOpenMs ?? 1000;
  const slots = new Map<string, Slot>();
  let takes = 0;

  const slotOf = (key: string): Slot => {
    let slot = slots.get(key);
    if (!slot) {
      slot = {
        tokens: 0,
        expiresAt: 0,
        dryUntil: 0,
        used: 0,
        lastGranted: 0,
        bucketLeft: 0,
        rate: 1,
        burst: 1,
        openUntil: 0,
        pending: null,
      };
      slots.set(key, slot);
    }
    return slot;
  };

  // Slots idle for a minute are dropped; a tenant that comes back starts with a fresh lease.
  const sweep = (at: number) => {
    for (const [key, s] of slots)
      if (!s.pending && s.expiresAt < at - 60_000 && s.dryUntil < at - 60_000 && s.openUntil < at - 60_000) slots.delete(key);
  };

  const wantOf = (s: Slot, at: number): number => {
    const cap = Math.max(1, Math.min(Math.ceil(s.rate * (opts.leaseMs / 1000)), Math.floor(s.burst / 4)));
    if (s.lastGranted === 0) return 1;
    const ranDry = s.tokens < 1 && s.expiresAt > at;
    return Math.max(1, Math.min(cap, ranDry ? s.lastGranted * 2 : s.used));
  };

  const refresh = async (tenantId: string, bucket: RateBucket, s: Slot): Promise<void> => {
    const at = now();
    const want = wantOf(s, at);
    try {
      const lease = await opts.source(tenantId, bucket, want);
      const got = now();
      s.rate = lease.rate;
      s.burst = lease.burst;
      s.bucketLeft = lease.tokens_left;
      s.tokens = lease.granted;
      s.used = 0;
      s.lastGranted = lease.granted > 0 ? lease.granted : s.lastGranted;
      // the lease's lifetime counts from when it was asked for, so a slow answer never stretches it
      s.expiresAt = at + opts.leaseMs;
      s.dryUntil = lease.granted > 0 ? 0 : got + lease.retry_after_ms;
    } catch (err) {
      opts.onLeaseError?.(err, tenantId);
      s.openUntil = now() + failOpenMs;
    }
  };

  const decision = (s: Slot, allowed: boolean, at: number): RateDecision => {
    const remaining = Math.max(0, Math.floor((s.expiresAt > at ? s.tokens : 0) + s.bucketLeft));
    return {
      allowed,
      limit: s.burst,
      remaining,
      resetSeconds: Math.max(0, Math.ceil((s.burst - remaining) / s.rate)),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((s.dryUntil - at) / 1000)),
      rate: s.rate,
      known: s.lastGranted > 0 || s.dryUntil > 0,
    };
  };

  return {
    async take(tenantId, bucket) {
      if (++takes % 1000 === 0) sweep(now());
      const s = slotOf(`${tenantId}:${bucket}`);
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const at = now();
        if (s.openUntil > at) return decision(s, true, at);
        if (s.expiresAt > at && s.tokens >= 1) {
          s.tokens -= 1;
          s.used += 1;
          return decision(s, true, at);
        }
        if (s.dryUntil > at) return decision(s, false, at);
        if (s.pending) {
          await s.pending;
          continue;
        }
        s.pending = refresh(tenantId, bucket, s).finally(() => {
          s.pending = null;
        });
        await s.pending;
      }
      // many requests raced for few tokens: refuse this one (Retry-After: the dry time, at least a second)
      return decision(s, false, now());
    },
  };
}
