import fc from 'fast-check';
import { IdempotencyMeta } from '@mandant/contracts';
import { isUuid } from '@mandant/shared/ids';
import { describe, expect, it } from 'vitest';
import type { Caller } from './auth.ts';
import type { HttpRequest } from './http.ts';
import {
  canonicalJson,
  idempotencyFor,
  idempotencyKeyOf,
  idempotencyLookup,
  idempotencyScope,
  idempotencySeal,
  idempotentDocumentId,
  requestFingerprint,
} from './idempotency.ts';
import { ProblemError } from './problem.ts';

const withHeader = (value: string | string[] | undefined) =>
  ({ headers: value === undefined ? {} : { 'idempotency-key': value } }) as unknown as HttpRequest;
const tenant = (tenant_id: string, actor: string): Caller => ({
  kind: 'tenant',
  principal: { tenant_id, user_id: null, tenant_role: 'tenant_admin', actor },
});

describe('the Idempotency-Key header', () => {
  it('is absent, or one key of 1 to 255 visible ASCII characters', () => {
    expect(idempotencyKeyOf(withHeader(undefined))).toBeNull();
    for (const key of ['a', 'x'.repeat(255), '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', '!~"\\{}'])
      expect(idempotencyKeyOf(withHeader(key))).toBe(key);
  });

  it('refuses anything else with a 400 problem naming the header', () => {
    for (const bad of ['', 'x'.repeat(256), 'a b', 'tab\there', 'ü', 'a\u0000', ['a', 'b']]) {
      const err = (() => {
        try {
          idempotencyKeyOf(withHeader(bad));
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(ProblemError);
      expect((err as ProblemError).code).toBe('idempotency.key_invalid');
      expect((err as ProblemError).message).toMatch(/^Idempotency-Key:/);
    }
  });

  it('never throws anything but its problem, whatever the value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (value) => {
        try {
          const key = idempotencyKeyOf(withHeader(value));
          expect(key).toBe(value);
          expect(/^[\x21-\x7e]{1,255}$/.test(value)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(ProblemError);
        }
      }),
    );
  });
});

describe('what a key derives', () => {
  const a = tenant('0190a000-0000-7000-8000-00000000000a', 'api_key:1');

  it('scopes keys by tenant and credential holder, and the operator apart', () => {
    expect(idempotencyScope(a)).toBe('0190a000-0000-7000-8000-00000000000a:api_key:1');
    expect(idempotencyScope({ kind: 'operator' })).toBe('operator');
    const lookups = new Set([
      idempotencyLookup(idempotencyScope(a), 'k'),
      idempotencyLookup(idempotencyScope(tenant('0190a000-0000-7000-8000-00000000000b', 'api_key:1')), 'k'),
      idempotencyLookup(idempotencyScope(tenant('0190a000-0000-7000-8000-00000000000a', 'user:2')), 'k'),
      idempotencyLookup('operator', 'k'),
    ]);
    expect(lookups.size).toBe(4);
  });

  it('gives a lookup key and a seal that are unrelated to each other and fit the RPC contract', () => {
    const idem = idempotencyFor(a, 'key-1', 'createProject', {}, { name: 'x' });
    expect(IdempotencyMeta.parse(idem.meta)).toEqual(idem.meta);
    expect(idem.meta.key).toBe(idempotencyLookup(idempotencyScope(a), 'key-1'));
    expect(idem.meta.seal).toBe(idempotencySeal(idempotencyScope(a), 'key-1'));
    expect(Buffer.from(idem.meta.seal, 'base64url').toString('hex')).not.toBe(idem.meta.key);
    expect(idem.correlationId).toBe(`idem-${idem.meta.key.slice(0, 32)}`);
    expect(idempotencyFor(a, 'key-1', 'createProject', {}, { name: 'x' })).toEqual(idem);
  });

  it('fingerprints the route, the path parameters and the input, whatever the key order', () => {
    const base = requestFingerprint('createProject', { id: '1' }, { name: 'x', settings: { a: 1, b: [1, { c: 2, d: 3 }] } });
    expect(requestFingerprint('createProject', { id: '1' }, { settings: { b: [1, { d: 3, c: 2 }], a: 1 }, name: 'x' })).toBe(base);
    expect(requestFingerprint('createProject', { id: '1' }, { name: 'y', settings: { a: 1, b: [1, { c: 2, d: 3 }] } })).not.toBe(base);
    expect(requestFingerprint('archiveProject', { id: '1' }, { name: 'x', settings: { a: 1, b: [1, { c: 2, d: 3 }] } })).not.toBe(base);
    expect(requestFingerprint('createProject', { id: '2' }, { name: 'x', settings: { a: 1, b: [1, { c: 2, d: 3 }] } })).not.toBe(base);
  });

  it('writes canonical JSON that parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
  });

  it('derives an upload document id from the key and the bytes: a valid uuid, the same on a retry', () => {
    const lookup = idempotencyLookup(idempotencyScope(a), 'upload-1');
    const id = idempotentDocumentId(lookup, 'f'.repeat(64));
    expect(isUuid(id)).toBe(true);
    expect(idempotentDocumentId(lookup, 'f'.repeat(64))).toBe(id);
    expect(idempotentDocumentId(lookup, 'e'.repeat(64))).not.toBe(id);
  });
});
