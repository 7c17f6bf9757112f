import { BATCH_NORM_DEFAULTS } from '@maskgen/model';
import { type FcnClassifier } from '@maskgen/metrics';
import { GraphBuilder } from './graph';

/**
 * ONNX export of the evaluation FCN in inference mode (libs/metrics/src/fcn.ts `forward` with running statistics):
 * three 'same'-padded conv1d blocks with BatchNorm folded into the convolution, ReLU, global average pooling (the
 * FID features) and the linear head's softmax. Input x float32 [B, L]; outputs features [B, C] and probabilities
 * [B, classes].
 */
export function buildFcnGraph(fcn: FcnClassifier): Uint8Array {
  const { length, classes } = fcn.spec;
  const all = fcn.store.all();
  const read = (name: string): { values: Float32Array; dims: number[] } => {
    const v = all[name];
    if (v === undefined) throw new Error(`FCN export: no weight ${name}`);
    return { values: v.dataSync() as Float32Array, dims: [...v.shape] };
  };
  const g = new GraphBuilder('maskgen-fcn');
  const x = g.input('x', 'float32', ['batch', length]);
  let h = g.op('Reshape', [x, g.int64([0, 1, 1, length])]); // NCHW [B, 1, 1, L]
  fcn.config.filters.forEach((_, i) => {
    const kernel = read(`block${i}/conv/kernel`); // [1, k, Cin, Cout]
    const [, k, cin, cout] = kernel.dims;
    const bias = read(`block${i}/conv/bias`).values;
    const gamma = read(`block${i}/bn/gamma`).values;
    const beta = read(`block${i}/bn/beta`).values;
    const mean = read(`block${i}/bn/running_mean`).values;
    const variance = read(`block${i}/bn/running_var`).values;
    // Fold BatchNorm: W'[o] = W[o]·s[o], b'[o] = (b[o] − mean[o])·s[o] + beta[o], s = gamma / sqrt(var + eps).
    const w = new Float32Array(cout * cin * k);
    const b = new Float32Array(cout);
    for (let o = 0; o < cout; o++) {
      const s = gamma[o] / Math.sqrt(variance[o] + BATCH_NORM_DEFAULTS.epsilon);
      b[o] = (bias[o] - mean[o]) * s + beta[o];
      for (let c = 0; c < cin; c++) for (let j = 0; j < k; j++) w[(o * cin + c) * k + j] = kernel.values[(j * cin + c) * cout + o] * s; // prettier-ignore
    }
    // 'same' padding as the tfjs network: the extra zero of an even kernel goes on the right.
    const left = Math.floor((k - 1) / 2);
    const conv = g.op(
      'Conv',
      [h, g.float(w, [cout, cin, 1, k], `conv${i}`), g.float(b, [cout], `bias${i}`)],
      {
        pads: [0, left, 0, k - 1 - left],
        kernel_shape: [1, k],
      },
    );
    h = g.op('Relu', [conv]);
  });
  const features = g.op('ReduceMean', [h], { axes: [2, 3], keepdims: 0 }); // [B, C]
  const head = read('head/kernel');
  const logits = g.dense(features, g.float(head.values, head.dims, 'head'), g.float(read('head/bias').values, [classes], 'head_bias')); // prettier-ignore
  g.output(features, 'features', 'float32', ['batch', fcn.featureDim]);
  g.output(g.op('Softmax', [logits], { axis: -1 }), 'probabilities', 'float32', ['batch', classes]);
  return g.serialize();
}
