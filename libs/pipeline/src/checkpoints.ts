import { type ScalingParams } from '@maskgen/data';
import { deserializeCheckpoint, disposeCheckpoint } from '@maskgen/tensor';
import { type TrainingProfile } from './profiles';

export type PipelineStage = 'stage1' | 'prior' | 'critic' | 'classifier';
export const PIPELINE_STAGES: readonly PipelineStage[] = ['stage1', 'prior', 'critic', 'classifier'];

export const PIPELINE_CHECKPOINT_VERSION = 1;

/**
 * Stored under `meta.pipeline` of every stage checkpoint: enough to load and use a model from its checkpoints
 * alone (scaling, class names, lengths), and to tell which run produced it.
 */
export interface PipelineCheckpointInfo {
  readonly stage: PipelineStage;
  readonly version: number;
  readonly dataset: string;
  readonly profile: TrainingProfile;
  readonly seed: number;
  /** `stageConfigHash` of the settings it was trained with (absent from checkpoints written before it existed). */
  readonly config?: string;
  readonly length: number;
  readonly outputLength: number;
  readonly classNames: readonly string[];
  readonly scaling: ScalingParams;
  readonly metrics: Readonly<Record<string, number>>;
}

export class PipelineCheckpointError extends Error {
  override readonly name = 'PipelineCheckpointError';
}

/**
 * Verifies checkpoint bytes (the format's SHA-256 trailer) and returns their pipeline info and full metadata.
 * Throws PipelineCheckpointError when they are corrupt, not a pipeline checkpoint, or of another stage.
 */
export function readPipelineCheckpoint(
  bytes: Uint8Array,
  stage?: PipelineStage,
): { info: PipelineCheckpointInfo; meta: Readonly<Record<string, unknown>> } {
  let meta: Readonly<Record<string, unknown>>;
  try {
    const checkpoint = deserializeCheckpoint(bytes);
    meta = checkpoint.manifest.meta;
    disposeCheckpoint(checkpoint);
  } catch (error) {
    throw new PipelineCheckpointError(`unreadable checkpoint: ${(error as Error).message}`);
  }
  const info = meta.pipeline as PipelineCheckpointInfo | undefined;
  if (info === undefined || typeof info !== 'object' || typeof info.stage !== 'string') {
    throw new PipelineCheckpointError('not a pipeline checkpoint (no meta.pipeline)');
  }
  if (info.version !== PIPELINE_CHECKPOINT_VERSION) {
    throw new PipelineCheckpointError(`pipeline checkpoint version ${String(info.version)} is not supported`);
  }
  if (stage !== undefined && info.stage !== stage) {
    throw new PipelineCheckpointError(`expected a ${stage} checkpoint, got ${info.stage}`);
  }
  return { info, meta };
}
