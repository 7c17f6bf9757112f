import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { assertTensorMemoryHeadroom, initTensorBackend } from '@maskgen/tensor';
import { deserializePrior } from '../prior/model';
import { priorGradients } from '../prior/train';
import { TimeVQVAE } from '../stage1/model';
import { STAGE1_LOSS_KEYS } from '../stage1/train';
import { type StatUpdate, applyStatUpdates, discardStatUpdates } from '../training/layers';
import { gatherRows } from '../training/batching';
import { Collective } from './collective';
import { type ReplicaInit, type ReplicaRequest, type ReplicaResponse, type ReplicaShard } from './protocol';

/**
 * One replica of a data-parallel training (see ReplicaPool): its own tfjs instance and a copy of the model, whose
 * variables it loads from the shared state before each step. It writes its shard's gradient and weighted metrics
 * into its slots; rank 0 also writes the buffers (BatchNorm running statistics, EMA codebook) back, which every
 * replica updated identically from the cross-replica statistics.
 */
const port = parentPort;
if (port === null) throw new Error('replica-main runs only as a worker thread');

interface Replica {
  readonly init: ReplicaInit;
  readonly collective: Collective;
  /** Every variable by state name. */
  readonly variables: Readonly<Record<string, tf.Variable>>;
  readonly compute: (shard: ReplicaShard) => { grads: Record<string, tf.Tensor>; report: number[] };
}

let replica: Replica | null = null;

function reply(message: ReplicaResponse): void {
  port!.postMessage(message);
}

async function start(init: ReplicaInit): Promise<Replica> {
  await initTensorBackend(init.backend);
  const collective = new Collective(init.collective, init.replicas, init.rank, init.slotLength);
  const reduce = (local: ArrayLike<number>) => collective.allReduce(local);
  const { task } = init;
  if (task.kind === 'stage1') {
    const model = TimeVQVAE.deserialize(task.model);
    const { spec } = model;
    const params = model.store.params();
    const paramList = Object.values(params);
    const byTfName = new Map(Object.entries(params).map(([name, v]) => [v.name, name]));
    return {
      init,
      collective,
      variables: model.store.all(),
      compute: (shard) => {
        if (shard.kind !== 'stage1') throw new Error(`a stage-1 replica got a ${shard.kind} shard`);
        const x = gatherRows(task.values, [spec.channels, spec.length], shard.indices) as tf.Tensor3D;
        const updates: StatUpdate[] = [];
        let report: tf.Tensor | undefined;
        try {
          const { value, grads } = tf.variableGrads(() => {
            const out = model.forward(x, { training: true, updates, reduce });
            report = tf.keep(
              tf.concat([
                tf.mul(tf.stack(STAGE1_LOSS_KEYS.map((key) => out.losses[key])), shard.weight),
                out.counts.lf,
                out.counts.hf,
              ]),
            );
            return tf.mul(out.losses.total, shard.weight);
          }, paramList);
          value.dispose();
          applyStatUpdates(updates);
          const named: Record<string, tf.Tensor> = {};
          for (const [tfName, grad] of Object.entries(grads)) named[byTfName.get(tfName) ?? tfName] = grad;
          return { grads: named, report: Array.from((report as tf.Tensor).dataSync()) };
        } finally {
          discardStatUpdates(updates);
          report?.dispose();
          x.dispose();
        }
      },
    };
  }
  const { prior } = deserializePrior(task.model);
  return {
    init,
    collective,
    variables: prior.variables(),
    compute: (shard) => {
      if (shard.kind !== 'prior') throw new Error(`a prior replica got a ${shard.kind} shard`);
      const out = priorGradients(prior, shard.batch, shard.weight, shard.microBatch);
      return { grads: out.grads, report: [out.loss, out.lfLoss, out.hfLoss] };
    },
  };
}

function step(r: Replica, shard: ReplicaShard): void {
  const { init, variables } = r;
  const state = new Float32Array(init.state);
  const layout = [...init.layout.params, ...init.layout.buffers];
  let offset = 0;
  for (const [name, size] of layout) {
    const v = variables[name];
    const value = tf.tensor(state.slice(offset, offset + size), v.shape, 'float32');
    v.assign(value);
    value.dispose();
    offset += size;
  }
  const paramTotal = init.layout.params.reduce((n, [, size]) => n + size, 0);
  r.collective.startStep();
  const { grads, report } = r.compute(shard);
  // Each replica has its own wasm heap; one that filled up may have computed garbage (as on the coordinator).
  try {
    assertTensorMemoryHeadroom(`data-parallel replica ${init.rank}`);
  } catch (error) {
    tf.dispose(Object.values(grads));
    throw error;
  }
  try {
    const slot = new Float32Array(init.grads, init.rank * paramTotal * 4, paramTotal);
    offset = 0;
    for (const [name, size] of init.layout.params) {
      const grad = grads[name];
      // A parameter the loss does not reach has no gradient; the report's flag tells the coordinator to skip it,
      // as the optimiser does on one thread (every replica runs the same graph, so the flags agree).
      report.push(grad === undefined ? 0 : 1);
      if (grad === undefined) slot.fill(0, offset, offset + size);
      else slot.set(grad.dataSync<'float32'>(), offset);
      offset += size;
    }
  } finally {
    tf.dispose(Object.values(grads));
  }
  new Float64Array(init.report, init.rank * init.reportLength * 8, init.reportLength).set(report);
  if (init.rank === 0) {
    offset = paramTotal;
    for (const [name, size] of init.layout.buffers) {
      state.set(variables[name].dataSync<'float32'>(), offset);
      offset += size;
    }
  }
}

port.on('message', (request: ReplicaRequest) => {
  if (request.type === 'init') {
    start(request).then(
      (r) => {
        replica = r;
        reply({ type: 'ready' });
      },
      (error: unknown) => reply({ type: 'error', id: null, message: String(error) }),
    );
    return;
  }
  try {
    if (replica === null) throw new Error('replica not started');
    step(replica, request.shard);
    reply({ type: 'done', id: request.id });
  } catch (error) {
    reply({ type: 'error', id: request.id, message: error instanceof Error ? error.message : String(error) });
  }
});
