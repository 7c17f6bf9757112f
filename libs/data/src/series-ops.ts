/**
 * Fills NaN gaps in place: linear between the nearest known neighbours, the
 * nearest known value at either end. Returns false when nothing is known.
 */
export function interpolateMissing(values: number[]): boolean {
  let previousKnown = -1;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) continue;
    const gapStart = previousKnown + 1;
    if (gapStart < i) {
      const left = previousKnown === -1 ? values[i] : values[previousKnown];
      const span = i - previousKnown;
      for (let j = gapStart; j < i; j++) {
        values[j] = previousKnown === -1 ? left : left + ((values[i] - left) * (j - previousKnown)) / span;
      }
    }
    previousKnown = i;
  }
  if (previousKnown === -1) return false;
  values.fill(values[previousKnown], previousKnown + 1);
  return true;
}

/**
 * Linear resampling that keeps both end points: output i samples the input at
 * position i·(n−1)/(m−1). A length-1 input becomes a constant series.
 */
export function resampleLinear(values: ArrayLike<number>, targetLength: number): Float32Array {
  const out = new Float32Array(targetLength);
  const n = values.length;
  if (n === 1 || targetLength === 1) return out.fill(values[0]);
  const step = (n - 1) / (targetLength - 1);
  for (let i = 0; i < targetLength; i++) {
    const position = i * step;
    const left = Math.min(Math.floor(position), n - 2);
    const fraction = position - left;
    out[i] = values[left] + (values[left + 1] - values[left]) * fraction;
  }
  return out;
}

/** Most common length; ties go to the longer one so no series loses detail by default. */
export function mostCommonLength(lengths: Iterable<number>): number {
  const counts = new Map<number, number>();
  for (const length of lengths) counts.set(length, (counts.get(length) ?? 0) + 1);
  let best = 0;
  let bestCount = 0;
  for (const [length, count] of counts) {
    if (count > bestCount || (count === bestCount && length > best)) {
      best = length;
      bestCount = count;
    }
  }
  return best;
}
