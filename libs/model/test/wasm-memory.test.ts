import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  SeededRng,
  TensorMemoryExhaustedError,
  initTensorBackend,
  randomNormalTensor,
  wasmHeapBytes,
} from '@maskgen/tensor';
import { STAGE1_PAPER_CONFIG, TimeVQVAE, trainStage1 } from '@maskgen/model';

before(async () => {
  await initTensorBackend('wasm');
});

/**
 * A paper-profile stage-1 step at batch 128 needs more than the wasm heap's 4 GiB (~32 MiB per series of length 150,
 * measured). XNNPACK then fails to create its convolutions with only a printed warning, and the step returns garbage
 * or aborts the process. The training loop must stop at that step with a clear error instead.
 */
test('a stage-1 step that fills the 4 GiB wasm heap stops training with TensorMemoryExhaustedError', async () => {
  const rng = new SeededRng(7);
  const batch = 128;
  const model = TimeVQVAE.create(
    { ...STAGE1_PAPER_CONFIG, batchSize: batch, epochs: 3, maxSteps: 3 },
    { length: 150, channels: 1 },
    rng.fork('model'),
  );
  const source = randomNormalTensor([batch, 1, 150], rng.fork('data'));
  const data = { values: source.dataSync<'float32'>().slice(), count: batch };
  source.dispose();
  const steps: number[] = [];
  try {
    await assert.rejects(
      trainStage1(model, data, { rng: rng.fork('train'), onProgress: (p) => void steps.push(p.step) }),
      (error: unknown) => {
        assert.ok(error instanceof TensorMemoryExhaustedError, String(error));
        assert.match(
          error.message,
          /stage-1 training \(batch 128, length 150\), step 1 filled the wasm backend's 4 GiB heap/,
        );
        return true;
      },
    );
    assert.deepEqual(steps, [], 'no progress is reported for the step that filled the heap');
    assert.ok((wasmHeapBytes() ?? 0) >= 4 * 2 ** 30 - 64 * 2 ** 20);
  } finally {
    model.dispose();
  }
  assert.equal(tf.memory().numTensors, 0, 'the failed step left no tensors behind');
});
