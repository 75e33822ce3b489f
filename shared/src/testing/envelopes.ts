import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@mandant/contracts';

const HASH = '0'.repeat(64);

/**
 * An event as a projection receives it, for tests that hand events to a projection directly: the
 * fields a test chooses, the rest fixed (a fresh id, version 1, actor `user:test`, correlation
 * `test`, no causation or trace, zero hashes).
 */
export function testEnvelope(
  fields: Pick<EventEnvelope, 'type' | 'tenant_id' | 'tenant_seq' | 'stream' | 'occurred_at' | 'data'> & Partial<EventEnvelope>,
): EventEnvelope {
  return {
    id: randomUUID(),
    project_id: null,
    version: 1,
    actor: 'user:test',
    correlation_id: 'test',
    causation_id: null,
    traceparent: null,
    prev_hash: HASH,
    hash: HASH,
    ...fields,
  };
}
