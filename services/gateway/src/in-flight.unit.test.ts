import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inFlightLimiter } from './in-flight.ts';

describe('in-flight limiter', () => {
  it('never lets a tenant hold more than its bound, nor all together more than the total, and frees each place once', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('take' as const), tenant: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ kind: fc.constant('give' as const), index: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(op, { maxLength: 200 }),
        (perTenant, total, ops) => {
          const limiter = inFlightLimiter(perTenant, total);
          const open: { tenant: string; release: () => void }[] = [];
          for (const o of ops) {
            if (o.kind === 'take') {
              const mine = open.filter((h) => h.tenant === o.tenant).length;
              const got = limiter.acquire(o.tenant);
              const expected = mine >= perTenant ? 'tenant' : open.length >= total ? 'process' : 'place';
              expect(typeof got === 'function' ? 'place' : got).toBe(expected);
              if (typeof got === 'function') open.push({ tenant: o.tenant, release: got });
            } else if (open.length > 0) {
              const [held] = open.splice(o.index % open.length, 1);
              held?.release();
              held?.release(); // a second release gives nothing back twice
            }
          }
        },
      ),
      { seed: 20261202, numRuns: 300 },
    );
  });
});
