/**
 * Entity typing on a labelled set: how often the local recogniser (`extractEntities`, the
 * heuristic in services/ingestion/src/entities) gives a labelled person, organisation or place
 * its right type. The set is in bench/entity-typing/: `dev.txt` is the part the heuristic was
 * tuned on, `heldout.txt` a part it never was; both are scored and printed side by side.
 *
 * Scoring, per labelled mention: typed right when a found mention of the same type overlaps it
 * (boundaries are scored apart, as "exact span"). Per type, precision counts found mentions of
 * that type that overlap a labelled mention of that type, over all found mentions of that type
 * (named types only; e-mails, phones, amounts and URLs are not labelled and not scored).
 * Prints what was missed or mistyped. Never fails on a figure. See bench/README.md.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractEntities } from '@mandant/ingestion';
import { runMain, table } from './src/harness.ts';

const TYPES = { P: 'person', O: 'organisation', L: 'place' } as const;
type Named = (typeof TYPES)[keyof typeof TYPES];
const NAMED: readonly Named[] = ['person', 'organisation', 'place'];
const GOAL = 0.9;

interface Gold {
  type: Named;
  name: string;
  start: number;
  end: number;
}
interface Example {
  text: string;
  gold: Gold[];
}

/** `{P:Anna Weber} met {O:Alpha GmbH}` → the plain text and its labelled spans. */
export function parseLine(line: string): Example {
  let text = '';
  const gold: Gold[] = [];
  const re = /\{([POL]):([^{}]+)\}/g;
  let last = 0;
  for (const m of line.matchAll(re)) {
    const [whole, tag = 'P', name = ''] = m;
    text += line.slice(last, m.index);
    gold.push({ type: TYPES[tag as keyof typeof TYPES], name, start: text.length, end: text.length + name.length });
    text += name;
    last = m.index + whole.length;
  }
  return { text: text + line.slice(last), gold };
}

async function load(file: string): Promise<Example[]> {
  const raw = await readFile(file, 'utf8');
  return raw
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map(parseLine);
}

interface Score {
  labelled: number;
  right: number;
  exact: number;
  perType: Map<Named, { gold: number; found: number; goldHit: number; foundHit: number }>;
  misses: string[];
  spurious: string[];
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean => a.start < b.end && b.start < a.end;

function score(examples: readonly Example[]): Score {
  const s: Score = { labelled: 0, right: 0, exact: 0, perType: new Map(), misses: [], spurious: [] };
  for (const t of NAMED) s.perType.set(t, { gold: 0, found: 0, goldHit: 0, foundHit: 0 });
  for (const { text, gold } of examples) {
    const found = extractEntities(text).filter((m): m is typeof m & { type: Named } => (NAMED as readonly string[]).includes(m.type));
    for (const g of gold) {
      const row = s.perType.get(g.type);
      s.labelled++;
      if (row) row.gold++;
      const hit = found.find((f) => f.type === g.type && overlaps(f, g));
      if (hit) {
        s.right++;
        if (row) row.goldHit++;
        if (hit.start === g.start && hit.end === g.end) s.exact++;
      } else {
        const other = found.filter((f) => overlaps(f, g)).map((f) => `${f.type} "${f.name}"`);
        s.misses.push(`${g.type} "${g.name}" → ${other.length === 0 ? 'not found' : other.join(', ')}   | ${text}`);
      }
    }
    for (const f of found) {
      const row = s.perType.get(f.type);
      if (row) row.found++;
      if (gold.some((g) => g.type === f.type && overlaps(f, g))) {
        if (row) row.foundHit++;
      } else if (!gold.some((g) => overlaps(f, g))) s.spurious.push(`${f.type} "${f.name}"   | ${text}`);
    }
  }
  return s;
}

const pct = (n: number, d: number): string => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);

async function main(): Promise<void> {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'entity-typing');
  const parts = [
    { name: 'dev (tuned on)', examples: await load(path.join(dir, 'dev.txt')) },
    { name: 'held-out', examples: await load(path.join(dir, 'heldout.txt')) },
  ];
  const scored = parts.map((p) => ({ ...p, score: score(p.examples) }));
  console.log(`entity typing: ${scored.map((p) => `${p.name} ${p.examples.length} lines, ${p.score.labelled} labelled`).join('; ')}\n`);
  const rows: string[][] = [];
  for (const p of scored) {
    for (const t of NAMED) {
      const r = p.score.perType.get(t);
      if (r) rows.push([p.name, t, String(r.gold), String(r.found), pct(r.foundHit, r.found), pct(r.goldHit, r.gold)]);
    }
    rows.push([
      p.name,
      'all named',
      String(p.score.labelled),
      '',
      '',
      `${pct(p.score.right, p.score.labelled)} typed right (goal ≥ ${GOAL * 100}%), ${pct(p.score.exact, p.score.labelled)} exact span`,
    ]);
  }
  console.log(table(['part', 'type', 'labelled', 'found', 'precision', 'recall'], rows));
  // while changing the heuristic, BENCH_HIDE_HELDOUT=1 keeps the held-out part's misses unread
  const hide = process.env.BENCH_HIDE_HELDOUT === '1';
  for (const p of hide ? scored.slice(0, 1) : scored) {
    console.log(`\n${p.name}: missed or mistyped (${p.score.misses.length})`);
    for (const m of p.score.misses) console.log(`  ${m}`);
    console.log(`${p.name}: found where nothing is labelled (${p.score.spurious.length})`);
    for (const m of p.score.spurious) console.log(`  ${m}`);
  }
}

runMain(main);
