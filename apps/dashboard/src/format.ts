export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en');
  const abs = Math.abs(value);
  if (abs >= 1e5 || (abs > 0 && abs < 1e-3)) return value.toExponential(3);
  return value.toFixed(abs >= 100 ? 1 : 4);
}

/** Four significant digits for every non-integer, so a list of metrics reads with one precision. */
export function formatSignificant(value: number): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return formatNumber(value);
  const abs = Math.abs(value);
  return abs >= 1e5 || abs < 1e-3 ? value.toExponential(3) : value.toPrecision(4);
}

const COMPACT = new Intl.NumberFormat('en', { notation: 'compact', maximumSignificantDigits: 3 });

/** Short axis labels: 120K, 7.23B, 0.5, 1.2e-4 (axis ticks have little room). */
export function compactNumber(value: number): string {
  if (!Number.isFinite(value)) return '';
  const abs = Math.abs(value);
  return abs > 0 && abs < 1e-3 ? value.toExponential(1) : COMPACT.format(value);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  return date.toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' });
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export { samplerLabel, shortId } from '@maskgen/client';

/** Distinct colours with at least 3:1 contrast on white, for series and bars. */
export const PALETTE = [
  '#0b5cad',
  '#c2410c',
  '#15803d',
  '#7e22ce',
  '#b91c1c',
  '#0e7490',
  '#a16207',
  '#be185d',
];
export const REAL_COLOR = '#0b5cad';
export const GENERATED_COLOR = '#c2410c';

/** Viridis-like ramp from dark blue (low) to yellow (high); readable on white and for colour-blind readers. */
export const RAMP = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];

/** The colour of t in [0, 1] on RAMP, as `rgb(r, g, b)`. */
export function rampColor(t: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const position = clamped * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(position));
  const f = position - i;
  const a = hex(RAMP[i]);
  const b = hex(RAMP[i + 1]);
  const mix = a.map((channel, k) => Math.round(channel + (b[k] - channel) * f));
  return `rgb(${mix[0]}, ${mix[1]}, ${mix[2]})`;
}

function hex(color: string): number[] {
  return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
}
