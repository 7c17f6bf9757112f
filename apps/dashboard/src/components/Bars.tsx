import { formatNumber } from '../format';

export interface BarGroup {
  metric: string;
  /** The group's heading, e.g. with the metric's better direction; the metric's name by default. */
  heading?: string;
  values: { label: string; value: number | undefined; color: string }[];
}

/**
 * Grouped horizontal bars, one group per metric, each group on its own scale (FID and IS differ by
 * orders of magnitude). Plain SVG with a <title> per bar.
 */
export function MetricBars({ groups, title }: { groups: BarGroup[]; title: string }) {
  const barHeight = 18;
  const gap = 4;
  // Room for the longest run label (about 8.5 units per character at the SVG's font size).
  const longest = Math.max(0, ...groups.flatMap((g) => g.values.map((v) => v.label.length)));
  const labelWidth = Math.max(100, Math.ceil(longest * 8.5) + 12);
  const plotWidth = 360;
  const groupHeight = (n: number) => n * (barHeight + gap) + 26;
  const height = groups.reduce((sum, g) => sum + groupHeight(g.values.length), 0);
  let y = 0;
  return (
    <figure
      class="chart"
      data-chart="bars"
      data-points={groups.reduce((n, g) => n + g.values.filter((v) => v.value !== undefined).length, 0)}
    >
      <figcaption>{title}</figcaption>
      {groups.length === 0 ? (
        <p class="muted">No metrics recorded for these runs yet.</p>
      ) : (
        <svg
          viewBox={`0 0 ${labelWidth + plotWidth + 90} ${height}`}
          role="img"
          aria-label={title}
          class="bars"
        >
          {groups.map((group) => {
            const top = y;
            y += groupHeight(group.values.length);
            const max = Math.max(...group.values.map((v) => Math.abs(v.value ?? 0)), 1e-12);
            return (
              <g key={group.metric} transform={`translate(0, ${top})`}>
                <text x={0} y={14} class="bar-metric">
                  {group.heading ?? group.metric}
                </text>
                {group.values.map((v, i) => {
                  const width = v.value === undefined ? 0 : (Math.abs(v.value) / max) * plotWidth;
                  const rowY = 22 + i * (barHeight + gap);
                  return (
                    <g key={v.label}>
                      <title>{`${group.metric}, ${v.label}: ${v.value === undefined ? 'not measured' : formatNumber(v.value)}`}</title>
                      <text x={labelWidth - 6} y={rowY + 13} text-anchor="end" class="bar-label">
                        {v.label}
                      </text>
                      <rect
                        x={labelWidth}
                        y={rowY}
                        width={Math.max(width, 1)}
                        height={barHeight}
                        fill={v.color}
                      />
                      <text x={labelWidth + width + 6} y={rowY + 13} class="bar-value">
                        {v.value === undefined ? '–' : formatNumber(v.value)}
                      </text>
                    </g>
                  );
                })}
              </g>
            );
          })}
        </svg>
      )}
    </figure>
  );
}
