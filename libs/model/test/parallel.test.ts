import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRng, initTensorBackend, randomNormalTensor } from '@maskgen/tensor';
import {
  PRIOR_PAPER,
  type PriorBatch,
  type PriorShapes,
  ReplicaPool,
  STAGE1_LOSS_KEYS,
  STAGE1_PAPER_CONFIG,
  type Stage1Config,
  type StatUpdate,
  TimeVQVAE,
  TimeVqPrior,
  bufferVariables,
  discardStatUpdates,
  drawPriorBatch,
  gatherRows,
  priorGradients,
  serializePrior,
  slicePriorBatch,
  splitRows,
  trainStage1,
} from '@maskgen/model';
import { TINY_PRIOR_NETWORK } from './tiny-prior';

/**
 * Data-parallel training (issue #23): N replica threads and micro-batches must compute the step one thread computes
 * on the whole batch. Stage 1's BatchNorm and EMA codebook couple the rows of a batch, so this only holds with the
 * cross-replica statistics; the prior's rows are independent.
 */

const TOLERANCE = 1e-5;

const TINY: Stage1Config = {
  ...STAGE1_PAPER_CONFIG,
  hiddenDim: 8,
  residualUnits: 1,
  codebookSize: 8,
  epochs: 2,
  batchSize: 8,
};
const LENGTH = 64;
const COUNT = 12;

function series(seed: string): Float32Array {
  const rng = new SeededRng(seed);
  const values = new Float32Array(COUNT * LENGTH);
  for (let n = 0; n < COUNT; n++) {
    const phase = rng.uniform(0, 2 * Math.PI);
    const amp = rng.uniform(0.5, 2);
    for (let t = 0; t < LENGTH; t++) {
      values[n * LENGTH + t] = amp * Math.sin((2 * Math.PI * t) / 16 + phase) + 0.3 * rng.uniform(-1, 1);
    }
  }
  return values;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  }
  assert.ok(worst <= TOLERANCE, `${what}: differs by ${worst}`);
}

before(async () => {
  await initTensorBackend('wasm');
});

