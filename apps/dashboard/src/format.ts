import type { Run } from '@maskgen/client';

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en');
  const abs = Math.abs(value);
  if (abs >= 1e5 || (abs > 0 && abs < 1e-3)) return value.toExponential(3);
  return value.toFixed(abs >= 100 ? 1 : 4);
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

export function shortId(id: string): string {
  return id.slice(0, 8);
}

export function samplerLabel(run: Pick<Run, 'params'>): string {
  const sampler = run.params.sampler;
  if (!sampler) return '–';
  if (sampler.kind === 'model')
    return `${sampler.method ?? 'model'} · model ${shortId(String(sampler.modelId ?? ''))}`;
  return `${sampler.generator ?? sampler.kind} · length ${sampler.length ?? '?'}`;
}

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
