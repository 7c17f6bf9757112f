import * as tf from '@tensorflow/tfjs-core';

/** Swaps the last two axes (rank 2–4 only: wasm's rank-5 transpose is ~27× slower, tfjs.md §2). */
function swapLast(x: tf.Tensor): tf.Tensor {
  switch (x.rank) {
    case 2:
      return tf.transpose(x, [1, 0]);
    case 3:
      return tf.transpose(x, [0, 2, 1]);
    case 4:
      return tf.transpose(x, [0, 1, 3, 2]);
    default:
      throw new Error(`swapLast supports rank 2–4, got rank ${x.rank}`);
  }
}

/**
 * matMul whose gradient uses explicit transposes: tfjs's own BatchMatMul gradient calls matMul with
 * transposeA/B, 3.5–9× slower on wasm (tfjs.md §2). Operands of equal rank (2–4), no broadcasting.
 */
const matMulWithFastGrad = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      return [tf.matMul(dy, swapLast(sb)), tf.matMul(swapLast(sa), dy)];
    },
  };
});

export function matMulFast(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return matMulWithFastGrad(a, b);
}

/** Structurally the training library's DenseParams, but also accepts derived (non-variable) kernels. */
export interface DenseWeights {
  readonly kernel: tf.Tensor; // [in, out]
  readonly bias?: tf.Tensor; // [out]
}

/**
 * x [..., in] · kernel [in, out] (+ bias [out]) → [..., out] as one 2-D product. Like the training library's
 * `dense`, but its gradient avoids transposeA (the prior's step time is dominated by these products).
 */
export function denseFast(x: tf.Tensor, p: DenseWeights): tf.Tensor {
  const [inDim, outDim] = p.kernel.shape;
  const y = matMulFast(tf.reshape(x, [-1, inDim]), p.kernel);
  const withBias = p.bias === undefined ? y : tf.add(y, p.bias);
  return tf.reshape(withBias, [...x.shape.slice(0, -1), outDim]);
}

/** RMSNorm of ess.md §4.3: x / max(‖x‖·D^−½, 1e-8) · g over the last axis. */
export function rmsNorm(x: tf.Tensor, g: tf.Tensor): tf.Tensor {
  const dim = x.shape[x.rank - 1];
  const rms = tf.mul(tf.sqrt(tf.sum(tf.square(x), -1, true)), dim ** -0.5);
  return tf.mul(tf.div(x, tf.maximum(rms, 1e-8)), g);
}

/** Exact GELU, x·Φ(x) via erf, as the spec asks (cost measured in docs/prior.md). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/**
 * Embedding lookup as oneHot·matMul: wasm has no gather gradient (tfjs.md §4).
 * ids int32 [...] , table [V, D] → [..., D].
 */
export function embed(ids: tf.Tensor, table: tf.Tensor): tf.Tensor {
  const [vocab, dim] = table.shape;
  // oneHot straight to float32 returns int bit patterns on wasm (tfjs 4.22), so build int32 and cast.
  const hot = tf.cast(tf.oneHot(tf.reshape(ids, [-1]), vocab), 'float32');
  return tf.reshape(matMulFast(hot, table), [...ids.shape, dim]);
}
