import * as tf from '@tensorflow/tfjs-core';
import { type SeededRng } from '@maskgen/tensor';

/**
 * Endless stream of index batches over `count` items: each epoch is a fresh seeded shuffle cut into batches of
 * `batchSize` (the last one of an epoch may be shorter, as torch's DataLoader with drop_last=False). Given the
 * same rng key the sequence is identical. `startStep` skips that many batches without drawing them (each epoch's
 * order depends only on the key and the epoch), so a resumed training continues the same stream.
 */
export function* shuffledBatches(
  count: number,
  batchSize: number,
  rng: SeededRng,
  startStep = 0,
): Generator<number[]> {
  if (!Number.isInteger(count) || count <= 0)
    throw new RangeError(`need a positive item count, got ${count}`);
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`need a positive batch size, got ${batchSize}`);
  }
  if (!Number.isInteger(startStep) || startStep < 0) {
    throw new RangeError(`need a non-negative start step, got ${startStep}`);
  }
  const all = Array.from({ length: count }, (_, i) => i);
  const perEpoch = batchesPerEpoch(count, batchSize);
  let skip = startStep % perEpoch;
  for (let epoch = Math.floor(startStep / perEpoch); ; epoch++) {
    const order = rng.fork(`epoch-${epoch}`).shuffle(all);
    for (let start = skip * batchSize; start < count; start += batchSize) {
      yield order.slice(start, start + batchSize);
    }
    skip = 0;
  }
}

/** Batches per epoch for `count` items, counting a final partial batch. */
export function batchesPerEpoch(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

/** Rows `indices` of a row-major [N, rowSize] buffer as one tensor [indices.length, ...rowShape]. */
export function gatherRows(
  values: Float32Array,
  rowShape: readonly number[],
  indices: readonly number[],
): tf.Tensor {
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(indices.length * rowSize);
  indices.forEach((row, i) => {
    if (!Number.isInteger(row) || row < 0 || (row + 1) * rowSize > values.length) {
      throw new RangeError(`row ${row} is outside the ${values.length / rowSize} rows`);
    }
    out.set(values.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize);
  });
  return tf.tensor(out, [indices.length, ...rowShape], 'float32');
}
