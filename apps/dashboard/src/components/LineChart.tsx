import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { compactNumber } from '../format';

export interface LineSeries {
  label: string;
  values: (number | null)[];
  color: string;
  width?: number;
  dash?: number[];
}

export interface LineChartProps {
  title: string;
  /** Shared x values; defaults to 0..n-1. */
  x?: number[];
  series: LineSeries[];
  height?: number;
  xLabel?: string;
  yLabel?: string;
  /** x values are Unix seconds. */
  time?: boolean;
  /** Text for screen readers: what the chart shows. */
  summary: string;
  /** Hide the per-series legend (for plots with many similar lines). */
  legend?: boolean;
  /** Mark each point (for short series, e.g. one point per run). */
  points?: boolean;
  /** A log10 y axis; ignored (linear) unless every plotted value is positive. */
  logY?: boolean;
}

/**
 * A uPlot line chart (canvas) that follows its container's width. The figure carries the number of
 * series and points as data attributes and a text summary for screen readers.
 */
export function LineChart(props: LineChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const length = Math.max(props.x?.length ?? 0, ...props.series.map((s) => s.values.length), 0);
  const points = props.series.reduce(
    (sum, s) => sum + s.values.filter((v) => v !== null && Number.isFinite(v)).length,
    0,
  );

  const logY =
    (props.logY ?? false) &&
    points > 0 &&
    props.series.every((s) => s.values.every((v) => v === null || !Number.isFinite(v) || v > 0));

  useEffect(() => {
    const element = holder.current;
    if (!element || props.series.length === 0 || length === 0) return;
    const x = props.x ?? Array.from({ length }, (_, i) => i);
    const data: uPlot.AlignedData = [
      x,
      ...props.series.map((s) => Array.from({ length: x.length }, (_, i) => s.values[i] ?? null)),
    ];
    const width = Math.max(element.clientWidth, 200);
    const plot = new uPlot(
      {
        width,
        height: props.height ?? 220,
        scales: {
          x: { time: props.time ?? false },
          ...(logY ? { y: { distr: 3 as const, log: 10 as const } } : {}),
        },
        legend: { show: props.legend ?? props.series.length <= 6 },
        cursor: { drag: { x: true, y: false } },
        axes: [
          { label: props.xLabel, stroke: '#333', grid: { stroke: '#e3e3e3' } },
          {
            label: logY && props.yLabel ? `${props.yLabel} (log scale)` : props.yLabel,
            stroke: '#333',
            grid: { stroke: '#e3e3e3' },
            values: (_plot: uPlot, splits: number[]) => splits.map(compactNumber),
          },
        ],
        series: [
          { label: props.xLabel ?? 'x' },
          ...props.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: s.width ?? 1.25,
            dash: s.dash,
            spanGaps: false,
            points: { show: props.points ?? false },
          })),
        ],
      },
      data,
      element,
    );
    const observer = new ResizeObserver(() => {
      const next = Math.max(element.clientWidth, 200);
      if (Math.abs(next - plot.width) > 2) plot.setSize({ width: next, height: props.height ?? 220 });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [
    props.series,
    props.x,
    length,
    props.height,
    props.time,
    props.xLabel,
    props.yLabel,
    props.legend,
    props.points,
    logY,
  ]);

  return (
    <figure
      class="chart"
      data-chart="line"
      data-series={props.series.length}
      data-points={points}
      data-y-scale={logY ? 'log' : 'linear'}
    >
      <figcaption>{props.title}</figcaption>
      {props.series.length === 0 || length === 0 ? (
        <p class="muted">No data to plot.</p>
      ) : (
        <div ref={holder} class="chart-canvas" role="img" aria-label={`${props.title}. ${props.summary}`} />
      )}
    </figure>
  );
}
