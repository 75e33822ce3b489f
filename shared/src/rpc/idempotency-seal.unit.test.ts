import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IdempotentReplyUnreadableError, openReply, sealReply } from './idempotency-seal.ts';

const seal = (s: string) => createHash('sha256').update(s).digest('base64url');
const tenant = '0190a000-0000-7000-8000-000000000001';
const lookup = 'a'.repeat(64);

describe('sealed idempotent replies', () => {
  it('opens what it sealed, answers and refusals alike', () => {
    for (const reply of [
      { ok: true as const, value: { id: 'x', name: 'Ünïcode 👩‍👩‍👧', n: [1, null] } },
      { ok: false as const, error: { code: 'slug.taken', message: 'taken', details: { field: 'slug' } } },
    ]) {
      const sealed = sealReply(seal('k'), tenant, lookup, reply);
      expect(sealed.toString('utf8')).not.toContain('slug');
      expect(openReply(seal('k'), tenant, lookup, sealed)).toEqual(reply);
    }
  });

  it('seals the same reply differently each time (a fresh nonce)', () => {
    const reply = { ok: true as const, value: 1 };
    expect(sealReply(seal('k'), tenant, lookup, reply).equals(sealReply(seal('k'), tenant, lookup, reply))).toBe(false);
  });

  it('refuses another seal, another row, and damaged bytes', () => {
    const sealed = sealReply(seal('k'), tenant, lookup, { ok: true, value: 'secret' });
    expect(() => openReply(seal('other'), tenant, lookup, sealed)).toThrow(IdempotentReplyUnreadableError);
    expect(() => openReply(seal('k'), tenant, 'b'.repeat(64), sealed)).toThrow(IdempotentReplyUnreadableError);
    expect(() => openReply(seal('k'), '0190a000-0000-7000-8000-000000000002', lookup, sealed)).toThrow(IdempotentReplyUnreadableError);
    const damaged = Buffer.from(sealed);
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 1;
    expect(() => openReply(seal('k'), tenant, lookup, damaged)).toThrow(IdempotentReplyUnreadableError);
    expect(() => openReply(seal('k'), tenant, lookup, Buffer.alloc(3))).toThrow(IdempotentReplyUnreadableError);
  });
});
