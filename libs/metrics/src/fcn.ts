import * as tf from '@tensorflow/tfjs-core';
import { type Dataset } from '@maskgen/data';
import {
  AdamW,
  INFERENCE,
  VariableStore,
  applyStatUpdates,
  batchNorm,
  conv2dValid,
  cosineLearningRate,
  createBatchNorm,
  createConv,
  createDense,
  dense,
  discardStatUpdates,
  gatherRows,
  shuffledBatches,
  trainLoop,
  type BatchNormParams,
  type ConvParams,
  type DenseParams,
  type ForwardMode,
  type StatUpdate,
  type TrainLoopResult,
  type TrainProgress,
} from '@maskgen/model';
import { SeededRng, serializeCheckpoint, restoreFromCheckpoint, type CheckpointMeta } from '@maskgen/tensor';
import { type FeatureMatrix } from './frechet';

/**
 * The evaluation classifier of ess.md §7: the FCN of Wang, Yan & Oates (2017). Three conv1d blocks ('same'
 * padding → BatchNorm → ReLU), global average pooling (the feature vector), a linear classifier.
 */
export interface FcnConfig {
  readonly filters: readonly [number, number, number];
  readonly kernels: readonly [number, number, number];
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly weightDecay: number;
}

/** What every profile shares: the FCN's kernel widths and its weight decay. */
const FCN_COMMON = { kernels: [8, 5, 3], weightDecay: 1e-5 } as const;

/** `spec`: ess.md §7 (128/256/128 filters, 1000 epochs, batch 256). `cpu`: narrower and shorter, ~1 min on GunPoint/CBF. */
export const FCN_PROFILES = {
  spec: { ...FCN_COMMON, filters: [128, 256, 128], epochs: 1000, batchSize: 256, learningRate: 1e-3 },
  cpu: { ...FCN_COMMON, filters: [32, 64, 64], epochs: 300, batchSize: 256, learningRate: 3e-3 },
  /** Unit tests only. */
  tiny: { ...FCN_COMMON, filters: [8, 16, 16], epochs: 60, batchSize: 64, learningRate: 1e-2 },
} as const satisfies Record<string, FcnConfig>;

export type FcnProfile = keyof typeof FCN_PROFILES;

/** Own keys only: `name in FCN_PROFILES` would also accept inherited names such as 'toString'. */
export function isFcnProfile(name: string): name is FcnProfile {
  return Object.hasOwn(FCN_PROFILES, name);
}

/** Which FCN judged a metric: its profile when its layers are that profile's (training length aside), else 'custom'. */
export interface FcnJudge {
  readonly profile: FcnProfile | 'custom';
  readonly filters: readonly number[];
  readonly epochs: number;
}

export function fcnJudge(config: FcnConfig): FcnJudge {
  const same = (a: readonly number[], b: readonly number[]) => a.every((v, i) => v === b[i]);
  const profile = (Object.keys(FCN_PROFILES) as FcnProfile[]).find(
    (name) =>
      same(FCN_PROFILES[name].filters, config.filters) && same(FCN_PROFILES[name].kernels, config.kernels),
  );
  return { profile: profile ?? 'custom', filters: [...config.filters], epochs: config.epochs };
}

export const FCN_CHECKPOINT_KIND = 'maskgen-fcn';

export interface FcnSpec {
  readonly length: number;
  readonly classes: number;
}

interface Block {
  readonly conv: ConvParams;
  readonly norm: BatchNormParams;
  readonly kernel: number;
}

export interface FcnOutputs {
  /** [B, filters[2]]: global-average-pooled penultimate features (the FID features). */
  readonly features: tf.Tensor2D;
  /** [B, classes]. */
  readonly logits: tf.Tensor2D;
}

/** Inference in batches of this many series. */
const EVAL_BATCH = 128;

/**
 * The evaluation FCN's inference pass as a function of host arrays: the seam through which evaluation runs on tfjs
 * (FcnClassifier itself) or on ONNX Runtime (libs/inference). values [rows, L] → features [rows, featureDim] and
 * softmax probabilities [rows, classes].
 */
export interface SeriesFeaturizer {
  readonly spec: FcnSpec;
  readonly featureDim: number;
  inferAsync(
    values: Float32Array,
    rows: number,
  ): Promise<{ features: Float32Array; probabilities: Float32Array }>;
}

export class FcnClassifier implements SeriesFeaturizer {
  readonly store = new VariableStore();
  private readonly blocks: Block[];
  private readonly head: DenseParams;

