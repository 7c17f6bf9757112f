import type * as tf from '@tensorflow/tfjs-core';
import {
  deserializeCheckpoint,
  disposeCheckpoint,
  loadIntoVariables,
  serializeCheckpoint,
} from '@maskgen/tensor';
import { type LoopCheckpoint } from './loop';

export const TRAINING_STATE_KIND = 'maskgen-training-state';

/**
 * In-training checkpoints of one trainer. The state holds every variable training changes (weights, running
 * statistics and codebook buffers, optimiser moments and step) and the step count; the random stream needs no
 * state of its own because trainers draw each step's batch and noise from (seed, step).
 */
export interface TrainingCheckpoints {
  readonly everySteps?: number;
  readonly everyMs?: number;
  /** Stores a state; its bytes are what `resumeFrom` takes later. */
  readonly save: (state: { readonly step: number; readonly bytes: Buffer }) => void | Promise<void>;
  /** A state saved by an interrupted run of the same training: it continues from there. */
  readonly resumeFrom?: Uint8Array;
}

/** A resumable training state of `totalSteps` training after `step` steps. */
export function serializeTrainingState(
  variables: Readonly<Record<string, tf.Variable>>,
  step: number,
  totalSteps: number,
): Buffer {
  return serializeCheckpoint(variables, { kind: TRAINING_STATE_KIND, step, totalSteps });
}

/** Loads a `serializeTrainingState` state into `variables` and returns its step count. */
export function restoreTrainingState(
  bytes: Uint8Array,
  variables: Readonly<Record<string, tf.Variable>>,
  totalSteps: number,
): number {
  const checkpoint = deserializeCheckpoint(bytes);
  try {
    const { kind, step, totalSteps: storedTotal } = checkpoint.manifest.meta as Record<string, unknown>;
    if (kind !== TRAINING_STATE_KIND || typeof step !== 'number' || !Number.isInteger(step)) {
      throw new RangeError('not a training state');
    }
    if (storedTotal !== totalSteps || step < 0 || step > totalSteps) {
      throw new RangeError(`training state of ${String(storedTotal)} steps, this training has ${totalSteps}`);
    }
    loadIntoVariables(checkpoint, variables);
    return step;
  } finally {
    disposeCheckpoint(checkpoint);
  }
}

/** Restores `checkpoints.resumeFrom` (if any) and returns the loop's start step and checkpoint hook. */
export function checkpointHooks(
  checkpoints: TrainingCheckpoints | undefined,
  variables: Readonly<Record<string, tf.Variable>>,
  totalSteps: number,
): { startStep: number; checkpoint: LoopCheckpoint | undefined } {
  if (checkpoints === undefined) return { startStep: 0, checkpoint: undefined };
  const startStep =
    checkpoints.resumeFrom === undefined
      ? 0
      : restoreTrainingState(checkpoints.resumeFrom, variables, totalSteps);
  return {
    startStep,
    checkpoint: {
      everySteps: checkpoints.everySteps,
      everyMs: checkpoints.everyMs,
      save: (step) => checkpoints.save({ step, bytes: serializeTrainingState(variables, step, totalSteps) }),
    },
  };
}

/**
 * checkpointHooks over a model's variables (prefixed `model/`) and its optimiser's state; the optimiser is disposed
 * when restoring fails, so a caller that gets no hooks holds nothing.
 */
export function modelCheckpointHooks(
  checkpoints: TrainingCheckpoints | undefined,
  modelVariables: Readonly<Record<string, tf.Variable>>,
  optimizer: { stateVariables(): Record<string, tf.Variable>; dispose(): void },
  totalSteps: number,
): { startStep: number; checkpoint: LoopCheckpoint | undefined } {
  try {
    return checkpointHooks(
      checkpoints,
      { ...prefixed(modelVariables, 'model/'), ...optimizer.stateVariables() },
      totalSteps,
    );
  } catch (error) {
    optimizer.dispose();
    throw error;
  }
}

/** `variables` with every name prefixed, so model and optimiser variables share one state without clashes. */
export function prefixed(
  variables: Readonly<Record<string, tf.Variable>>,
  prefix: string,
): Record<string, tf.Variable> {
  return Object.fromEntries(Object.entries(variables).map(([name, v]) => [`${prefix}${name}`, v]));
}
