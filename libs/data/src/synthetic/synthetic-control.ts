import { type RandomSource } from './random';

export const SYNTHETIC_CONTROL_CLASSES = [
  'normal',
  'cyclic',
  'increasing-trend',
  'decreasing-trend',
  'upward-shift',
  'downward-shift',
] as const;

const BASE_LEVEL = 30;
const NOISE_SCALE = 2;

/**
 * Control-chart patterns (Alcock & Manolopoulos 1999, after Pham & Chan 1998),
 * defined at length 60 with y(t) = 30 + 2·r(t), r ~ U[−3,3], plus:
 *   cyclic: a·sin(2πt/T), a ~ U[10,15], T ~ U[10,15]
 *   trends: ±g·t, g ~ U[0.2,0.5]
 *   shifts: ±x·[t ≥ t₃], x ~ U[7.5,20], t₃ ~ U[n/3, 2n/3]
 * For other lengths the period and slope are rescaled so a series shows the
 * same number of cycles and the same total rise as at length 60.
 */
export function syntheticControlSeries(
  classIndex: number,
  length: number,
  random: RandomSource,
): Float32Array {
  const scale = length / 60;
  const series = new Float32Array(length);
  const amplitude = random.uniform(10, 15);
  const period = random.uniform(10, 15) * scale;
  const slope = random.uniform(0.2, 0.5) / scale;
  const shift = random.uniform(7.5, 20);
  const shiftStart = random.uniform(length / 3, (2 * length) / 3);
  for (let i = 0; i < length; i++) {
    const t = i + 1;
    let pattern = 0;
    switch (classIndex) {
      case 1:
        pattern = amplitude * Math.sin((2 * Math.PI * t) / period);
        break;
      case 2:
        pattern = slope * t;
        break;
      case 3:
        pattern = -slope * t;
        break;
      case 4:
        pattern = t >= shiftStart ? shift : 0;
        break;
      case 5:
        pattern = t >= shiftStart ? -shift : 0;
        break;
    }
    series[i] = BASE_LEVEL + NOISE_SCALE * random.uniform(-3, 3) + pattern;
  }
  return series;
}
