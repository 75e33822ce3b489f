/** Pure helpers of the admin pages: numbers as people read them, and the per-minute charts' geometry. */

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export const formatCount = (n: number): string => new Intl.NumberFormat('en').format(n);

/** One bar of a chart: where it stands and how high, in the SVG's own units. */
export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  value: number;
  label: string;
}

/**
 * Bars for a series of values in a `width` × `height` box, the tallest reaching the top (a
 * series of zeros draws no bars but keeps its slots). `gap` is the space between bars.
 */
export function bars(values: readonly { value: number; label: string }[], width: number, height: number, gap = 1): Bar[] {
  if (values.length === 0) return [];
  const max = Math.max(1, ...values.map((v) => v.value));
  const slot = width / values.length;
  const barWidth = Math.max(1, slot - gap);
  return values.map((v, i) => {
    const h = v.value <= 0 ? 0 : Math.max(1, (v.value / max) * height);
    return { x: i * slot, y: height - h, width: barWidth, height: h, value: v.value, label: v.label };
  });
}

/** A sentence a screen reader can read for a per-minute series: the total, the peak and when, the last minute. */
export function summarise(values: readonly { value: number; minute: string }[], what: string): string {
  if (values.length === 0) return `No ${what} recorded.`;
  const total = values.reduce((sum, v) => sum + v.value, 0);
  const span = values.length === 1 ? 'the last minute' : `the last ${values.length} minutes`;
  if (total === 0) return `No ${what} in ${span}.`;
  const peak = values.reduce((best, v) => (v.value > best.value ? v : best));
  const last = values[values.length - 1];
  return (
    `${formatCount(total)} ${what} in ${span}; ` +
    `at most ${formatCount(peak.value)} in one minute (${minuteLabel(peak.minute)}); ` +
    `${formatCount(last?.value ?? 0)} in the current minute.`
  );
}

/** `HH:MM` of a minute, in the reader's time zone. */
export const minuteLabel = (iso: string): string => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
};

/** The text of a chain verification: what the Verify button reports. */
export function chainReport(report: { ok: boolean; checked: number; first_broken: { tenant_seq: number; reason: string } | null }): string {
  if (report.ok) return `Chain verified: ${formatCount(report.checked)} events`;
  const at = report.first_broken;
  return at ? `Chain broken at position ${at.tenant_seq}: ${at.reason}` : `Chain broken (${formatCount(report.checked)} events checked)`;
}
