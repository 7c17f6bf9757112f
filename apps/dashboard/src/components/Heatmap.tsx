import { useEffect, useRef } from 'preact/hooks';
import type { TokenGridScores } from '@maskgen/client';
import { RAMP, rampColor } from '../format';

function extent(values: number[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { min, max };
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

  // No mean: the scores are a softmax over the grid's tokens, so their mean is always 1/(rows x columns).
  const { min, max } = extent(values);
  const summary = `${grid.rows} by ${grid.columns} tokens, critic score (share of the grid) from ${min.toFixed(3)} to ${max.toFixed(3)}${remasked.size ? `; ${remasked.size} tokens re-masked` : ''}.`;
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

/** Colour scale; the re-masked key only where ESS re-masked (naive runs have no outlines). */
export function HeatmapLegend({
  range,
  remasked,
}: {
  range: { min: number; max: number };
  remasked: boolean;
}) {
  return (
    <div class="legend" aria-hidden="true">
      <span>{range.min.toFixed(2)}</span>
      <span class="ramp" style={{ background: `linear-gradient(to right, ${RAMP.join(', ')})` }} />
      <span>{range.max.toFixed(2)}</span>
      {remasked && <span class="remasked-key">re-masked</span>}
    </div>
  );
}
