import * as tf from '@tensorflow/tfjs-core';
import { type PriorNetworkConfig } from '../prior/config';
import { type PriorShapes, type TimeVqPrior } from '../prior/model';
import { type BranchPrior, type BranchPriorShape } from '../prior/network';
import { type ClassInput } from './helpers';

/**
 * The inference seam of sampling and the critic: a branch prior as a function of host arrays. The sampler, the
 * critic and ESS only ever call these, so one engine (tfjs here, ONNX Runtime in libs/inference) runs them all.
 */
export interface BranchInput {
  readonly batch: number;
  /** [B, N] (mask id K allowed). */
  readonly tokens: Int32Array;
  /** [B]: class ids, the prior's noClass meaning "no class". */
  readonly classes: Int32Array;
  /** HF only: clean LF ids [B, N_lf]. */
  readonly lfTokens?: Int32Array;
}

export interface BranchRunner {
  readonly shape: BranchPriorShape;
  /** Class id meaning "no class". */
  readonly noClass: number;
  /** Unguided logits [B, N, K], row-major. */
  logitsOf(input: BranchInput): Promise<Float32Array>;
  /** argmax over K of the unguided logits, [B, N]. */
  argmaxOf(input: BranchInput): Promise<Int32Array>;
}

/** Which implementation runs inference: tfjs (the training library, also the reference) or ONNX Runtime. */
export type InferenceEngineName = 'tfjs' | 'ort';

export interface PriorRunner {
  readonly engine: InferenceEngineName;
  readonly shapes: PriorShapes;
  readonly network: PriorNetworkConfig;
  readonly lf: BranchRunner;
  readonly hf: BranchRunner;
  /** Default bound on memory held by one pass (tfjs: well under wasm's 4 GiB heap; native engines: more). */
  readonly memoryBudgetBytes: number;
  /** Largest batch the sampler hands one pass (before guidance doubles it). */
  readonly maxBatch: number;
}

/** tfjs runner of one branch: today's `BranchPrior.logits`, copied to the host. */
export function tfjsBranchRunner(prior: BranchPrior): BranchRunner {
  const run = <T>(
    input: BranchInput,
    pick: (logits: tf.Tensor3D) => tf.Tensor,
    read: (t: tf.Tensor) => T,
  ): T => {
    const { batch: b, tokens, classes, lfTokens } = input;
    const n = prior.shape.tokens;
    const out = tf.tidy(() => {
      const nl = lfTokens === undefined ? 0 : lfTokens.length / b;
      const logits = prior.logits(
        tf.tensor2d(tokens, [b, n], 'int32'),
        tf.tensor1d(classes, 'int32'),
        lfTokens === undefined ? undefined : tf.tensor2d(lfTokens, [b, nl], 'int32'),
      );
      return pick(logits);
    });
    try {
      return read(out);
    } finally {
      out.dispose();
    }
  };
  return {
    shape: prior.shape,
    noClass: prior.noClass,
    logitsOf: (input) =>
      Promise.resolve(
        run(
          input,
          (l) => l,
          (t) => t.dataSync() as Float32Array,
        ),
      ),
    argmaxOf: (input) =>
      Promise.resolve(
        run(
          input,
          (l) => tf.cast(tf.argMax(l, -1), 'int32'),
          (t) => t.dataSync() as Int32Array,
        ),
      ),
  };
}

const TFJS_MEMORY_BUDGET = 512 * 2 ** 20;

/** The tfjs runner of both priors (wasm in local mode, tfjs-node-gpu where installed). */
export function tfjsPriorRunner(prior: TimeVqPrior): PriorRunner {
  return {
    engine: 'tfjs',
    shapes: prior.shapes,
    network: prior.network,
    lf: tfjsBranchRunner(prior.lf),
    hf: tfjsBranchRunner(prior.hf),
    memoryBudgetBytes: TFJS_MEMORY_BUDGET,
    maxBatch: Number.MAX_SAFE_INTEGER,
  };
}

/** Accepts a trained prior (run on tfjs) or a runner of any engine. */
export type PriorSource = TimeVqPrior | PriorRunner;

export function asPriorRunner(source: PriorSource): PriorRunner {
  return 'engine' in source ? source : tfjsPriorRunner(source);
}

export function asBranchRunner(source: BranchPrior | BranchRunner): BranchRunner {
  return 'logitsOf' in source ? source : tfjsBranchRunner(source);
}

/** Class ids [B], with `null` mapped to the prior's "no class" row; checks the range. */
export function classIds(
  runner: Pick<BranchRunner, 'noClass'>,
  classes: ClassInput,
  batch: number,
): Int32Array {
  if (classes === null) return new Int32Array(batch).fill(runner.noClass);
  if (classes.length !== batch) throw new RangeError(`${classes.length} class ids for a batch of ${batch}`);
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c > runner.noClass) {
      throw new RangeError(`class id ${c} outside 0..${runner.noClass} (${runner.noClass} = no class)`);
    }
  }
  return Int32Array.from(classes);
}

/**
 * guided(prior, s, cls, w) of ess.md §5: prior(s, none) when cls is none, else
 * prior(s, none) + w·(prior(s, cls) − prior(s, none)), both passes as one batch of 2B. `guide: false` gives the
 * plain conditional pass prior(s, cls). Returns logits [B, N, K].
 */
export async function branchLogits(
  runner: BranchRunner,
  tokens: Int32Array,
  classes: ClassInput,
  batch: number,
  options: { readonly guide: boolean; readonly scale: number; readonly lfTokens?: Int32Array },
): Promise<Float32Array> {
  const { lfTokens } = options;
  if (!options.guide || classes === null) {
    return runner.logitsOf({ batch, tokens, classes: classIds(runner, classes, batch), lfTokens });
  }
  const twice = <A extends Int32Array>(a: A): A => {
    const out = new (a.constructor as new (n: number) => A)(2 * a.length);
    out.set(a);
    out.set(a, a.length);
    return out;
  };
  const cls = new Int32Array(2 * batch);
  cls.set(classIds(runner, null, batch));
  cls.set(classIds(runner, classes, batch), batch);
  const both = await runner.logitsOf({
    batch: 2 * batch,
    tokens: twice(tokens),
    classes: cls,
    lfTokens: lfTokens === undefined ? undefined : twice(lfTokens),
  });
  const half = both.length / 2;
  const out = new Float32Array(half);
  const w = options.scale;
  for (let i = 0; i < half; i++) {
    const uncond = both[i];
    out[i] = uncond + (both[half + i] - uncond) * w;
  }
  return out;
}
