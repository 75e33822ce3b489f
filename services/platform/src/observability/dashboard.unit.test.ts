import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GRAFANA_DASHBOARD, readRules, seriesIn } from './tools.ts';

/** The series the platform exports, read from the code that names them (a rename there fails here). */
function exportedSeries(): Set<string> {
  const sources = ['../../../gateway/src/metrics.ts', '../../../../shared/src/telemetry/work-metrics.ts'].map((p) =>
    readFileSync(fileURLToPath(new URL(p, import.meta.url)), 'utf8'),
  );
  const names = new Set(['up']);
  for (const text of sources) {
    for (const [, name] of text.matchAll(/'((?:mandant|process)_[a-z0-9_]+)'/g)) {
      if (!name) continue;
      names.add(name);
      // a histogram's series
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    }
  }
  return names;
}

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

describe('rules and dashboard read only series that exist', () => {
  const exported = exportedSeries();
  const groups = readRules();
  const recorded = new Set(groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
  const known = new Set([...exported, ...recorded]);

  it('the platform exports the series the rules need', () => {
    for (const name of [
      'mandant_http_requests_total',
      'mandant_http_request_duration_seconds',
      'mandant_http_refused_total',
      'mandant_http_rate_limited_total',
      'mandant_projector_lag_max_events',
      'mandant_projector_tenant_lag_events',
      'mandant_projector_dead_letters',
      'mandant_outbox_unrelayed',
      'mandant_outbox_oldest_seconds',
      'mandant_ingestion_documents_total',
      'mandant_projector_events_applied_total',
      'mandant_ops_up',
    ])
      expect(exported, name).toContain(name);
  });

  it('every rule reads exported series or recording rules, and every alert has for, severity, summary, description and runbook', () => {
    const alerts = groups.flatMap((g) => g.rules.filter((r) => r.alert));
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining([
        'ProjectorLagHigh',
        'DeadLettersPresent',
        'OutboxBacklog',
        'HighErrorRate',
        'UnauthorizedSpike',
        'TenantRateLimited',
      ]),
    );
    for (const rule of groups.flatMap((g) => g.rules)) {
      const unknown = seriesIn(rule.expr).filter((s) => !known.has(s));
      expect([rule.record ?? rule.alert, unknown]).toEqual([rule.record ?? rule.alert, []]);
    }
    for (const a of alerts as unknown as {
      alert: string;
      for?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }[]) {
      expect(a.for, a.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning', 'info'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
      expect(a.annotations?.runbook_url, a.alert).toMatch(/^docs\/runbook\.md#[a-z0-9-]+$/);
    }
  });

  it('the dashboard has a uid, tenant and store variables, and every panel query reads series that exist', () => {
    const dashboard = JSON.parse(readFileSync(GRAFANA_DASHBOARD, 'utf8')) as {
      uid: string;
      panels: Panel[];
      templating: { list: { name: string; type: string; definition?: string }[] };
    };
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    const variables = dashboard.templating.list;
    expect(variables.map((v) => v.name)).toEqual(expect.arrayContaining(['datasource', 'tenant', 'store']));
    for (const v of variables.filter((x) => x.type === 'query')) {
      const m = /^label_values\((\w[\w:]*),\s*(\w+)\)$/.exec(v.definition ?? '');
      expect(m, v.name).not.toBeNull();
      expect(known, v.name).toContain(m?.[1]);
    }
    const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThanOrEqual(10);
    const used = new Set<string>();
    for (const panel of panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const t of panel.targets ?? []) {
        const series = seriesIn(t.expr);
        expect(series.length, `${panel.title}: ${t.expr}`).toBeGreaterThan(0);
        for (const s of series) used.add(s);
        expect([panel.title, series.filter((s) => !known.has(s))]).toEqual([panel.title, []]);
      }
    }
    // the figures the dashboard is for are all on it
    for (const s of [
      'mandant:http_requests:rate5m',
      'mandant:http_errors:ratio_rate5m',
      'mandant:http_request_duration_seconds:p95_5m',
      'mandant:projector_lag_max_events:max',
      'mandant:projector_dead_letters:max',
      'mandant:outbox_unrelayed:max',
      'mandant:tenant_rate_limited:rate5m',
      'mandant:ingestion_documents:rate5m',
    ])
      expect(used, s).toContain(s);
  });

  it('catches a typo in a query', () => {
    expect(seriesIn('sum by (route) (rate(mandant_http_request_totl{status=~"5.."}[5m]))').filter((s) => !known.has(s))).toEqual([
      'mandant_http_request_totl',
    ]);
    expect(seriesIn('histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m]))) and on () up')).toEqual(['x_bucket', 'up']);
  });
});
