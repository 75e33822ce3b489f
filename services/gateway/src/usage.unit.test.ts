import { describe, expect, it } from 'vitest';
import { ActivityIncrement, type UsageIncrement } from '@mandant/contracts';
import fc from 'fast-check';
import { createUsageRecorder } from './usage.ts';
import { SETTLE_MS } from '@mandant/shared/testing';

const A = '0190c6e0-0000-7000-8000-00000000000a';
const B = '0190c6e0-0000-7000-8000-00000000000b';
const DAY = Date.parse('2026-12-02T10:00:00Z');

describe('usage counted in memory', () => {
  it('sends one increment per tenant and day on a flush, and nothing when nothing was counted', async () => {
    const sent: UsageIncrement[][] = [];
    let now = DAY;
    const usage = createUsageRecorder({ sink: async (i) => void sent.push(i), intervalMs: 60_000, now: () => now });
    usage.call(A, null);
    usage.call(A, 'search');
    usage.call(A, 'upload');
    usage.limited(A);
    usage.call(B, 'chat');
    now += 24 * 3600_000;
    usage.call(A, null);
    await usage.flush();
    await usage.flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toEqual([
      { tenant_id: A, day: '2026-12-02', api_calls: 3, search_calls: 1, chat_calls: 0, upload_calls: 1, rate_limited: 1 },
      { tenant_id: B, day: '2026-12-02', api_calls: 1, search_calls: 0, chat_calls: 1, upload_calls: 0, rate_limited: 0 },
      { tenant_id: A, day: '2026-12-03', api_calls: 1, search_calls: 0, chat_calls: 0, upload_calls: 0, rate_limited: 0 },
    ]);
    await usage.stop();
  });

  it('keeps the counts of a failed flush for the next one, added to what came meanwhile', async () => {
    const sent: UsageIncrement[][] = [];
    let fail = true;
    const usage = createUsageRecorder({
      sink: async (i) => {
        if (fail) throw new Error('tenant service down');
        sent.push(i);
      },
      intervalMs: 60_000,
      now: () => DAY,
    });
    usage.call(A, null);
    await expect(usage.flush()).rejects.toThrow('down');
    usage.call(A, 'search');
    fail = false;
    await usage.stop();
    expect(sent).toEqual([
      [{ tenant_id: A, day: '2026-12-02', api_calls: 2, search_calls: 1, chat_calls: 0, upload_calls: 0, rate_limited: 0 }],
    ]);
  });

  it('flushes on its own every interval', async () => {
    const sent: UsageIncrement[][] = [];
    const usage = createUsageRecorder({ sink: async (i) => void sent.push(i), intervalMs: 20 });
    usage.call(A, null);
    const deadline = Date.now() + SETTLE_MS;
    while (sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(sent.flat().map((i) => i.api_calls)).toEqual([1]);
    await usage.stop();
  });

  it('counts every answer per tenant and minute by status class, and sends the minutes with the next flush', async () => {
    const sent: { increments: UsageIncrement[]; minutes: ActivityIncrement[] }[] = [];
    let now = DAY + 59_999;
    const usage = createUsageRecorder({
      sink: async (increments, minutes) => void sent.push({ increments, minutes }),
      intervalMs: 60_000,
      now: () => now,
    });
    for (const status of [200, 201, 204, 304, 400, 404, 429, 500, 503]) usage.answered(A, status);
    now += 1;
    usage.answered(A, 422);
    usage.answered(B, 200);
    await usage.flush();
    expect(sent).toEqual([
      {
        increments: [],
        minutes: [
          { tenant_id: A, minute: '2026-12-02T10:00:00.000Z', requests: 9, client_errors: 2, server_errors: 2, rate_limited: 1 },
          { tenant_id: A, minute: '2026-12-02T10:01:00.000Z', requests: 1, client_errors: 1, server_errors: 0, rate_limited: 0 },
          { tenant_id: B, minute: '2026-12-02T10:01:00.000Z', requests: 1, client_errors: 0, server_errors: 0, rate_limited: 0 },
        ],
      },
    ]);
    // every minute sent is one the tenant service accepts
    for (const m of sent[0]?.minutes ?? []) expect(ActivityIncrement.parse(m)).toEqual(m);
    await usage.stop();
  });

  it('keeps the minutes of a failed flush for the next one, added to what came meanwhile', async () => {
    const sent: ActivityIncrement[][] = [];
    let fail = true;
    const usage = createUsageRecorder({
      sink: async (_i, minutes) => {
        if (fail) throw new Error('tenant service down');
        sent.push(minutes);
      },
      intervalMs: 60_000,
      now: () => DAY,
    });
    usage.answered(A, 500);
    await expect(usage.flush()).rejects.toThrow('down');
    usage.answered(A, 200);
    fail = false;
    await usage.stop();
    expect(sent).toEqual([
      [{ tenant_id: A, minute: '2026-12-02T10:00:00.000Z', requests: 2, client_errors: 0, server_errors: 1, rate_limited: 0 }],
    ]);
  });

  it('sums any statuses at any times into minutes whose class counts add up to no more than the requests', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * 86_400_000 }), fc.integer({ min: 100, max: 599 })), { maxLength: 200 }),
        async (answers) => {
          let now = DAY;
          const sent: ActivityIncrement[] = [];
          const usage = createUsageRecorder({ sink: async (_i, m) => void sent.push(...m), intervalMs: 60_000, now: () => now });
          for (const [at, status] of answers) {
            now = DAY + at;
            usage.answered(A, status);
          }
          await usage.stop();
          expect(sent.reduce((n, m) => n + m.requests, 0)).toBe(answers.length);
          for (const m of sent) {
            expect(ActivityIncrement.parse(m)).toEqual(m);
            expect(m.client_errors + m.server_errors + m.rate_limited).toBeLessThanOrEqual(m.requests);
          }
          expect(sent.reduce((n, m) => n + m.server_errors, 0)).toBe(answers.filter(([, s]) => s >= 500).length);
        },
      ),
      { numRuns: 50 },
    );
  });
});