describe('stage 1 over replica threads', () => {
  const values = series('stage1-data');
  const rows = [3, 0, 7, 11, 5, 9, 1, 6];
  let model: TimeVQVAE;
  /** One thread, whole batch: the gradient by parameter name and each buffer's value after the step. */
  const reference = {
    grads: new Map<string, Float32Array>(),
    buffers: new Map<string, Float32Array>(),
    report: [] as number[],
  };

  before(() => {
    model = TimeVQVAE.create(TINY, { length: LENGTH, channels: 1 }, new SeededRng('stage1-model'));
    const params = model.store.params();
    const x = gatherRows(values, [1, LENGTH], rows) as tf.Tensor3D;
    const updates: StatUpdate[] = [];
    let report: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward(x, { training: true, updates });
      report = tf.keep(tf.stack(STAGE1_LOSS_KEYS.map((key) => out.losses[key])));
      return out.losses.total;
    }, Object.values(params));
    for (const [name, v] of Object.entries(params))
      reference.grads.set(name, grads[v.name].dataSync<'float32'>().slice());
    const byVariable = new Map(updates.map((u) => [u.variable, u.value]));
    for (const [name, v] of Object.entries(bufferVariables(model.store.all(), params))) {
      const next = byVariable.get(v);
      assert.ok(next !== undefined, `no update for ${name}`);
      reference.buffers.set(name, next.dataSync<'float32'>().slice());
    }
    reference.report = Array.from((report as tf.Tensor).dataSync());
    discardStatUpdates(updates);
    tf.dispose([x, value, report, ...Object.values(grads)]);
  });

  after(() => model.dispose());

  for (const replicas of [2, 3]) {
    test(`a step over ${replicas} replicas equals the one-thread step on the same batch (gradients, statistics, losses)`, async () => {
      const params = model.store.params();
      const buffers = bufferVariables(model.store.all(), params);
      const before = new Map(
        Object.entries(buffers).map(([name, v]) => [name, v.dataSync<'float32'>().slice()]),
      );
      const pool = await ReplicaPool.start({
        replicas,
        task: { kind: 'stage1', model: model.serialize(), values },
        params,
        buffers,
        reportLength: STAGE1_LOSS_KEYS.length + 2 * TINY.codebookSize,
      });
      try {
        const shards = splitRows(rows.length, replicas).map(([start, end]) => ({
          kind: 'stage1' as const,
          indices: rows.slice(start, end),
          weight: (end - start) / rows.length,
        }));
        const { grads, report } = await pool.step(shards);
        assert.deepEqual(Object.keys(grads).sort(), [...reference.grads.keys()].sort());
        for (const [name, expected] of reference.grads)
          assertClose(grads[name], expected, `gradient ${name}`);
        assertClose(report.slice(0, STAGE1_LOSS_KEYS.length), reference.report, 'losses');
        pool.loadBuffers();
        for (const [name, expected] of reference.buffers) {
          assertClose(buffers[name].dataSync(), expected, `buffer ${name}`);
        }
      } finally {
        await pool.close();
        // Put the model back as it was for the next case.
        for (const [name, v] of Object.entries(buffers))
          v.assign(tf.tensor(before.get(name) as Float32Array, v.shape));
      }
    });
  }

  test('a replica that fails mid-step fails the step and the pool, and close() still stops the replica left at a collective', async () => {
    const params = model.store.params();
    const pool = await ReplicaPool.start({
      replicas: 2,
      task: { kind: 'stage1', model: model.serialize(), values },
      params,
      buffers: bufferVariables(model.store.all(), params),
      reportLength: STAGE1_LOSS_KEYS.length + 2 * TINY.codebookSize,
    });
    try {
      // Replica 0 reaches the first BatchNorm all-reduce and waits there; replica 1 fails before it (bad row).
      const step = pool.step([
        { kind: 'stage1', indices: [0, 1], weight: 0.5 },
        { kind: 'stage1', indices: [COUNT + 5], weight: 0.5 },
      ]);
      await assert.rejects(step, /row 17 is outside/);
      await assert.rejects(pool.step([{ kind: 'stage1', indices: [0], weight: 1 }]), /replica step failed/);
    } finally {
      await pool.close();
    }
  });

  test('training with replicas: the same seed gives the same weights; micro-batches run as replicas', async () => {
    const train = async (parallel: { replicas?: number; microBatch?: number }): Promise<Float32Array[]> => {
      const m = TimeVQVAE.create(TINY, { length: LENGTH, channels: 1 }, new SeededRng('stage1-train'));
      try {
        const result = await trainStage1(
          m,
          { values, count: COUNT },
          { rng: new SeededRng('order'), parallel },
        );
        assert.equal(result.stopReason, 'completed');
        assert.ok(Number.isFinite(result.lastMetrics?.total), 'finite loss');
        return Object.values(m.store.all()).map((v) => v.dataSync<'float32'>().slice());
      } finally {
        m.dispose();
      }
    };
    const a = await train({ replicas: 2 });
    const b = await train({ replicas: 2 });
    assert.deepEqual(a, b);
    // A micro-batch of 4 rows on one core splits each batch of 8 over two replicas: the same computation.
    const c = await train({ replicas: 1, microBatch: 4 });
    assert.deepEqual(c, a);
  });

  test('a parallel training stops at a step boundary on abort, saves its state, and resumes to the same weights', async () => {
    const run = async (abortAt?: number, resumeFrom?: Uint8Array) => {
      const m = TimeVQVAE.create(TINY, { length: LENGTH, channels: 1 }, new SeededRng('stage1-resume'));
      const controller = new AbortController();
      let saved: Uint8Array | undefined;
      try {
        const result = await trainStage1(
          m,
          { values, count: COUNT },
          {
            rng: new SeededRng('order'),
            parallel: { replicas: 2 },
            signal: controller.signal,
            onProgress: (p) => {
              if (p.step === abortAt) controller.abort();
            },
            checkpoints: {
              everySteps: 100,
              resumeFrom,
              save: ({ bytes }) => {
                saved = bytes;
              },
            },
          },
        );
        return {
          result,
          saved,
          weights: Object.values(m.store.all()).map((v) => v.dataSync<'float32'>().slice()),
        };
      } finally {
        m.dispose();
      }
    };
    const whole = await run();
    assert.equal(whole.result.stepsDone, 4);
    const first = await run(2);
    assert.deepEqual([first.result.stopReason, first.result.stepsDone], ['aborted', 2]);
    assert.ok(first.saved, 'the abort saved a state');
    const second = await run(undefined, first.saved);
    assert.equal(second.result.stopReason, 'completed');
    assert.deepEqual(second.weights, whole.weights);
  });
});

