import * as tf from '@tensorflow/tfjs-core';
import { randomNormalTensor } from '@maskgen/tensor';
import {
  STAGE1_CPU_CONFIG,
  STAGE1_PAPER_CONFIG,
  type Stage1Config,
  TimeVQVAE,
  trainStage1,
} from '@maskgen/model';
import { measure } from '../measure';
import { type BenchResult, type BenchSuite } from '../types';

/** GunPoint geometry: L = 150, 45 LF and 190 HF tokens. */
const LENGTH = 150;

const PROFILES: ReadonlyArray<readonly [string, Stage1Config, number]> = [
  // [label, config, timed training steps]; paper steps are ~10× slower, so fewer of them.
  ['cpu', STAGE1_CPU_CONFIG, 12],
  ['paper', STAGE1_PAPER_CONFIG, 4],
];
const WARMUP_STEPS = 2;
/**
 * wasm's heap stops at 4 GiB and a stage-1 step needs ~32 MiB per series of length 150 at the paper width
 * (measured), so the paper profile's batch of 128 cannot train there (TensorMemoryExhaustedError); its step is timed
 * at this batch instead, and the case label says so.
 */
const WASM_PAPER_BATCH = 32;
const CODEC_BATCH = 64;

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const stage1Suite: BenchSuite = {
  name: 'stage1',
  description: 'TimeVQVAE tokenizer (L=150): training steps/s per profile, encode+decode series/s',
  // The cpu backend's conv kernels are 50–100× slower (tfjs.md §3); a paper-profile step there takes minutes.
  backends: ['node-gpu', 'node', 'wasm'],
  async run({ backend, rng }) {
    const results: BenchResult[] = [];
    for (const [label, base, steps] of PROFILES) {
      const profile =
        backend.backend === 'wasm' && label === 'paper'
          ? { ...base, batchSize: Math.min(base.batchSize, WASM_PAPER_BATCH) }
          : base;
      const batch = profile.batchSize;
      const total = WARMUP_STEPS + steps;
      // One epoch = one full batch, so every timed step sees exactly `batch` series.
      const config = { ...profile, epochs: total, maxSteps: total };
      const model = TimeVQVAE.create(config, { length: LENGTH, channels: 1 }, rng.fork(label));
      const source = randomNormalTensor([batch, 1, LENGTH], rng.fork(`${label}/data`));
      const data = { values: source.dataSync<'float32'>().slice(), count: batch };
      source.dispose();
      const stamps: number[] = [];
      await trainStage1(model, data, {
        rng: rng.fork(`${label}/train`),
        onProgress: (p) => {
          stamps.push(p.elapsedMs);
        },
      });
      // The loop's yields between steps are included: they are part of what a worker pays per step.
      const times = stamps
        .slice(WARMUP_STEPS)
        .map((t, i) => t - stamps[WARMUP_STEPS - 1 + i])
        .sort((a, b) => a - b);
      results.push({
        case: `${label} train step B=${batch}`,
        value: 1000 / median(times),
        unit: 'steps/s',
        medianMs: median(times),
        minMs: times[0],
        iterations: times.length,
      });

      const x = randomNormalTensor([CODEC_BATCH, 1, LENGTH], rng.fork(`${label}/codec`)) as tf.Tensor3D;
      const timing = measure(
        () => {
          const tokens = model.encode(x);
          const series = model.decode(tokens);
          tf.dispose([tokens.lf, tokens.hf]);
          return series;
        },
        { warmup: 2, budgetMs: 3000 },
      );
      results.push({
        case: `${label} encode+decode B=${CODEC_BATCH}`,
        value: CODEC_BATCH / (timing.medianMs / 1000),
        unit: 'series/s',
        ...timing,
      });
      x.dispose();
      model.dispose();
    }
    return results;
  },
};
