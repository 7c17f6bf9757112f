/** A small SVG line of one series, for sample galleries. */
export function Sparkline({ values, color, label }: { values: number[]; color: string; label: string }) {
  const width = 160;
  const height = 56;
  if (values.length < 2)
    return <svg width={width} height={height} role="img" aria-label={`${label}: no data`} />;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const span = max - min || 1;
  const points = values
    .map(
      (v, i) =>
        `${((i / (values.length - 1)) * width).toFixed(1)},${(height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)}`,
    )
    .join(' ');
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      class="sparkline"
      role="img"
      aria-label={label}
      data-points={values.length}
    >
      <polyline points={points} fill="none" stroke={color} stroke-width="1.5" />
    </svg>
  );
}
