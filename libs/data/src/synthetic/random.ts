import seedrandom from 'seedrandom';

export interface RandomSource {
  /** Uniform in [low, high). */
  uniform(low: number, high: number): number;
  /** Standard normal N(0, 1). */
  normal(): number;
}

export function seededRandom(seed: string | number): RandomSource {
  const next = seedrandom(String(seed));
  let spareNormal: number | undefined;
  return {
    uniform: (low, high) => low + (high - low) * next(),
    normal: () => {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      // Box–Muller; 1 - next() lies in (0, 1], so the log is finite.
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      const angle = 2 * Math.PI * next();
      spareNormal = radius * Math.sin(angle);
      return radius * Math.cos(angle);
    },
  };
}
