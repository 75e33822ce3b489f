import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from './migrate.ts';

/**
 * Rolling updates run two versions side by side, so a migration's Up section only expands the
 * schema: it never drops, renames or narrows what the running version reads (README,
 * "Migrations: expand, then contract"). A contraction goes into a later migration once no
 * running version needs the old shape, and is then listed here with the reason it is safe.
 */
const CONTRACTING: [RegExp, string][] = [
  [/\bdrop\s+(table|view|materialized\s+view|type|schema)\b/i, 'drops a relation or type'],
  [/\balter\s+table\b[^;]*\bdrop\s+(column|constraint)\b/i, 'drops a column or constraint'],
  [/\bdrop\s+function\b/i, 'drops a function'],
  [/\brename\b/i, 'renames'],
  [/\balter\s+column\b[^;]*\btype\b/i, "changes a column's type"],
  [/\balter\s+column\b[^;]*\bset\s+not\s+null\b/i, 'makes a column NOT NULL'],
];

/** Contractions made before the platform ran rolling updates; no new one may join them. */
const BEFORE_ROLLING_UPDATES = new Map([
  ['1700000000100_erasure.sql', ['drops a relation or type']],
  ['1700000000120_user-email-hashes.sql', ['renames']],
  // widens document_hashes' key: a version that still claims `ON CONFLICT (tenant_id, content_sha256)` fails on it
  ['1700000000160_document-hashes-per-document.sql', ['drops a column or constraint']],
]);

const statements = (sql: string): string[] =>
  sql
    .replace(/--[^\n]*/g, '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);

function contractions(upSql: string): string[] {
  const found = new Set<string>();
  for (const statement of statements(upSql)) for (const [pattern, what] of CONTRACTING) if (pattern.test(statement)) found.add(what);
  return [...found];
}

const migrations = readdirSync(MIGRATIONS_DIR)
  .filter((f) => f.endsWith('.sql'))
  .sort();

describe('migrations expand, then contract', () => {
  it.each(migrations)('%s has an Up and a Down section, and its Up section contracts nothing a running version reads', (file) => {
    const text = readFileSync(join(MIGRATIONS_DIR, file), 'utf8');
    const up = /^-- Up Migration$/m.exec(text);
    const down = /^-- Down Migration$/m.exec(text);
    expect(up && down && up.index < down.index, 'an Up section, then a Down one').toBe(true);
    expect(contractions(text.slice(up!.index, down!.index))).toEqual(BEFORE_ROLLING_UPDATES.get(file) ?? []);
  });

  it('tells expanding statements from contracting ones', () => {
    const expanding = [
      'CREATE TABLE t (id uuid)',
      'ALTER TABLE t ADD COLUMN note text',
      'ALTER TABLE t ADD COLUMN n int NOT NULL DEFAULT 0',
      'CREATE INDEX t_note ON t (note)',
      'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
      "COMMENT ON TABLE t IS 'dropped rows are kept'",
      '-- DROP TABLE t\nSELECT 1',
    ];
    for (const s of expanding) expect(contractions(s), s).toEqual([]);
    const contracting: [string, string][] = [
      ['DROP TABLE t', 'drops a relation or type'],
      ['drop  view   v', 'drops a relation or type'],
      ['ALTER TABLE t DROP COLUMN note', 'drops a column or constraint'],
      ['alter table t\n  drop constraint t_pk', 'drops a column or constraint'],
      ['DROP FUNCTION f()', 'drops a function'],
      ['ALTER TABLE t RENAME COLUMN a TO b', 'renames'],
      ['ALTER TABLE t RENAME TO u', 'renames'],
      ['ALTER TABLE t ALTER COLUMN n TYPE bigint', "changes a column's type"],
      ['ALTER TABLE t ALTER COLUMN note SET NOT NULL', 'makes a column NOT NULL'],
    ];
    for (const [s, what] of contracting) expect(contractions(s), s).toContain(what);
  });
});
