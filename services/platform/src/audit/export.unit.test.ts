import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { EventStore } from '@mandant/shared/eventstore';
import { exportTenantLog } from './export.ts';

/** A log of `n` events, read in pages: only what the export calls. */
const fakeStore = (n: number) =>
  ({
    head: async () => n,
    readTenant: async (_tenant: string, after: number, limit: number) =>
      Array.from({ length: Math.max(0, Math.min(limit, n - after)) }, (_, i) => ({
        tenant_seq: after + i + 1,
        data: { x: 'y'.repeat(100) },
      })),
  }) as unknown as EventStore;

describe('audit export', () => {
  it('ends with an error, instead of waiting for ever or ending the process, when its destination fails mid-export', async () => {
    let writes = 0;
    const failing = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, done) {
        writes += 1;
        // the second page fails, as a closed pipe or a full disk would
        done(writes >= 2 ? Object.assign(new Error('EPIPE'), { code: 'EPIPE' }) : null);
      },
    });
    failing.on('error', () => undefined);
    await expect(exportTenantLog(fakeStore(10_000), 't', failing)).rejects.toThrow(/destination failed|EPIPE/);
  });

  it('writes every event once, in order, to a destination that holds', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    expect(await exportTenantLog(fakeStore(4_500), 't', sink)).toEqual({ written: 4_500, head: 4_500 });
    expect(lines.map((l) => JSON.parse(l).tenant_seq)).toEqual(Array.from({ length: 4_500 }, (_, i) => i + 1));
  });
});
