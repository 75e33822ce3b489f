import { bars, minuteLabel, summarise } from './format.ts';

const WIDTH = 600;
const HEIGHT = 80;

/**
 * A per-minute bar chart drawn as SVG elements (no chart library, no inline script or style):
 * each bar's <title> names its minute and value for a pointer, and a sentence summarises the
 * series for a screen reader, which skips the drawing itself.
 */
export function MinuteChart({
  series,
  what,
  colour,
}: {
  series: readonly { minute: string; value: number }[];
  what: string;
  colour: string;
}) {
  const drawn = bars(
    series.map((s) => ({ value: s.value, label: `${minuteLabel(s.minute)}: ${s.value} ${what}` })),
    WIDTH,
    HEIGHT,
  );
  const first = series[0];
  const last = series[series.length - 1];
  return (
    <figure className="minute-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" aria-hidden="true" focusable="false">
        <line x1={0} y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} stroke="#9aa4b2" strokeWidth={1} />
        {drawn.map((b, i) => (
          <rect key={i} x={b.x} y={b.y} width={b.width} height={b.height} fill={colour}>
            <title>{b.label}</title>
          </rect>
        ))}
      </svg>
      {first && last ? (
        <div className="chart-axis muted small" aria-hidden="true">
          <span>{minuteLabel(first.minute)}</span>
          <span>{minuteLabel(last.minute)}</span>
        </div>
      ) : null}
      <figcaption>{summarise(series, what)}</figcaption>
    </figure>
  );
}
