import { empty } from './errors.ts';
import { detectCsvDelimiter } from './sniff.ts';
import type { Extracted } from './extract.ts';

/**
 * CSV becomes one line per record, `column: value; column: value`, so a search for
 * "Amount: 5000" or a name finds the row, and entity extraction sees each value next to its
 * column name. Empty cells are left out. Parsing follows RFC 4180 (double-quoted fields,
 * `""` escapes, line breaks inside quotes); the delimiter is `,`, `;` or tab, whichever the
 * first lines agree on.
 */
export function parseCsv(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((cell) => cell.trim() !== ''));
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

export function extractCsv(text: string): Extracted {
  const rows = parseCsv(text, detectCsvDelimiter(text.slice(0, 64 * 1024)) ?? ',');
  const [header, ...records] = rows;
  if (header === undefined || records.length === 0) throw empty('The CSV file has no data rows.');
  const columns = header.map((name, i) => oneLine(name) || `column ${i + 1}`);
  const lines = records.map((record) =>
    record
      .map((value, i) => [columns[i] ?? `column ${i + 1}`, oneLine(value)] as const)
      .filter(([, value]) => value !== '')
      .map(([column, value]) => `${column}: ${value}`)
      .join('; '),
  );
  return { text: lines.filter((l) => l !== '').join('\n') };
}
