import { execFile } from 'node:child_process';
import os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { randomNormalTensor, type SeededRng } from '@maskgen/tensor';
import {
  PRIOR_CPU,
  PRIOR_PAPER,
  type PriorConfig,
  STAGE1_CPU_CONFIG,
  STAGE1_PAPER_CONFIG,
  type Stage1Config,
  type TrainProgress,
  TimeVQVAE,
  TimeVqPrior,
  trainPrior,
  trainStage1,
} from '@maskgen/model';
import { PIPELINE_PROFILES } from '@maskgen/pipeline';
import { type BenchResult, type BenchSuite } from '../types';
import { modelReadySeconds } from './model-ready';

/**
 * Issue #23: data-parallel training. Steps/s and series/s of stage 1 and the prior (cpu and paper profiles, each at
 * its configured batch, paper with the pipeline's micro-batches) on one thread (N=1) and on every core (N=all),
 * and the wall time of a tiny-profile model from POST /models to ready in local mode (tiny trains on one thread).
 * Stage 1's paper batch of 128 with micro-batches of 64 runs as 2 replicas even at N=1 (BatchNorm: micro-batches
 * are replicas), so its N=1 vs N=all ratio is ~1 on 2 cores; the verdict line compares the cpu profiles.
 * `--quick` times one step per case (checks the suite works; the figures mean nothing).
 */

/** GunPoint geometry: L = 150; 45 LF and 190 HF tokens; codebooks of 32. */
const LENGTH = 150;
const LF_TOKENS = 45;
const HF_TOKENS = 190;
const CODES = 32;
let QUICK = false;
const warmupSteps = (): number => (QUICK ? 1 : 2);

const PAPER_MICRO = PIPELINE_PROFILES.paper.microBatch;

interface Case {
  readonly label: string;
  readonly batch: number;
  readonly steps: number;
  readonly microBatch?: number;
}

export const STAGE1_CASES: ReadonlyArray<Case & { readonly config: Stage1Config }> = [
  { label: 'cpu', config: STAGE1_CPU_CONFIG, batch: STAGE1_CPU_CONFIG.batchSize, steps: 12 },
  {
    label: 'paper',
    config: STAGE1_PAPER_CONFIG,
    batch: STAGE1_PAPER_CONFIG.batchSize,
    steps: 4,
    microBatch: PAPER_MICRO?.stage1,
  },
];
export const PRIOR_CASES: ReadonlyArray<Case & { readonly config: PriorConfig; readonly codeDim: number }> = [
  {
    label: 'cpu',
    config: PRIOR_CPU,
    codeDim: STAGE1_CPU_CONFIG.hiddenDim,
    batch: PRIOR_CPU.training.batchSize,
    steps: 12,
  },
  {
    label: 'paper',
    config: PRIOR_PAPER,
    codeDim: STAGE1_PAPER_CONFIG.hiddenDim,
    batch: PRIOR_PAPER.training.batchSize,
    steps: 4,
    microBatch: PAPER_MICRO?.prior,
  },
];

export function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Step times (ms, sorted) after the warm-up from the loop's progress stamps (its yields included). */
function stepTimes(stamps: readonly number[]): number[] {
  return stamps
    .slice(warmupSteps())
    .map((t, i) => t - stamps[warmupSteps() - 1 + i])
    .sort((a, b) => a - b);
}

function rows(name: string, batch: number, times: readonly number[]): BenchResult[] {
  const ms = median(times);
  const common = { medianMs: ms, minMs: times[0], iterations: times.length };
  return [
    { case: `${name} steps/s`, value: 1000 / ms, unit: 'steps/s', ...common },
    { case: `${name} series/s`, value: (batch * 1000) / ms, unit: 'series/s', ...common },
  ];
}

/** `--quick`: tiny batches (micro-batches of half of them where the case has any), one timed step. */
function sized<C extends Case>(c: C): C {
  if (!QUICK) return c;
  return { ...c, batch: 8, steps: 1, microBatch: c.microBatch === undefined ? undefined : 4 };
}

