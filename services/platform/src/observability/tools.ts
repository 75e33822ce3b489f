import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** deploy/prometheus and deploy/grafana, from this file. */
export const PROMETHEUS_DIR = fileURLToPath(new URL('../../../../deploy/prometheus/', import.meta.url));
export const GRAFANA_DASHBOARD = fileURLToPath(new URL('../../../../deploy/grafana/mandant.json', import.meta.url));
export const RULES_FILE = `${PROMETHEUS_DIR}rules.yml`;

/**
 * The path of a Prometheus tool (`promtool`, `prometheus`; Debian's `prometheus` package has
 * both), or null with the SKIPPED-TOOL marker, which CI treats as a failure: there the tools are
 * installed.
 */
export function prometheusTool(name: 'promtool' | 'prometheus'): string | null {
  try {
    const path = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    if (path) return path;
  } catch {
    // not on PATH
  }
  process.stderr.write(`SKIPPED-TOOL: ${name}\n`);
  return null;
}

interface RuleGroup {
  name: string;
  rules: { record?: string; alert?: string; expr: string }[];
}

export function readRules(): RuleGroup[] {
  return (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: RuleGroup[] }).groups;
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The series names a PromQL expression reads: label matchers, grouping lists, strings, ranges and
 * functions taken out, what is left of the identifiers are metric names (or recording rules).
 */
export function seriesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\w+/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?/g)) {
    const [whole, id] = [m[0], m[0].replace(/\s*\($/, '')];
    if (whole.endsWith('(') || KEYWORDS.has(id.toLowerCase())) continue;
    names.add(id);
  }
  return [...names];
}
