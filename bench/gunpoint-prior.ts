import type * as tf from '@tensorflow/tfjs-core';
import { GUNPOINT_PRIOR_SHAPES } from '@maskgen/model';
import { randomNormalTensor, type SeededRng } from '@maskgen/tensor';

/** GunPoint's token grids (ess.md §8.2), the shapes the sampling suites time. */
export { GUNPOINT_PRIOR_SHAPES };

/** Random LF and HF codebooks of those shapes (the suites keep the weights random). */
export function randomGunPointCodebooks(rng: SeededRng): { lf: tf.Tensor2D; hf: tf.Tensor2D } {
  const { lfCodebookSize, hfCodebookSize, codeDim } = GUNPOINT_PRIOR_SHAPES;
  return {
    lf: randomNormalTensor([lfCodebookSize, codeDim], rng.fork('lf')) as tf.Tensor2D,
    hf: randomNormalTensor([hfCodebookSize, codeDim], rng.fork('hf')) as tf.Tensor2D,
  };
}
