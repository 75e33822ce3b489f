import fc from 'fast-check';
import type { RateBucket } from '@mandant/contracts';
import { type BucketLimits, type BucketState, fullBucket, takeLease } from '@mandant/tenant';
import { describe, expect, it } from 'vitest';
import { type LeaseSource, createRateLimiter } from './rate-limit.ts';

const SEED = Number(process.env.FC_SEED ?? 20261202);
const START = 1_700_000_000_000;

/** The shared buckets as the tenant service keeps them, on a clock the test moves. */
function sharedBuckets(limitsOf: (tenantId: string) => BucketLimits, clock: { now: number }) {
  const buckets = new Map<string, BucketState>();
  let leases = 0;
  const source: LeaseSource = async (tenantId, bucket: RateBucket, want) => {
    leases++;
    const limits = limitsOf(tenantId);
    const key = `${tenantId}:${bucket}`;
    const lease = takeLease(buckets.get(key) ?? fullBucket(limits, START), limits, want, clock.now);
    buckets.set(key, lease.state);
    return {
      granted: lease.granted,
      tokens_left: Math.floor(lease.state.tokens),
      rate: limits.rate,
      burst: limits.burst,
      retry_after_ms: lease.retryAfterMs,
    };
  };
  return { source, leases: () => leases };
}

const limitsArb = fc.record({
  rate: fc.double({ min: 0.05, max: 200, noNaN: true, noDefaultInfinity: true }),
  burst: fc.integer({ min: 1, max: 200 }),
});
const stepArb = fc.record({
  wait: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
  replica: fc.integer({ min: 0, max: 1 }),
  tenant: fc.integer({ min: 0, max: 1 }),
});

describe('rate limiting by leases across gateway replicas', () => {
  it('admits per tenant at most burst + rate·t over two replicas, whatever the schedule, and each tenant on its own', async () => {
    await fc.assert(
      fc.asyncProperty(
        limitsArb,
        limitsArb,
        fc.integer({ min: 50, max: 2000 }),
        fc.array(stepArb, { minLength: 1, maxLength: 300 }),
        async (la, lb, leaseMs, steps) => {
          const clock = { now: START };
          const limits = [la, lb];
          const shared = sharedBuckets((t) => limits[Number(t)] as BucketLimits, clock);
          const replicas = [0, 1].map(() => createRateLimiter({ source: shared.source, leaseMs, now: () => clock.now }));
          const admitted = [0, 0];
          for (const step of steps) {
            clock.now += step.wait;
            const d = await (replicas[step.replica] ?? replicas[0])?.take(String(step.tenant), 'api');
            if (d?.allowed) admitted[step.tenant] = (admitted[step.tenant] ?? 0) + 1;
            for (const t of [0, 1]) {
              const l = limits[t] as BucketLimits;
              expect(admitted[t]).toBeLessThanOrEqual(Math.floor(l.burst + (l.rate * (clock.now - START)) / 1000 + 1e-6));
            }
          }
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('gives a refused request a Retry-After after which the same replica admits it, when nobody else asked meanwhile', async () => {
    await fc.assert(
      fc.asyncProperty(
        limitsArb,
        fc.integer({ min: 50, max: 2000 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 200 }),
        async (l, leaseMs, waits) => {
          const clock = { now: START };
          const shared = sharedBuckets(() => l, clock);
          const replica = createRateLimiter({ source: shared.source, leaseMs, now: () => clock.now });
          for (const wait of waits) {
            clock.now += wait;
            const d = await replica.take('t', 'api');
            if (d.allowed) continue;
            expect(d.retryAfterSeconds).toBeGreaterThanOrEqual(1);
            expect(d.remaining).toBe(0);
            clock.now += d.retryAfterSeconds * 1000;
            expect((await replica.take('t', 'api')).allowed).toBe(true);
          }
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('refuses a dry tenant locally until its Retry-After, without a lease per refused request', async () => {
    const clock = { now: START };
    const shared = sharedBuckets(() => ({ rate: 0.1, burst: 3 }), clock);
    const replica = createRateLimiter({ source: shared.source, leaseMs: 1000, now: () => clock.now });
    const answers = [];
    for (let i = 0; i < 50; i++) answers.push(await replica.take('t', 'api'));
    expect(answers.filter((a) => a.allowed)).toHaveLength(3);
    const refused = answers.filter((a) => !a.allowed);
    expect(refused[0]?.retryAfterSeconds).toBe(10);
    expect(refused[0]?.limit).toBe(3);
    // 3 tokens took at most 3 leases, the first refusal one more; the other 46 refusals none
    expect(shared.leases()).toBeLessThanOrEqual(4);
  });

  it('lets requests pass for a moment when a lease fails, then asks again', async () => {
    let now = START;
    let calls = 0;
    const errors: unknown[] = [];
    const replica = createRateLimiter({
      source: async () => {
        calls++;
        throw new Error('tenant service down');
      },
      leaseMs: 1000,
      failOpenMs: 1000,
      now: () => now,
      onLeaseError: (err) => errors.push(err),
    });
    expect((await replica.take('t', 'api')).allowed).toBe(true);
    expect((await replica.take('t', 'api')).allowed).toBe(true);
    expect(calls).toBe(1);
    now += 1001;
    await replica.take('t', 'api');
    expect(calls).toBe(2);
    expect(errors).toHaveLength(2);
  });
});
