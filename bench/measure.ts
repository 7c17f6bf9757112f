import * as tf from '@tensorflow/tfjs-core';

export interface MeasureOptions {
  /** Untimed runs first: wasm heap growth and kernel set-up land here. */
  readonly warmup?: number;
  readonly minIterations?: number;
  readonly maxIterations?: number;
  /** Stop adding iterations (beyond minIterations) once this much time was spent timing. */
  readonly budgetMs?: number;
}

export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly iterations: number;
}

/**
 * Times `fn`, reading its result back so asynchronous backends finish the work inside the timed region, and
 * disposing everything it allocated. Throws if an iteration leaks tensors, since a leak skews later numbers.
 */
export function measure(fn: () => tf.Tensor | tf.Tensor[], options: MeasureOptions = {}): Timing {
  const { warmup = 3, minIterations = 3, maxIterations = 30, budgetMs = 2000 } = options;
  const once = (): number => {
    const before = tf.memory().numTensors;
    const start = performance.now();
    const out = fn();
    for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
    const elapsed = performance.now() - start;
    tf.dispose(out);
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) throw new Error(`benchmark body leaked ${leaked} tensors per iteration`);
    return elapsed;
  };
  for (let i = 0; i < warmup; i++) once();
  const times: number[] = [];
  let spent = 0;
  while (times.length < minIterations || (times.length < maxIterations && spent < budgetMs)) {
    const t = once();
    times.push(t);
    spent += t;
  }
  times.sort((a, b) => a - b);
  const mid = Math.floor(times.length / 2);
  const medianMs = times.length % 2 === 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return { medianMs, minMs: times[0], iterations: times.length };
}
