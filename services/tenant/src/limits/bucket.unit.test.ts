import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BucketLimits, fullBucket, takeLease } from './bucket.ts';

const SEED = Number(process.env.FC_SEED ?? 20261202);
const limitsArb = fc.record({
  rate: fc.double({ min: 0.01, max: 500, noNaN: true, noDefaultInfinity: true }),
  burst: fc.integer({ min: 1, max: 1000 }),
});
/** a schedule: ms to wait before each lease (0 = at the same instant) and how many tokens it wants */
const scheduleArb = fc.array(
  fc.record({ wait: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5000 })), want: fc.integer({ min: 1, max: 50 }) }),
  { minLength: 1, maxLength: 200 },
);

describe('token bucket leases', () => {
  it('never hand out more than burst + rate·t in total, for any schedule of leases', () => {
    fc.assert(
      fc.property(limitsArb, scheduleArb, (limits: BucketLimits, schedule) => {
        const start = 1_700_000_000_000;
        let state = fullBucket(limits, start);
        let now = start;
        let granted = 0;
        for (const step of schedule) {
          now += step.wait;
          const lease = takeLease(state, limits, step.want, now);
          state = lease.state;
          granted += lease.granted;
          expect(lease.granted).toBeLessThanOrEqual(step.want);
          expect(granted).toBeLessThanOrEqual(Math.floor(limits.burst + (limits.rate * (now - start)) / 1000 + 1e-6));
          expect(state.tokens).toBeGreaterThanOrEqual(0);
          expect(state.tokens).toBeLessThanOrEqual(limits.burst);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('answer a refusal with a wait after which a lease is granted, and that is no longer than one token takes to refill', () => {
    fc.assert(
      fc.property(limitsArb, scheduleArb, (limits, schedule) => {
        const start = 1_700_000_000_000;
        let state = fullBucket(limits, start);
        let now = start;
        for (const step of schedule) {
          now += step.wait;
          const lease = takeLease(state, limits, step.want, now);
          state = lease.state;
          if (lease.granted > 0) {
            expect(lease.retryAfterMs).toBe(0);
            continue;
          }
          expect(lease.retryAfterMs).toBeGreaterThan(0);
          expect(lease.retryAfterMs).toBeLessThanOrEqual(Math.ceil(1000 / limits.rate) + 1);
          // nobody else asks meanwhile: coming back after the wait gets a token
          expect(takeLease(state, limits, 1, now + lease.retryAfterMs).granted).toBe(1);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('refill nothing when the clock goes back, and never above the burst', () => {
    const limits = { rate: 10, burst: 5 };
    const drained = takeLease(fullBucket(limits, 10_000), limits, 5, 10_000).state;
    expect(takeLease(drained, limits, 1, 9_000).granted).toBe(0);
    expect(takeLease(drained, limits, 100, 1_000_000).granted).toBe(5);
  });

  it('honour a lowered burst at once: a bucket holding more is cut down to it', () => {
    const full = fullBucket({ rate: 1, burst: 100 }, 0);
    expect(takeLease(full, { rate: 1, burst: 3 }, 50, 0).granted).toBe(3);
  });
});
