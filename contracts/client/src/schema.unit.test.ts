import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, generateSchema } from '../generate.ts';

describe('the checked-in API types', () => {
  it("equal a fresh generation from the gateway's OpenAPI document (run `npm run generate:client` after changing routes or contracts)", async () => {
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(await generateSchema());
  });
});
