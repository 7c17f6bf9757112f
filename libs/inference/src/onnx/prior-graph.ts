import { type BranchPrior } from '@maskgen/model';
import { CONTRIB_DOMAIN, GraphBuilder } from './graph';

/**
 * ONNX export of one branch prior: the same computation as `BranchPrior.logits` (libs/model/src/prior/network.ts),
 * written as opset-17 ops plus ORT's exact-erf `Gelu`. Inputs: tokens int32 [B, N] (mask id K allowed), classes
 * int32 [B] (noClass = "no class"), and for HF lf_tokens int32 [B, N_lf]. Outputs: logits float32 [B, N, K] and
 * their argmax int64 [B, N] (what the critic reads, so it never copies the logits out).
 */
export function buildPriorGraph(prior: BranchPrior): Uint8Array {
  const { branch, tokens: n, codebookSize: k, codeDim: d } = prior.shape;
  const { width, heads, headDim, layers } = prior.config;
  const dIn = prior.inputDim;
  const params = prior.store.params();
  const g = new GraphBuilder(`maskgen-prior-${branch}`);
  const weight = (part: string): { values: Float32Array; dims: number[] } => {
    const v = params[`${branch}/${part}`];
    if (v === undefined) throw new Error(`prior export: no weight ${branch}/${part}`);
    return { values: v.dataSync() as Float32Array, dims: [...v.shape] };
  };
  const w = (part: string): string => {
    const { values, dims } = weight(part);
    return g.float(values, dims, part);
  };
  const axisLast = g.int64([-1], 'axis_last');
  const layerNorm = (x: string, part: string, epsilon: number): string =>
    g.op('LayerNormalization', [x, w(`${part}/gamma`), w(`${part}/beta`)], { axis: -1, epsilon });
  // RMSNorm as the spec writes it: x / max(‖x‖·D^−½, 1e-8) · g (ORT's SimplifiedLayerNormalization adds ε instead).
  const rmsNorm = (x: string, gain: string): string => {
    const norm = g.op('Sqrt', [g.op('ReduceSum', [g.op('Mul', [x, x]), axisLast], { keepdims: 1 })]);
    const rms = g.op('Max', [g.op('Mul', [norm, g.scalar(width ** -0.5)]), g.scalar(1e-8)]);
    return g.op('Mul', [g.op('Div', [x, rms]), w(gain)]);
  };
  const gelu = (x: string): string => g.op('Gelu', [x], {}, undefined, CONTRIB_DOMAIN);
  const dense = (x: string, part: string, bias = true): string =>
    g.dense(x, w(`${part}/kernel`), bias ? w(`${part}/bias`) : undefined);

  const tokens = g.input('tokens', 'int32', ['batch', n]);
  const classes = g.input('classes', 'int32', ['batch']);
  let x = g.op('Gather', [w('tokEmb'), tokens], { axis: 0 }); // [B, N, d]
  if (branch === 'hf') x = withLfConditioning(g, w, prior, x);
  x = layerNorm(g.op('Add', [x, w('pos1')]), 'ln1', 1e-12);
  const cls = g.op('Unsqueeze', [g.op('Gather', [w('clsEmb'), classes], { axis: 0 }), g.int64([1])]); // [B, 1, D_in]
  let h = dense(g.op('Concat', [cls, x], { axis: 1 }), 'projIn'); // [B, N+1, W]
  const pos2 = weight('pos2');
  h = g.op('Add', [
    h,
    g.float(
      pos2.values.map((v) => v * width ** -0.5),
      pos2.dims,
      'pos2_scaled',
    ),
  ]);
  const inner = heads * headDim;
  const splitHeads = g.int64([0, 0, heads, headDim], 'split_heads');
  const mergeHeads = g.int64([0, 0, inner], 'merge_heads');
  for (let l = 0; l < layers; l++) {
    const p = (part: string): string => `layer${l}/${part}`;
    const a = rmsNorm(h, p('attnNorm'));
    const wq = weight(p('wq/kernel'));
    // q is scaled by dh^−½ as in the tfjs network; folding the scale into wq is the same product.
    const q = g.op('Transpose', [g.op('Reshape', [g.op('MatMul', [a, g.float(wq.values.map((v) => v * headDim ** -0.5), wq.dims, 'wq_scaled')]), splitHeads])], { perm: [0, 2, 1, 3] }); // prettier-ignore
    const kT = g.op('Transpose', [g.op('Reshape', [dense(a, p('wk'), false), splitHeads])], {
      perm: [0, 2, 3, 1],
    });
    const v = g.op('Transpose', [g.op('Reshape', [dense(a, p('wv'), false), splitHeads])], {
      perm: [0, 2, 1, 3],
    });
    const att = g.op('Softmax', [g.op('MatMul', [q, kT])], { axis: -1 }); // [B, H, S, S]
    const o = g.op('Reshape', [
      g.op('Transpose', [g.op('MatMul', [att, v])], { perm: [0, 2, 1, 3] }),
      mergeHeads,
    ]);
    h = g.op('Add', [h, dense(o, p('wo'), false)]);
    const hidden = gelu(dense(rmsNorm(h, p('ffNorm')), p('ff1')));
    h = g.op('Add', [h, dense(hidden, p('ff2'))]);
  }
  h = dense(layerNorm(h, 'lnFinal', 1e-5), 'projOut'); // [B, N+1, D_in]
  h = layerNorm(gelu(dense(h, 'head')), 'headLn', 1e-12); // [B, N+1, d]
  h = g.op('Slice', [h, g.int64([1]), g.int64([n + 1]), g.int64([1])]); // drop the class slot → [B, N, d]
  // Tied head: h · tokEmbᵀ + logitBias, with the mask column dropped from both up front.
  const { table, biasK } = tiedHead(weight('tokEmb').values, weight('logitBias').values, n, k, d);
  const logits = g.op('Add', [g.op('MatMul', [h, g.float(table, [d, k], 'tokEmbT')]), g.float(biasK, [n, k], 'logitBias')]); // prettier-ignore
  g.output(logits, 'logits', 'float32', ['batch', n, k]);
  g.output(g.op('ArgMax', [logits], { axis: -1, keepdims: 0 }), 'argmax', 'int64', ['batch', n]);
  if (dIn !== (branch === 'hf' ? 2 * d : d)) throw new Error('prior export: unexpected input width');
  return g.serialize();
}

