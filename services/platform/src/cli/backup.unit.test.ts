import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readErasures } from './backup.ts';
import { CliError } from './context.ts';

describe('the erasure journal parser', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mandant-erasures-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const parse = async (text: string) => {
    const file = join(dir, `${randomUUID()}.ndjson`);
    await writeFile(file, text);
    return readErasures(file);
  };

  it('reads what keys erasures writes: tenant scopes, document scopes and whole tenants', async () => {
    const [t, d] = [randomUUID(), randomUUID()];
    const lines = [
      { tenant_id: t, scope: `document:${d}`, destroyed_at: '2026-12-02T21:00:00.000Z' },
      { tenant_id: t, scope: 'tenant', destroyed_at: '2026-12-02T21:00:01.000Z' },
      { tenant_id: t, scope: '*', destroyed_at: '2026-12-02T21:00:02.000Z' },
    ];
    expect(await parse(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n\n`)).toEqual(lines);
  });

  it('refuses any malformed line with an error naming it, and accepts nothing from such a journal', async () => {
    const bad = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({ tenant_id: fc.string(), scope: fc.string(), destroyed_at: fc.string() }).map((o) => JSON.stringify(o)),
      fc.record({ tenant_id: fc.uuid(), scope: fc.string(), destroyed_at: fc.string() }).map((o) => JSON.stringify(o)),
      fc.record({ tenant_id: fc.uuid(), scope: fc.constant('tenant'), destroyed_at: fc.anything() }).map((o) => JSON.stringify(o)),
    );
    const good = JSON.stringify({ tenant_id: randomUUID(), scope: 'tenant', destroyed_at: '2026-12-02T21:00:00.000Z' });
    await fc.assert(
      fc.asyncProperty(bad, fc.nat(3), async (line, before) => {
        const text = [...Array<string>(before).fill(good), line].join('\n');
        let result: unknown;
        try {
          result = await parse(text);
        } catch (err) {
          expect(err).toBeInstanceOf(CliError);
          expect((err as Error).message).toMatch(new RegExp(`line ${before + 1}: `));
          return;
        }
        // the few generated lines that are valid (blank, or a well-formed entry) parse as entries
        expect(Array.isArray(result)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
