import { SeededRng } from '@maskgen/tensor';
import { type SamplingConfig } from '../prior/config';
import { type TimeVqPrior } from '../prior/model';
import { type ClassInput } from '../sampling/helpers';
import { type EssConfig } from './config';
import { type Codebooks, generateSamples } from './sampler';

/** One seed of an ESS-vs-naive comparison on the LF branch (paired: ESS refines the very naive samples scored). */
export interface EssComparison {
  readonly seed: number;
  readonly tStar: number;
  /** Mean re-masked LF tokens per sample. */
  readonly remaskedPerSample: number;
  /** Mean raw critic code distance over all LF tokens: naive s_T, and the ESS output. */
  readonly naiveDistance: number;
  readonly essDistance: number;
  readonly seconds: number;
}

/**
 * Mean self-critic code distance of ESS samples against the naive samples they start from, one run per seed
 * (docs/ess.md reports these figures).
 */
export async function compareEssNaive(
  prior: TimeVqPrior,
  codebooks: Codebooks,
  options: {
    readonly count: number;
    readonly classes: ClassInput;
    readonly seeds: readonly number[];
    readonly sampling?: Partial<SamplingConfig>;
    readonly ess?: Partial<EssConfig>;
  },
): Promise<EssComparison[]> {
  const out: EssComparison[] = [];
  const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
  for (const seed of options.seeds) {
    const start = performance.now();
    const result = await generateSamples(prior, codebooks, {
      method: 'ess',
      count: options.count,
      classes: options.classes,
      sampling: options.sampling,
      ess: options.ess,
      rng: new SeededRng(seed),
    });
    const critic = result.critic?.lf;
    const info = result.ess?.lf;
    if (!critic || !info) throw new Error('ESS run returned no LF critic');
    out.push({
      seed,
      tStar: info.tStar,
      remaskedPerSample: info.remasked.reduce((s, v) => s + v, 0) / options.count,
      naiveDistance: mean(critic.distancesBefore),
      essDistance: mean(critic.distancesAfter),
      seconds: (performance.now() - start) / 1000,
    });
  }
  return out;
}
