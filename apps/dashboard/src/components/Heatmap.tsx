import { useEffect, useRef } from 'preact/hooks';
import type { TokenGridScores } from '@maskgen/client';
import { RAMP, rampColor } from '../format';

function stats(values: number[]): { min: number; max: number; mean: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { min, max, mean: values.length ? sum / values.length : NaN };
}

export interface HeatmapProps {
  title: string;
  grid: TokenGridScores;
  which: 'before' | 'after';
  /** Fixed colour scale shared by the panels being compared. */
  range: { min: number; max: number };
}

/**
 * The critic's per-token scores over the token grid (rows x columns), one cell per token; tokens
 * that ESS re-masked and resampled are outlined.
 */
export function Heatmap({ title, grid, which, range }: HeatmapProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const values = (which === 'after' ? grid.after : grid.before) ?? [];
  // remasked is a 0/1 mask over the grid (1: re-masked and resampled by ESS).
  const remasked = new Set((grid.remasked ?? []).flatMap((flag, index) => (flag === 1 ? [index] : [])));
  const cell = Math.max(6, Math.min(28, Math.floor(560 / Math.max(grid.columns, 1))));

  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    const span = range.max - range.min || 1;
    context.clearRect(0, 0, grid.columns * cell, grid.rows * cell);
    for (let r = 0; r < grid.rows; r += 1) {
      for (let c = 0; c < grid.columns; c += 1) {
        const index = r * grid.columns + c;
        context.fillStyle = rampColor((values[index] - range.min) / span);
        context.fillRect(c * cell, r * cell, cell, cell);
        if (remasked.has(index)) {
          context.strokeStyle = '#e4002b';
          context.lineWidth = 2;
          context.strokeRect(c * cell + 1, r * cell + 1, cell - 2, cell - 2);
        }
      }
    }
  });

  const { min, max, mean } = stats(values);
  const summary = `${grid.rows} by ${grid.columns} tokens, critic score from ${min.toFixed(3)} to ${max.toFixed(3)}, mean ${mean.toFixed(3)}${remasked.size ? `; ${remasked.size} tokens re-masked` : ''}.`;
  return (
    <figure
      class="chart heatmap"
      data-chart="heatmap"
      data-points={values.length}
      data-rows={grid.rows}
      data-columns={grid.columns}
      data-remasked={remasked.size}
    >
      <figcaption>{title}</figcaption>
      <canvas
        ref={canvas}
        width={grid.columns * cell}
        height={grid.rows * cell}
        role="img"
        aria-label={`${title}: ${summary}`}
      />
      <p class="muted small">{summary}</p>
    </figure>
  );
}

export function HeatmapLegend({ range }: { range: { min: number; max: number } }) {
  return (
    <div class="legend" aria-hidden="true">
      <span>{range.min.toFixed(2)}</span>
      <span class="ramp" style={{ background: `linear-gradient(to right, ${RAMP.join(', ')})` }} />
      <span>{range.max.toFixed(2)}</span>
      <span class="remasked-key">re-masked</span>
    </div>
  );
}
