import { type RandomSource } from './random';

export const CBF_CLASSES = ['cylinder', 'bell', 'funnel'] as const;

/**
 * Cylinder–Bell–Funnel (Saito 1994), for t = 1..length:
 *   cylinder: (6+η)·χ[a,b](t) + ε(t)
 *   bell:     (6+η)·χ[a,b](t)·(t−a)/(b−a) + ε(t)
 *   funnel:   (6+η)·χ[a,b](t)·(b−t)/(b−a) + ε(t)
 * with η, ε(t) ~ N(0,1), a ~ U[16,32] and b−a ~ U[32,96] at length 128,
 * both scaled by length/128 so the event covers the same fraction of the series.
 */
export function cbfSeries(classIndex: number, length: number, random: RandomSource): Float32Array {
  const scale = length / 128;
  const a = random.uniform(16, 32) * scale;
  const b = a + random.uniform(32, 96) * scale;
  const amplitude = 6 + random.normal();
  const series = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const t = i + 1;
    let shape = 0;
    if (t >= a && t <= b) {
      if (classIndex === 0) shape = 1;
      else if (classIndex === 1) shape = (t - a) / (b - a);
      else shape = (b - t) / (b - a);
    }
    series[i] = amplitude * shape + random.normal();
  }
  return series;
}
