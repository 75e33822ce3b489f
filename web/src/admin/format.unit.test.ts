import { describe, expect, it } from 'vitest';
import { bars, chainReport, formatBytes, summarise } from './format.ts';

describe('formatBytes', () => {
  it('reads as people read sizes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(50 * 1024 * 1024)).toBe('50 MB');
    expect(formatBytes(-1)).toBe('—');
  });
});

describe('bars', () => {
  it('scales the tallest bar to the box and draws no bar for a zero', () => {
    const b = bars(
      [
        { value: 0, label: 'a' },
        { value: 5, label: 'b' },
        { value: 10, label: 'c' },
      ],
      30,
      20,
    );
    expect(b.map((x) => x.height)).toEqual([0, 10, 20]);
    expect(b.map((x) => x.x)).toEqual([0, 10, 20]);
    expect(b[2]?.y).toBe(0);
  });

  it('keeps a series of zeros flat and an empty one empty', () => {
    expect(bars([{ value: 0, label: 'a' }], 10, 10)[0]?.height).toBe(0);
    expect(bars([], 10, 10)).toEqual([]);
  });
});

describe('summarise', () => {
  it('states the total, the peak and the current minute', () => {
    const text = summarise(
      [
        { value: 2, minute: '2026-12-02T10:00:00Z' },
        { value: 7, minute: '2026-12-02T10:01:00Z' },
        { value: 1, minute: '2026-12-02T10:02:00Z' },
      ],
      'requests',
    );
    expect(text).toMatch(/^10 requests in the last 3 minutes; at most 7 in one minute \(.+\); 1 in the current minute\.$/);
    expect(summarise([{ value: 0, minute: 'x' }], 'errors')).toBe('No errors in the last minute.');
  });
});

describe('chainReport', () => {
  it('says verified or broken, with where', () => {
    expect(chainReport({ ok: true, checked: 1234, first_broken: null })).toBe('Chain verified: 1,234 events');
    expect(chainReport({ ok: false, checked: 9, first_broken: { tenant_seq: 7, reason: 'hash mismatch' } })).toBe(
      'Chain broken at position 7: hash mismatch',
    );
  });
});
