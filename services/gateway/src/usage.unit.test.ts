import { describe, expect, it } from 'vitest';
import type { UsageIncrement } from '@mandant/contracts';
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
});
