/**
 * A small Prometheus registry for the service processes (text format 0.0.4): counters with
 * labels, and gauges read when scraped. Dependency-free on purpose, like the gateway's own
 * (services/gateway/src/metrics.ts, which keeps its histograms and per-scrape series): a process
 * exports a handful of work counters, not a client library's worth. Label values are escaped;
 * callers keep their cardinality bounded (projector names, outcomes, never tenant ids).
 */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string>;

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function renderLabels(names: readonly string[], values: readonly string[]): string {
  return names.length === 0 ? '' : `{${names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`).join(',')}}`;
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
