import * as tf from '@tensorflow/tfjs-core';
import { type Stage1ForPrior } from '../prior/stage1';
import { type NaiveSamples } from './naive';

/** Generated series, one Float32Array [C·L'] (channel-major) per sample, in scaled units. */
export interface DecodedSeries {
  readonly channels: number;
  readonly length: number;
  readonly values: Float32Array[];
}

/** Decodes final LF and HF ids through the stage-1 decoders, x = x̂_l + x̂_h (ess.md §5.5 step 5), in chunks. */
export async function decodeSamples(
  stage1: Stage1ForPrior,
  samples: Pick<NaiveSamples, 'lf' | 'hf'>,
  chunkSize = 64,
  signal?: AbortSignal,
): Promise<DecodedSeries> {
  const { lf, hf } = samples;
  const values: Float32Array[] = [];
  let channels = 0;
  let length = 0;
  for (let start = 0; start < lf.batch; start += chunkSize) {
    signal?.throwIfAborted();
    const b = Math.min(chunkSize, lf.batch - start);
    const x = tf.tidy(() =>
      stage1.decode({
        lf: tf.tensor2d(lf.ids.subarray(start * lf.tokens, (start + b) * lf.tokens), [b, lf.tokens], 'int32'),
        hf: tf.tensor2d(hf.ids.subarray(start * hf.tokens, (start + b) * hf.tokens), [b, hf.tokens], 'int32'),
      }),
    ); // [b, C, L']
    [, channels, length] = x.shape;
    const flat = x.dataSync() as Float32Array;
    x.dispose();
    for (let i = 0; i < b; i++) values.push(flat.slice(i * channels * length, (i + 1) * channels * length));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { channels, length, values };
}
