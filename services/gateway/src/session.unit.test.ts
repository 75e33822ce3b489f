import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSealer, sameOrigin, sessionCookiesOf } from './session.ts';

// The session cookie's seal: what is sealed opens unchanged, and nothing else opens at all.
const runs = (numRuns: number) => ({ seed: Number(process.env.FC_SEED ?? 20261202), numRuns });
const csrf = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/);
const credential = fc.stringMatching(/^[\x21-\x7E]{1,2048}$/);

describe('the session seal', () => {
  const now = 1_800_000_000_000;
  const sealer = createSealer('session-secret-0123456789abcdef0123456789', () => now);

  it('opens what it sealed, until its expiry', () => {
    fc.assert(
      fc.property(credential, csrf, fc.integer({ min: 1, max: 12 * 3600_000 }), (c, t, ttl) => {
        const sealed = sealer.seal({ credential: c, csrf: t, expiresAt: now + ttl });
        expect(sealed.length).toBeLessThan(3000);
        expect(sealer.open(sealed)).toEqual({ credential: c, csrf: t, expiresAt: now + ttl });
        expect(sealer.open(sealer.seal({ credential: c, csrf: t, expiresAt: now }))).toBeNull();
      }),
      runs(100),
    );
  });

  it('opens nothing with a byte flipped, cut or added, nor what another secret sealed', () => {
    const other = createSealer('another-secret-0123456789abcdef0123456789', () => now);
    fc.assert(
      fc.property(credential, csrf, fc.nat(), fc.integer({ min: 1, max: 255 }), (c, t, at, xor) => {
        const session = { credential: c, csrf: t, expiresAt: now + 60_000 };
        const bytes = Buffer.from(sealer.seal(session), 'base64url');
        const flipped = Buffer.from(bytes);
        const i = at % bytes.length;
        flipped[i] = (flipped[i] ?? 0) ^ xor;
        expect(sealer.open(flipped.toString('base64url'))).toBeNull();
        expect(sealer.open(bytes.subarray(0, i).toString('base64url'))).toBeNull();
        expect(sealer.open(Buffer.concat([bytes, Buffer.from([xor])]).toString('base64url'))).toBeNull();
        expect(sealer.open(other.seal(session))).toBeNull();
      }),
      runs(200),
    );
  });

  it('opens no arbitrary text, and never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 5000, unit: 'binary' }), (s) => {
        expect(sealer.open(s)).toBeNull();
      }),
      runs(300),
    );
  });
});

describe('cookies and origins', () => {
  it('finds every session cookie of a Cookie header', () => {
    expect(sessionCookiesOf(undefined)).toEqual([]);
    expect(sessionCookiesOf('a=1; mandant_session=x; b=2')).toEqual(['x']);
    expect(sessionCookiesOf('mandant_session=x; mandant_session=y')).toEqual(['x', 'y']);
    expect(sessionCookiesOf('mandant_sessionx=1; xmandant_session=2')).toEqual([]);
  });

  it('matches an Origin with the Host, and nothing opaque or malformed', () => {
    const req = (headers: Record<string, string>) => ({ headers }) as never;
    expect(sameOrigin(req({ host: 'mandant.example' }))).toBe(true);
    expect(sameOrigin(req({ host: 'mandant.example', origin: 'https://mandant.example' }))).toBe(true);
    expect(sameOrigin(req({ host: 'mandant.example:8080', origin: 'http://mandant.example:8080' }))).toBe(true);
    for (const origin of ['https://evil.example', 'null', 'https://mandant.example.evil.example', 'file://mandant.example', '::']) {
      expect(sameOrigin(req({ host: 'mandant.example', origin }))).toBe(false);
    }
    expect(sameOrigin(req({ host: 'internal:3000', origin: 'https://mandant.example', 'x-forwarded-host': 'mandant.example' }))).toBe(
      false,
    );
    expect(sameOrigin(req({ host: 'internal:3000', origin: 'https://mandant.example', 'x-forwarded-host': 'mandant.example' }), true)).toBe(
      true,
    );
  });
});