  constructor(
    readonly config: FcnConfig,
    readonly spec: FcnSpec,
    rng: SeededRng,
  ) {
    if (!Number.isInteger(spec.length) || spec.length < 1) throw new RangeError(`bad length ${spec.length}`);
    if (!Number.isInteger(spec.classes) || spec.classes < 2)
      throw new RangeError(`need ≥ 2 classes, got ${spec.classes}`);
    let inputs = 1;
    this.blocks = config.filters.map((outputs, i) => {
      const kernel = config.kernels[i];
      const block: Block = {
        conv: createConv(this.store, `block${i}/conv`, [1, kernel], inputs, outputs, rng),
        norm: createBatchNorm(this.store, `block${i}/bn`, outputs),
        kernel,
      };
      inputs = outputs;
      return block;
    });
    this.head = createDense(this.store, 'head', inputs, spec.classes, rng);
  }

  get featureDim(): number {
    return this.config.filters[2];
  }

  /** x [B, L] → features and logits. */
  forward(x: tf.Tensor2D, mode: ForwardMode): FcnOutputs {
    return tf.tidy(() => {
      const [batch, length] = x.shape;
      let h = tf.reshape<tf.Rank.R4>(x, [batch, 1, length, 1]);
      for (const block of this.blocks) {
        // 'same' padding as Keras/PyTorch: the extra zero of an even kernel goes on the right.
        const left = Math.floor((block.kernel - 1) / 2);
        const right = block.kernel - 1 - left;
        const padded = tf.pad<tf.Tensor4D>(h, [
          [0, 0],
          [0, 0],
          [left, right],
          [0, 0],
        ]);
        const conv = tf.add<tf.Tensor4D>(conv2dValid(padded, block.conv.kernel, 1), block.conv.bias);
        h = tf.relu(batchNorm(conv, block.norm, mode) as tf.Tensor4D);
      }
      const features = tf.mean<tf.Tensor2D>(h, [1, 2]);
      const logits = dense(features, this.head) as tf.Tensor2D;
      return { features, logits };
    });
  }

  /** Runs inference over row-major [rows, L] values in batches; returns [rows, featureDim] and [rows, classes]. */
  infer(values: Float32Array, rows: number): { features: Float32Array; probabilities: Float32Array } {
    const { length, classes } = this.spec;
    if (values.length !== rows * length)
      throw new RangeError(`${values.length} values for [${rows}, ${length}]`);
    const features = new Float32Array(rows * this.featureDim);
    const probabilities = new Float32Array(rows * classes);
    for (let start = 0; start < rows; start += EVAL_BATCH) {
      const count = Math.min(EVAL_BATCH, rows - start);
      const [f, p] = tf.tidy(() => {
        const x = tf.tensor2d(values.subarray(start * length, (start + count) * length), [count, length]);
        const out = this.forward(x, INFERENCE);
        return [out.features, tf.softmax(out.logits)];
      });
      features.set(f.dataSync(), start * this.featureDim);
      probabilities.set(p.dataSync(), start * classes);
      tf.dispose([f, p]);
    }
    return { features, probabilities };
  }

  inferAsync(
    values: Float32Array,
    rows: number,
  ): Promise<{ features: Float32Array; probabilities: Float32Array }> {
    return Promise.resolve(this.infer(values, rows));
  }

  /** Penultimate features of a dataset's series, ready for `frechetDistance`. */
  featuresOf(series: readonly Float32Array[]): FeatureMatrix {
    const { features } = this.infer(stackSeries(series, this.spec.length), series.length);
    return { rows: series.length, dim: this.featureDim, data: features };
  }

  /** Softmax class probabilities, row-major [series, classes] (for `inceptionScore`). */
  probabilitiesOf(series: readonly Float32Array[]): Float32Array {
    return this.infer(stackSeries(series, this.spec.length), series.length).probabilities;
  }

  /** Fraction of `dataset`'s series whose argmax class equals its label. */
  accuracy(dataset: Pick<Dataset, 'values' | 'labels'>): number {
    const probs = this.probabilitiesOf(dataset.values);
    const k = this.spec.classes;
    let correct = 0;
    for (let r = 0; r < dataset.values.length; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (probs[r * k + c] > probs[r * k + best]) best = c;
      if (best === dataset.labels[r]) correct++;
    }
    return correct / dataset.values.length;
  }

  serialize(extraMeta: Readonly<Record<string, unknown>> = {}): Buffer {
    return serializeCheckpoint(this.store.all(), {
      ...extraMeta,
      kind: FCN_CHECKPOINT_KIND,
      config: this.config,
      length: this.spec.length,
      classes: this.spec.classes,
    });
  }

