import { describe, expect, it } from 'vitest';
import { isUuid, uuidv7 } from './ids.ts';

describe('uuidv7', () => {
  it('gives RFC 9562 version 7 ids with the time in front, each one different, across many blocks of random bytes', () => {
    const now = Date.UTC(2026, 11, 5, 0, 0, 0, 123);
    const ids = Array.from({ length: 5000 }, () => uuidv7(now));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
      expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
    }
    // the random part is random: no byte position stuck at one value across the ids
    const randomHex = ids.map((id) => id.replace(/-/g, '').slice(12));
    for (let i = 0; i < 20; i++) {
      if (i === 0 || i === 4) continue; // version and variant nibbles
      expect(new Set(randomHex.map((h) => h[i])).size, `nibble ${i}`).toBeGreaterThan(8);
    }
  });

  it('sorts by creation time', () => {
    const a = uuidv7(1_000);
    const b = uuidv7(2_000);
    expect(a < b).toBe(true);
  });
});
