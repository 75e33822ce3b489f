/**
 * A deliberately small Prometheus registry (text format 0.0.4) for every process: counters with
 * labels, gauges set on each scrape or read when scraped, histograms. Dependency-free on purpose:
 * a process exports a handful of series, not a client library's worth. Label values are escaped;
 * callers keep their cardinality bounded (route templates, projector names, outcomes).
 */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string>;

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function renderLabels(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const pairs = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return pairs.length > 0 ? `{${pairs.join(',')}}` : '';
}

interface Metric {
  render(): string[];
}

/** A monotonic count per label set, kept in this process (it starts at 0 with the process). */
export class Counter implements Metric {
  private readonly series = new Map<string, { values: string[]; count: number }>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[] = [],
  ) {}

  /** `by = 0` makes a series show at 0 before its first event, so a scrape sees what the process runs. */
  inc(labels: Labels = {}, by = 1): void {
    const values = this.labelNames.map((n) => labels[n] ?? '');
    const key = JSON.stringify(values);
    const s = this.series.get(key) ?? { values, count: 0 };
    s.count += by;
    this.series.set(key, s);
  }

  /** The count of one label set (0 when never counted). */
  get(labels: Labels = {}): number {
    return this.series.get(JSON.stringify(this.labelNames.map((n) => labels[n] ?? '')))?.count ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.labelNames.length === 0 && this.series.size === 0) lines.push(`${this.name} 0`);
    for (const s of this.series.values()) lines.push(`${this.name}${renderLabels(this.labelNames, s.values)} ${s.count}`);
    return lines;
  }
}

/** One unlabelled figure read on each scrape (memory, CPU time). */
export class SampledValue implements Metric {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly type: 'gauge' | 'counter',
    private readonly read: () => number,
  ) {}

  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, `${this.name} ${this.read()}`];
  }
}

/**
 * A value set wholesale on each scrape (figures fetched from elsewhere): `set` replaces every
 * series. `type: 'counter'` exports a monotonic figure read whole from its source (a log head).
 */
export class Gauge implements Metric {
  private series: { values: string[]; value: number }[] = [];
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[] = [],
    private readonly type: 'gauge' | 'counter' = 'gauge',
  ) {}

  set(rows: { labels?: Labels; value: number }[]): void {
    this.series = rows.map((r) => ({ values: this.labelNames.map((n) => r.labels?.[n] ?? ''), value: r.value }));
  }

  render(): string[] {
    if (this.series.length === 0) return [];
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.series) lines.push(`${this.name}${renderLabels(this.labelNames, s.values)} ${s.value}`);
    return lines;
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<string, { values: string[]; buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const values = this.labelNames.map((n) => labels[n] ?? '');
    const key = JSON.stringify(values);
    const s = this.series.get(key) ?? { values, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
    this.bounds.forEach((bound, i) => {
      if (value <= bound) s.buckets[i] = (s.buckets[i] ?? 0) + 1;
    });
    s.sum += value;
    s.count += 1;
    this.series.set(key, s);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.bounds.forEach((bound, i) => {
        lines.push(`${this.name}_bucket${renderLabels(this.labelNames, s.values, ['le', String(bound)])} ${s.buckets[i] ?? 0}`);
      });
      lines.push(`${this.name}_bucket${renderLabels(this.labelNames, s.values, ['le', '+Inf'])} ${s.count}`);
      lines.push(`${this.name}_sum${renderLabels(this.labelNames, s.values)} ${s.sum}`);
      lines.push(`${this.name}_count${renderLabels(this.labelNames, s.values)} ${s.count}`);
    }
    return lines;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }
  render(): string {
    return `${this.metrics.flatMap((m) => m.render()).join('\n')}\n`;
  }
}
