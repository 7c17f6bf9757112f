import * as tf from '@tensorflow/tfjs-core';
import { istft, stft } from '@maskgen/tensor';
import { gatherRows } from '../training';
import { BANDS, type Band } from './config';
import { type TimeVQVAE } from './model';
import { perplexity } from './quantizer';
import { type SeriesBatchSource } from './train';

export interface Stage1Evaluation {
  /** Mean squared error of decode(encode(x)) against the STFT round trip of x (ess.md §7's real set). */
  readonly mse: number;
  /** Distinct codes used over the whole set, per band. */
  readonly usage: Readonly<Record<Band, number>>;
  readonly perplexity: Readonly<Record<Band, number>>;
}

/** Reconstruction and codebook statistics over a set, in inference mode, `chunk` series at a time. */
export function evaluateStage1(model: TimeVQVAE, data: SeriesBatchSource, chunk = 128): Stage1Evaluation {
  const { channels, length } = model.spec;
  const k = model.codebookSize;
  const counts = { lf: new Float64Array(k), hf: new Float64Array(k) };
  let squaredError = 0;
  let values = 0;
  for (let start = 0; start < data.count; start += chunk) {
    const rows = Array.from({ length: Math.min(chunk, data.count - start) }, (_, i) => start + i);
    const x = gatherRows(data.values, [channels, length], rows) as tf.Tensor3D;
    const tokens = model.encode(x);
    const sse = tf.tidy(() => tf.sum(tf.squaredDifference(model.decode(tokens), istft(stft(x), length))));
    squaredError += sse.dataSync()[0];
    values += rows.length * channels * length;
    for (const band of BANDS) {
      for (const id of tokens[band].dataSync()) counts[band][id] += 1;
    }
    tf.dispose([x, tokens.lf, tokens.hf, sse]);
  }
  const used = (c: Float64Array): number => c.filter((n) => n > 0).length;
  return {
    mse: squaredError / values,
    usage: { lf: used(counts.lf), hf: used(counts.hf) },
    perplexity: { lf: perplexity(counts.lf), hf: perplexity(counts.hf) },
  };
}
