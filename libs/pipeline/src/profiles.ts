import { FCN_PROFILES, type FcnConfig } from '@maskgen/metrics';
import {
  PRIOR_CPU,
  PRIOR_PAPER,
  type PriorConfig,
  STAGE1_CPU_CONFIG,
  STAGE1_PAPER_CONFIG,
  type Stage1Config,
} from '@maskgen/model';

/**
 * `tiny`: every stage trains in seconds on wasm (tests, end-to-end API checks; quality irrelevant).
 * `cpu`: the cpu profiles of docs/stage1.md, docs/prior.md and docs/metrics.md. `paper`: the spec's.
 */
export type TrainingProfile = 'tiny' | 'cpu' | 'paper';
export const TRAINING_PROFILES: readonly TrainingProfile[] = ['tiny', 'cpu', 'paper'];

export function isTrainingProfile(name: string): name is TrainingProfile {
  return (TRAINING_PROFILES as readonly string[]).includes(name);
}

export interface PipelineProfile {
  readonly stage1: Stage1Config;
  readonly prior: PriorConfig;
  readonly classifier: FcnConfig;
  /** Real test token grids the critic calibration scores (the first this many of the test split). */
  readonly criticGrids: number;
  /**
   * Most rows one forward/backward pass takes, where the configured batch would not fit the 4 GiB wasm heap: the
   * step still uses the whole batch (stage 1: more replica threads; prior: gradients accumulated on a thread).
   */
  readonly microBatch?: { readonly stage1: number; readonly prior: number };
  /**
   * Whether stage 1 and the prior use the worker's replica threads (StageContext.threads). Not for `tiny`: starting
   * two replicas took about 3 s (VM load 11), more than its whole stage 1, and its millisecond steps would spend
   * more time meeting at each BatchNorm than computing.
   */
  readonly dataParallel: boolean;
}

const TINY: PipelineProfile = {
  // 60 stage-1 steps, not fewer: unused codes' EMA sums decay by 0.8 a step while their smoothed counts stay ~1e-5
  // (ess.md §3.4, §9), so after 6 steps their vectors have norms ~1e5 and a tiny model's samples are ~500× the
  // data's scale; by 60 steps the largest norm is ~7 (ItalyPowerDemand, measured). It costs ~2 s.
  stage1: { ...STAGE1_CPU_CONFIG, hiddenDim: 8, residualUnits: 1, batchSize: 16, maxSteps: 60 },
  prior: {
    network: { ...PRIOR_CPU.network, width: 16, layers: 1, heads: 1, headDim: 8 },
    training: { ...PRIOR_CPU.training, batchSize: 8, maxSteps: 6, maxSeconds: null },
    sampling: PRIOR_CPU.sampling,
  },
  classifier: { ...FCN_PROFILES.tiny, filters: [4, 8, 8], epochs: 4 },
  criticGrids: 4,
  dataParallel: false,
};

/**
 * The prior profile without its wall-time cap: a cap makes the checkpoint depend on machine load, and a pipeline
 * run must be reproducible from its seed. The step cap stays.
 */
function withoutTimeCap(prior: PriorConfig): PriorConfig {
  return { ...prior, training: { ...prior.training, maxSeconds: null } };
}

const CPU: PipelineProfile = {
  stage1: STAGE1_CPU_CONFIG,
  prior: withoutTimeCap(PRIOR_CPU),
  classifier: FCN_PROFILES.cpu,
  criticGrids: 64,
  dataParallel: true,
};

const PAPER: PipelineProfile = {
  stage1: STAGE1_PAPER_CONFIG,
  prior: withoutTimeCap(PRIOR_PAPER),
  classifier: FCN_PROFILES.spec,
  criticGrids: 128,
  // Rows per pass that fit the 4 GiB wasm heap at GunPoint's geometry (L 150; 45/190 tokens), measured: stage 1 at 64
  // rows 2,073 MiB (docs/stage1.md); the prior at 32 rows 3,217 MiB, while 64 and 128 rows abort (docs/prior.md).
  microBatch: { stage1: 64, prior: 32 },
  dataParallel: true,
};

export const PIPELINE_PROFILES: Readonly<Record<TrainingProfile, PipelineProfile>> = {
  tiny: TINY,
  cpu: CPU,
  paper: PAPER,
};