export async function timeStage1(
  c: Case & { config: Stage1Config },
  replicas: number,
  rng: SeededRng,
): Promise<number[]> {
  const total = warmupSteps() + c.steps;
  // One epoch = one full batch, so every timed step sees exactly `batch` series.
  const config = { ...c.config, batchSize: c.batch, epochs: total, maxSteps: total };
  const model = TimeVQVAE.create(config, { length: LENGTH, channels: 1 }, rng.fork('model'));
  const source = randomNormalTensor([c.batch, 1, LENGTH], rng.fork('data'));
  const data = { values: source.dataSync<'float32'>().slice(), count: c.batch };
  source.dispose();
  const stamps: number[] = [];
  try {
    await trainStage1(model, data, {
      rng: rng.fork('train'),
      parallel: { replicas, microBatch: c.microBatch },
      onProgress: (p: TrainProgress) => {
        stamps.push(p.elapsedMs);
      },
    });
  } finally {
    model.dispose();
  }
  return stepTimes(stamps);
}

export async function timePrior(
  c: Case & { config: PriorConfig; codeDim: number },
  replicas: number,
  rng: SeededRng,
): Promise<number[]> {
  const total = warmupSteps() + c.steps;
  const shapes = {
    lfTokens: LF_TOKENS,
    hfTokens: HF_TOKENS,
    lfCodebookSize: CODES,
    hfCodebookSize: CODES,
    codeDim: c.codeDim,
    numClasses: 2,
  };
  const lf = randomNormalTensor([CODES, c.codeDim], rng.fork('lf')) as tf.Tensor2D;
  const hf = randomNormalTensor([CODES, c.codeDim], rng.fork('hf')) as tf.Tensor2D;
  const prior = new TimeVqPrior(shapes, c.config.network, { lf, hf }, rng.fork('prior'));
  tf.dispose([lf, hf]);
  const lfLogits = randomNormalTensor([c.batch, LF_TOKENS, CODES], rng.fork('lfl')) as tf.Tensor3D;
  const hfLogits = randomNormalTensor([c.batch, HF_TOKENS, CODES], rng.fork('hfl')) as tf.Tensor3D;
  const labels = Int32Array.from({ length: c.batch }, (_, i) => i % 2);
  const stamps: number[] = [];
  try {
    const result = await trainPrior(
      prior,
      { lfLogits, hfLogits, labels },
      {
        training: {
          ...c.config.training,
          // Every timed step trains both priors (the cpu profile's LF-only steps would mix two step sizes).
          lfStepsPerHfStep: 1,
          batchSize: c.batch,
          epochs: total,
          maxSteps: total,
          maxSeconds: null,
        },
        classDropout: c.config.network.classDropout,
        rng: rng.fork('train'),
        parallel: { replicas, microBatch: c.microBatch },
        onProgress: (p: TrainProgress) => {
          stamps.push(p.elapsedMs);
        },
      },
    );
    result.optimizer.dispose();
  } finally {
    prior.dispose();
    tf.dispose([lfLogits, hfLogits]);
  }
  return stepTimes(stamps);
}

/** Where the steps/s of `npm run bench` come from when it runs as a child (see training-ceiling.ts). */
export function setQuick(quick: boolean): void {
  QUICK = quick;
}

/**
 * What this machine gives any data-parallel step at best: `copies` independent single-thread trainings of
 * batch/copies rows each, run at once in child processes (no communication, no synchronisation, no coordinator).
 * Returns the mean of their median step times; N=1's step time over it is the ceiling for N=copies. On a VM whose
 * cores share caches, memory bandwidth or SIMD units, it is well under `copies`.
 */
async function concurrentSingleThreadMs(stage: 'stage1' | 'prior', c: Case, copies: number): Promise<number> {
  const rows = Math.ceil(c.batch / copies);
  const child = path.join(__dirname, '..', 'training-ceiling.ts');
  const run = (): Promise<number> =>
    new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ['--require', '@swc-node/register', child, stage, c.label, String(rows), QUICK ? 'quick' : 'full'],
        { encoding: 'utf8', maxBuffer: 1 << 20 },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`${error.message}\n${stderr}`));
          else resolve(Number(JSON.parse(stdout.trim().split('\n').pop() ?? 'null')));
        },
      );
    });
  const medians = await Promise.all(Array.from({ length: copies }, run));
  return medians.reduce((a, b) => a + b, 0) / copies;
}