/** The tied output head's tables without the mask column: tokEmbᵀ [d, K] from tokEmb [K+1, d], logitBias [N, K]. */
function tiedHead(
  tokEmb: Float32Array,
  logitBias: Float32Array,
  n: number,
  k: number,
  d: number,
): { table: Float32Array; biasK: Float32Array } {
  const table = new Float32Array(d * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < d; j++) table[j * k + i] = tokEmb[i * d + j];
  const biasK = new Float32Array(n * k);
  for (let i = 0; i < n; i++) biasK.set(logitBias.subarray(i * (k + 1), i * (k + 1) + k), i * k);
  return { table, biasK };
}

/** HF input: the LF tokens' embeddings mixed to the HF positions, concatenated with the HF embeddings → [B, N, 2d]. */
function withLfConditioning(
  g: GraphBuilder,
  w: (part: string) => string,
  prior: BranchPrior,
  x: string,
): string {
  const nl = prior.shape.lf?.tokens;
  if (nl === undefined) throw new Error('prior export: HF prior without LF token count');
  const lfTokens = g.input('lf_tokens', 'int32', ['batch', nl]);
  const lfEmb = g.op('Gather', [w('lfTokEmb'), lfTokens], { axis: 0 }); // [B, N_lf, d]
  // mixW [N, N_lf] · lfEmb [B, N_lf, d] broadcasts over the batch → [B, N, d]; mixB [N, 1] broadcasts over d.
  const mixed = g.op('Add', [g.op('MatMul', [w('mixW'), lfEmb]), w('mixB')]);
  return g.op('Concat', [mixed, x], { axis: -1 });
}
