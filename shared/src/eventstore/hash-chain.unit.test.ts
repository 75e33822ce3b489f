import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventContent, canonicalJson, contentHash } from './hash-chain.ts';

const reference = (e: EventContent): string => {
  const { id, type, tenant_id, project_id, stream, occurred_at, actor, correlation_id, causation_id, traceparent, data } = e;
  const text = canonicalJson({
    id,
    type,
    tenant_id,
    project_id,
    stream,
    occurred_at,
    actor,
    correlation_id,
    causation_id,
    traceparent,
    data,
  });
  return createHash('sha256').update(text).digest('hex');
};

describe('content hash', () => {
  it('is the hash every log written so far was chained with (a fixed event)', () => {
    const e = {
      id: '0190a0a0-0000-7000-8000-000000000001',
      type: 'document.uploaded.v1',
      tenant_id: '0190a0a0-0000-7000-8000-0000000000aa',
      project_id: null,
      stream: 'document-1',
      occurred_at: '2026-12-05T21:00:00.000Z',
      actor: 'user:ä',
      correlation_id: 'c-1',
      causation_id: null,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      data: { title: 'Ünïcode \u2028 "quoted"', n: [1, 2.5, -0, 1e21], nested: { z: true, a: null, b: undefined } },
    };
    expect(contentHash(e as EventContent)).toBe('db15f909ea524936a91343f1bd7421ecf0dfbf108d626d75157d216e54497945');
  });

  it('hashes the canonical JSON of the content, whatever its fields hold (property)', () => {
    // the store's events have strings and nulls; anything else (a JavaScript caller's undefined,
    // a number, an object where a string belongs) must hash as canonicalJson writes it too
    const scalar = fc.oneof(
      { weight: 6, arbitrary: fc.string({ unit: 'binary' }) },
      { weight: 2, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.boolean(), fc.dictionary(fc.string(), fc.string())) },
    );
    const data = fc.oneof(
      { weight: 8, arbitrary: fc.jsonValue() },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.dictionary(fc.string(), fc.option(fc.string(), { nil: undefined })) },
    );
    const content = fc.record({
      id: scalar,
      type: scalar,
      tenant_id: scalar,
      project_id: scalar,
      stream: scalar,
      occurred_at: scalar,
      actor: scalar,
      correlation_id: scalar,
      causation_id: scalar,
      traceparent: scalar,
      data,
    });
    fc.assert(
      fc.property(content, (e) => {
        expect(contentHash(e as unknown as EventContent)).toBe(reference(e as unknown as EventContent));
      }),
      { numRuns: 2000 },
    );
  });
});