describe('prior over replica threads and micro-batches', () => {
  const SHAPES: PriorShapes = {
    lfTokens: 15,
    hfTokens: 40,
    lfCodebookSize: 16,
    hfCodebookSize: 16,
    codeDim: 8,
    numClasses: 3,
  };
  let prior: TimeVqPrior;
  let batch: PriorBatch;
  let full: { grads: Record<string, Float32Array>; loss: number };

  before(() => {
    const rng = new SeededRng('prior');
    const lf = randomNormalTensor([16, 8], rng.fork('lf')) as tf.Tensor2D;
    const hf = randomNormalTensor([16, 8], rng.fork('hf')) as tf.Tensor2D;
    prior = new TimeVqPrior(SHAPES, TINY_PRIOR_NETWORK, { lf, hf }, rng.fork('init'));
    tf.dispose([lf, hf]);
    const count = 10;
    const lfLogits = randomNormalTensor([count, 15, 16], rng.fork('lfl')) as tf.Tensor3D;
    const hfLogits = randomNormalTensor([count, 40, 16], rng.fork('hfl')) as tf.Tensor3D;
    const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
    batch = drawPriorBatch(
      prior,
      { lfLogits, hfLogits, labels },
      [4, 1, 8, 0, 9, 2, 7, 3],
      PRIOR_PAPER.training,
      0.2,
      rng.fork('batch'),
    );
    tf.dispose([lfLogits, hfLogits]);
    const out = priorGradients(prior, batch, 1, batch.size);
    full = {
      grads: Object.fromEntries(
        Object.entries(out.grads).map(([k, g]) => [k, g.dataSync<'float32'>().slice()]),
      ),
      loss: out.loss,
    };
    tf.dispose(Object.values(out.grads));
  });

  after(() => prior.dispose());

  test('the gradient accumulated over micro-batches equals the full-batch gradient', () => {
    for (const microBatch of [3, 4, 1]) {
      const out = priorGradients(prior, batch, 1, microBatch);
      try {
        assert.deepEqual(Object.keys(out.grads).sort(), Object.keys(full.grads).sort());
        for (const [name, g] of Object.entries(out.grads))
          assertClose(g.dataSync(), full.grads[name], `${microBatch}: ${name}`);
        assertClose([out.loss], [full.loss], `${microBatch}: loss`);
      } finally {
        tf.dispose(Object.values(out.grads));
      }
    }
  });

  test('a step over 2 replicas (with micro-batches) equals the one-thread step on the same batch', async () => {
    const pool = await ReplicaPool.start({
      replicas: 2,
      task: { kind: 'prior', model: serializePrior(prior) },
      params: prior.variables(),
      buffers: {},
      reportLength: 3,
    });
    try {
      const shards = splitRows(batch.size, 2).map(([start, end]) => ({
        kind: 'prior' as const,
        batch: slicePriorBatch(batch, start, end),
        weight: (end - start) / batch.size,
        microBatch: 3,
      }));
      const { grads, report } = await pool.step(shards);
      assert.deepEqual(Object.keys(grads).sort(), Object.keys(full.grads).sort());
      for (const [name, g] of Object.entries(grads)) assertClose(g, full.grads[name], name);
      assertClose([report[0]], [full.loss], 'loss');
    } finally {
      await pool.close();
    }
  });
});
