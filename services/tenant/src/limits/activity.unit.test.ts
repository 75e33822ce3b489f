import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activityWindow, minuteOf, sumMinutes } from './activity.ts';

const A = '0190c6e0-0000-7000-8000-00000000000a';

describe('per-minute activity', () => {
  it('ends the window with the current minute and spans exactly the minutes asked for', () => {
    const now = new Date('2026-12-02T10:17:42.123Z');
    expect(activityWindow(60, now)).toEqual({ from: new Date('2026-12-02T09:18:00Z'), to: new Date('2026-12-02T10:18:00Z') });
    expect(activityWindow(1, now)).toEqual({ from: new Date('2026-12-02T10:17:00Z'), to: new Date('2026-12-02T10:18:00Z') });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1440 }), fc.integer({ min: 0, max: 4_000_000_000_000 }), (minutes, ms) => {
        const w = activityWindow(minutes, new Date(ms));
        expect(w.to.getTime() - w.from.getTime()).toBe(minutes * 60_000);
        expect(w.to.getTime() % 60_000).toBe(0);
        expect(w.to.getTime() - 60_000).toBe(Date.parse(minuteOf(ms)));
      }),
    );
  });

  it('sums increments of one tenant and minute, whatever the case of the tenant id or the form of the minute', () => {
    const inc = { requests: 2, client_errors: 1, server_errors: 0, rate_limited: 1 };
    const summed = sumMinutes([
      { tenant_id: A, minute: '2026-12-02T10:17:00Z', ...inc },
      { tenant_id: A.toUpperCase(), minute: '2026-12-02T10:17:00.000Z', ...inc },
      { tenant_id: A, minute: '2026-12-02T10:18:00.000Z', ...inc },
    ]);
    expect([...(summed.get(A)?.values() ?? [])]).toEqual([
      { tenant_id: A, minute: '2026-12-02T10:17:00.000Z', requests: 4, client_errors: 2, server_errors: 0, rate_limited: 2 },
      { tenant_id: A, minute: '2026-12-02T10:18:00.000Z', ...inc },
    ]);
    expect(summed.size).toBe(1);
  });
});