  static deserialize(bytes: Uint8Array): FcnClassifier {
    const build = (stored: CheckpointMeta) => {
      const meta = stored as { kind?: unknown; config?: FcnConfig; length?: unknown; classes?: unknown };
      if (meta.kind !== FCN_CHECKPOINT_KIND || meta.config === undefined) {
        throw new Error(`not an FCN checkpoint (kind ${String(meta.kind)})`);
      }
      const spec = { length: Number(meta.length), classes: Number(meta.classes) };
      return new FcnClassifier(meta.config, spec, new SeededRng('checkpoint'));
    };
    return restoreFromCheckpoint(bytes, build, (model) => model.store.all()).model;
  }

  dispose(): void {
    this.store.dispose();
  }
}

export function stackSeries(series: readonly Float32Array[], length: number): Float32Array {
  const out = new Float32Array(series.length * length);
  series.forEach((s, i) => {
    if (s.length !== length) throw new RangeError(`series ${i} has length ${s.length}, expected ${length}`);
    out.set(s, i * length);
  });
  return out;
}

export interface TrainFcnOptions {
  /** A profile name or a full config. Default 'cpu'. */
  readonly config?: FcnProfile | FcnConfig;
  /** Overrides the config's epochs (e.g. a shorter run). */
  readonly epochs?: number;
  readonly seed?: string | number;
  /** Number of classes; default max label + 1 (pass it when a generated set may miss a class). */
  readonly classes?: number;
  readonly onProgress?: (progress: TrainProgress) => void | Promise<void>;
  readonly progressEvery?: number;
  readonly signal?: AbortSignal;
  readonly maxDurationMs?: number;
  /** Evaluated after training when given. */
  readonly test?: Pick<Dataset, 'values' | 'labels'>;
}

export interface TrainFcnResult {
  readonly model: FcnClassifier;
  readonly training: TrainLoopResult;
  readonly testAccuracy?: number;
}

/**
 * Trains a fresh FCN on labelled series (already scaled as the caller's pipeline scales data): AdamW, cosine
 * learning rate over every optimiser step, seeded shuffled batches, softmax cross-entropy. Yields between steps;
 * an abort or time limit returns the model trained so far (`training.stopReason` says which).
 */
export async function trainFcn(
  train: Pick<Dataset, 'values' | 'labels' | 'length'>,
  options: TrainFcnOptions = {},
): Promise<TrainFcnResult> {
  const base = typeof options.config === 'object' ? options.config : FCN_PROFILES[options.config ?? 'cpu'];
  const config: FcnConfig = { ...base, epochs: options.epochs ?? base.epochs };
  const count = train.values.length;
  if (count === 0) throw new RangeError('no training series');
  let maxLabel = 0;
  for (const label of train.labels) maxLabel = Math.max(maxLabel, label);
  const classes = options.classes ?? maxLabel + 1;
  if (maxLabel >= classes) throw new RangeError(`label ${maxLabel} is outside ${classes} classes`);
  const rng = new SeededRng(options.seed ?? 0);
  const model = new FcnClassifier(config, { length: train.length, classes }, rng.fork('init'));
  try {
    const values = stackSeries(train.values, train.length);
    const batchSize = Math.min(config.batchSize, count);
    const batches = shuffledBatches(count, batchSize, rng.fork('batches'));
    const totalSteps = config.epochs * Math.ceil(count / batchSize);
    const params = model.store.params();
    const optimizer = new AdamW(params, { weightDecay: config.weightDecay });
    try {
      const training = await trainLoop({
        totalSteps,
        learningRate: (step) => cosineLearningRate(step, config.learningRate, totalSteps),
        onProgress: options.onProgress,
        progressEvery: options.progressEvery,
        signal: options.signal,
        maxDurationMs: options.maxDurationMs,
        label: `classifier training (batch ${batchSize}, length ${train.length})`,
        step: (_, learningRate) => {
          const indices = batches.next().value as number[];
          const updates: StatUpdate[] = [];
          const x = gatherRows(values, [train.length], indices) as tf.Tensor2D;
          const y = tf.tidy(() =>
            tf.oneHot(
              tf.tensor1d(
                indices.map((i) => train.labels[i]),
                'int32',
              ),
              classes,
            ),
          );
          try {
            const { value, grads } = tf.variableGrads(() => {
              const { logits } = model.forward(x, { training: true, updates });
              return tf.neg<tf.Scalar>(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1)));
            }, Object.values(params));
            const named: Record<string, tf.Tensor> = {};
            for (const [name, variable] of Object.entries(params)) named[name] = grads[variable.name];
            optimizer.apply(named, learningRate);
            applyStatUpdates(updates);
            const loss = value.dataSync()[0];
            tf.dispose([value, ...Object.values(grads)]);
            return { loss };
          } finally {
            discardStatUpdates(updates);
            tf.dispose([x, y]);
          }
        },
      });
      const testAccuracy = options.test ? model.accuracy(options.test) : undefined;
      return { model, training, testAccuracy };
    } finally {
      optimizer.dispose();
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
}