/** Seconds from POST /models (tiny profile) to status ready, local mode as `npm start` runs it. */
async function tinyModelSeconds(): Promise<number> {
  const dataset = {
    route: '/datasets/synthetic',
    body: {
      name: 'bench-training-cbf',
      generator: 'cbf',
      length: 128,
      trainPerClass: 10,
      testPerClass: 10,
      seed: 1,
    },
  };
  return (await modelReadySeconds(dataset, 'tiny', 600_000)).seconds;
}

let verdict = '';

export const trainingSuite: BenchSuite = {
  name: 'training',
  description:
    'data-parallel training (issue #23): stage-1 and prior steps/s at N=1 vs all cores; tiny POST→ready',
  backends: ['wasm'],
  async run({ rng, quick }) {
    QUICK = quick === true;
    const all = os.availableParallelism();
    const results: BenchResult[] = [];
    const speedup: Record<string, number> = {};
    const ceiling: Record<string, number> = {};
    /** Times each case of `stage` on one thread and on every core: a result row each, and the speed-up. */
    const compare = async <C extends Case>(
      stage: 'stage1' | 'prior',
      cases: readonly C[],
      time: (c: C, replicas: number, rng: SeededRng) => Promise<number[]>,
    ): Promise<void> => {
      for (const c of cases.map((c) => sized(c))) {
        const medians: number[] = [];
        for (const n of [1, all]) {
          const times = await time(c, n, rng.fork(`${stage}/${c.label}`));
          const micro = c.microBatch === undefined ? '' : ` micro ${c.microBatch}`;
          results.push(...rows(`${stage} ${c.label} B=${c.batch}${micro} N=${n}`, c.batch, times));
          medians.push(median(times));
        }
        speedup[`${stage} ${c.label}`] = medians[0] / medians[1];
        if (c.label !== 'cpu' || all < 2) continue;
        const concurrent = await concurrentSingleThreadMs(stage, c, all);
        results.push({
          case: `${stage} ${c.label} ceiling: ${all} independent 1-thread runs of B=${Math.ceil(c.batch / all)} at once, ms/step`,
          value: concurrent,
          unit: 'ms',
          medianMs: concurrent,
          minMs: concurrent,
          iterations: all,
        });
        ceiling[`${stage} ${c.label}`] = medians[0] / concurrent;
      }
    };
    await compare('stage1', STAGE1_CASES, timeStage1);
    await compare('prior', PRIOR_CASES, timePrior);
    const seconds = await tinyModelSeconds();
    results.push({
      case: `tiny model POST→ready (local mode; tiny trains on one thread)`,
      value: seconds,
      unit: 's',
      medianMs: seconds * 1000,
      minMs: seconds * 1000,
      iterations: 1,
    });
    const load = os.loadavg()[0].toFixed(2);
    const x = (key: string) => `${speedup[key].toFixed(2)}x`;
    const limit = (key: string) => (key in ceiling ? `${ceiling[key].toFixed(2)}x` : 'n/a (one core)');
    verdict =
      `training (cpu profiles${QUICK ? ', QUICK: not a measurement' : ''}; paper: stage1 ${x('stage1 paper')}, ` +
      `prior ${x('prior paper')}; tiny POST→ready ${seconds.toFixed(1)} s; load ${load})\n` +
      `this machine's ceiling for the cpu profiles (independent 1-thread runs at once vs N=1): ` +
      `stage1 ${limit('stage1 cpu')}, prior ${limit('prior cpu')}\n` +
      `training: stage1 ${x('stage1 cpu')}, prior ${x('prior cpu')} (N=all vs 1)`;
    return results;
  },
  summary: () => verdict,
};
