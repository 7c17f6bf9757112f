import * as tf from '@tensorflow/tfjs-core';
import { istft, randomNormalTensor, stft } from '@maskgen/tensor';
import { measure } from '../measure';
import { type BenchSuite } from '../types';

/** [series, length]: one long-series and one many-short-series shape. */
const SHAPES: ReadonlyArray<readonly [number, number]> = [
  [32, 1024],
  [256, 128],
];

export const stftSuite: BenchSuite = {
  name: 'stft',
  description: 'ESS STFT (frame 8, hop 2) forward, round trip and gradient, series/s',
  run({ rng }) {
    const results = SHAPES.flatMap(([series, length]) => {
      // [B, C=1, L]
      const x = randomNormalTensor([series, 1, length], rng) as tf.Tensor3D;
      const grad = tf.grad((input: tf.Tensor) =>
        tf.sum(tf.square(istft(stft(input as tf.Tensor3D), length))),
      );
      const cases: Array<[string, () => tf.Tensor]> = [
        ['forward', () => stft(x)],
        ['stft+istft', () => tf.tidy(() => istft(stft(x), length))],
        ['stft+istft+grad', () => grad(x)],
      ];
      try {
        return cases.map(([label, fn]) => {
          const timing = measure(fn, { budgetMs: 1500 });
          return {
            case: `[${series},${length}] ${label}`,
            value: series / (timing.medianMs / 1000),
            unit: 'series/s',
            ...timing,
          };
        });
      } finally {
        x.dispose();
      }
    });
    return Promise.resolve(results);
  },
};
