import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { type TensorBackendKind } from '@maskgen/tensor';
import { Collective, collectiveBytes } from './collective';
import {
  type ReplicaRequest,
  type ReplicaResponse,
  type ReplicaShard,
  type ReplicaTask,
  type StateLayout,
} from './protocol';

/** Largest vector one collective carries: the EMA codebook's counts and sums (K + K·d) are the biggest. */
const DEFAULT_SLOT_LENGTH = 1 << 16;

export interface ReplicaPoolOptions {
  readonly replicas: number;
  readonly task: ReplicaTask;
  /** The coordinator's variables: the optimiser updates `params`; `buffers` (running statistics) come back from rank 0. */
  readonly params: Readonly<Record<string, tf.Variable>>;
  readonly buffers: Readonly<Record<string, tf.Variable>>;
  /** Length of a replica's metrics vector (the replicas append one has-gradient flag per parameter to it). */
  readonly reportLength: number;
}

export interface ReplicaStepResult {
  /**
   * Sum over the replicas of each parameter's gradient (of the weighted losses), by parameter name; a parameter the
   * loss does not reach has none.
   */
  readonly grads: Record<string, Float32Array>;
  /** Sum of the replicas' weighted reports. */
  readonly report: Float64Array;
}

/** tfjs's backend name → the kind `initTensorBackend` takes, so replicas compute on the coordinator's backend. */
function backendKind(): TensorBackendKind {
  const name = tf.getBackend();
  if (name === 'wasm' || name === 'cpu') return name;
  throw new Error(`data-parallel training runs on the wasm and cpu backends, not on '${name}'`);
}

/**
 * Data-parallel training over `worker_threads` replicas, each with its own tfjs instance (wasm is single-threaded
 * in Node, so one thread per core is how training uses more than one). The coordinating thread keeps the model
 * and the optimiser: per step it publishes the variables in a SharedArrayBuffer, each replica computes the gradient
 * of its shard's weighted loss (with cross-replica BatchNorm and EMA statistics, see `ForwardMode.reduce`), and the
 * coordinator sums the gradients in replica order and applies one update. The same seed therefore gives the same
 * result for a given replica count, checkpoints hold the coordinator's variables as before, and the coordinator's
 * event loop stays free while a step runs.
 */
export class ReplicaPool {
  private readonly workers: Worker[] = [];
  private readonly state: Float32Array;
  private readonly grads: Float32Array;
  private readonly reports: Float64Array;
  private readonly collective: SharedArrayBuffer;
  private readonly paramEntries: Array<readonly [string, tf.Variable]>;
  private readonly bufferEntries: Array<readonly [string, tf.Variable]>;
  private readonly paramTotal: number;
  /** Report length plus the has-gradient flags. */
  private readonly reportWidth: number;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;

  private constructor(private readonly options: ReplicaPoolOptions) {
    const { replicas, reportLength } = options;
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new RangeError(`replicas must be a positive integer, got ${replicas}`);
    }
    this.paramEntries = Object.entries(options.params);
    this.bufferEntries = Object.entries(options.buffers);
    for (const [name, v] of [...this.paramEntries, ...this.bufferEntries]) {
      if (v.dtype !== 'float32')
        throw new Error(`data-parallel training: '${name}' is ${v.dtype}, not float32`);
    }
    this.paramTotal = this.paramEntries.reduce((n, [, v]) => n + v.size, 0);
    const stateTotal = this.paramTotal + this.bufferEntries.reduce((n, [, v]) => n + v.size, 0);
    this.state = new Float32Array(new SharedArrayBuffer(stateTotal * 4));
    this.grads = new Float32Array(new SharedArrayBuffer(replicas * this.paramTotal * 4));
    this.reportWidth = reportLength + this.paramEntries.length;
    this.reports = new Float64Array(new SharedArrayBuffer(replicas * this.reportWidth * 8));
    this.collective = new SharedArrayBuffer(collectiveBytes(replicas, DEFAULT_SLOT_LENGTH));
  }

  get replicas(): number {
    return this.options.replicas;
  }

  /** Starts the replicas and waits until each has built its model. */
  static async start(options: ReplicaPoolOptions): Promise<ReplicaPool> {
    const pool = new ReplicaPool(options);
    try {
      await pool.boot();
      return pool;
    } catch (error) {
      await pool.close();
      throw error;
    }
  }

  /**
   * One step: `shards[r]` goes to replica r (at most `replicas` shards, none empty). Resolves once every replica's
   * gradient is in; the caller applies the update (`grads`) and then `loadBuffers()`.
   */
  async step(shards: readonly ReplicaShard[]): Promise<ReplicaStepResult> {
    if (this.failure !== null) throw this.failure;
    const n = shards.length;
    if (n < 1 || n > this.replicas) throw new RangeError(`a step needs 1..${this.replicas} shards, got ${n}`);
    this.publishState();
    Collective.setParticipants(this.collective, n);
    await Promise.all(shards.map((shard, rank) => this.request(rank, shard)));
    const length = this.options.reportLength;
    const width = this.reportWidth;
    const report = new Float64Array(width);
    for (let r = 0; r < n; r++) {
      const slot = this.reports.subarray(r * width, (r + 1) * width);
      for (let i = 0; i < width; i++) report[i] += slot[i];
    }
    const grads: Record<string, Float32Array> = {};
    let offset = 0;
    for (const [index, [name, v]] of this.paramEntries.entries()) {
      if (report[length + index] === 0) {
        offset += v.size;
        continue;
      }
      const sum = new Float64Array(v.size);
      for (let r = 0; r < n; r++) {
        const slot = this.grads.subarray(r * this.paramTotal + offset, r * this.paramTotal + offset + v.size);
        for (let i = 0; i < v.size; i++) sum[i] += slot[i];
      }
      grads[name] = Float32Array.from(sum);
      offset += v.size;
    }
    return { grads, report: report.slice(0, length) };
  }

  /** Copies the buffers (running statistics, EMA codebooks) rank 0 wrote after the last step into the coordinator's. */
  loadBuffers(): void {
    let offset = this.paramTotal;
    for (const [, v] of this.bufferEntries) {
      const value = tf.tensor(this.state.slice(offset, offset + v.size), v.shape, 'float32');
      v.assign(value);
      value.dispose();
      offset += v.size;
    }
  }

  /** Stops the replicas; a step in flight fails. */
  async close(): Promise<void> {
    this.fail(new Error('the replica pool is closed'));
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }

  private publishState(): void {
    let offset = 0;
    for (const [, v] of [...this.paramEntries, ...this.bufferEntries]) {
      this.state.set(v.dataSync<'float32'>(), offset);
      offset += v.size;
    }
  }

  private async boot(): Promise<void> {
    const layout: StateLayout = {
      params: this.paramEntries.map(([name, v]) => [name, v.size] as const),
      buffers: this.bufferEntries.map(([name, v]) => [name, v.size] as const),
    };
    const backend = backendKind();
    const ready: Array<Promise<void>> = [];
    for (let rank = 0; rank < this.replicas; rank++) {
      // Same extension as this file: .ts under @swc-node/register (inherited through execArgv), .js when built.
      const worker = new Worker(path.join(__dirname, `replica-main${path.extname(__filename)}`));
      this.workers.push(worker);
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.once('message', (m: ReplicaResponse) => {
            if (m.type === 'ready') resolve();
            else
              reject(
                new Error(`replica ${rank} failed to start: ${m.type === 'error' ? m.message : m.type}`),
              );
            worker.on('message', (r: ReplicaResponse) => this.onResponse(r));
          });
          worker.once('error', reject);
          // A replica that exits before it is ready (resolve or reject first wins) must not leave the start hanging.
          worker.once('exit', (code) =>
            reject(new Error(`replica ${rank} exited with code ${code} while starting`)),
          );
        }),
      );
      worker.on('error', (error) => this.fail(new Error(`replica ${rank} failed: ${error.message}`)));
      worker.on('exit', (code) => {
        if (this.workers.includes(worker)) this.fail(new Error(`replica ${rank} exited with code ${code}`));
      });
      const init: ReplicaRequest = {
        type: 'init',
        rank,
        replicas: this.replicas,
        backend,
        collective: this.collective,
        slotLength: DEFAULT_SLOT_LENGTH,
        state: this.state.buffer as SharedArrayBuffer,
        grads: this.grads.buffer as SharedArrayBuffer,
        report: this.reports.buffer as SharedArrayBuffer,
        reportLength: this.reportWidth,
        layout,
        task: this.options.task,
      };
      worker.postMessage(init);
    }
    await Promise.all(ready);
  }

  private request(rank: number, shard: ReplicaShard): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: ReplicaRequest = { type: 'step', id, shard };
      this.workers[rank].postMessage(request);
    });
  }

  private onResponse(response: ReplicaResponse): void {
    if (response.type === 'ready') return;
    if (response.type === 'error' && response.id === null) {
      this.fail(new Error(`replica failed: ${response.message}`));
      return;
    }
    const waiter = this.pending.get(response.id as number);
    if (waiter === undefined) return;
    this.pending.delete(response.id as number);
    if (response.type === 'done') {
      waiter.resolve();
    } else {
      const error = new Error(`replica step failed: ${response.message}`);
      // The other replicas may be waiting for this one at a collective: release them, the pool is unusable now.
      this.fail(error);
      waiter.reject(error);
    }
  }

  private fail(error: Error): void {
    if (this.failure === null) this.failure = error;
    Collective.abort(this.collective);
    for (const waiter of this.pending.values()) waiter.reject(this.failure);
    this.pending.clear();
  }
}

/** How a training spreads its steps: over how many replica threads, and at most how many rows per pass. */
export interface TrainParallelism {
  /** Replica threads (cores to use); 1 (the default) runs every step on the calling thread. */
  readonly replicas?: number;
  /** Most rows one forward/backward pass takes (the batch is split further to stay within the wasm heap). */
  readonly microBatch?: number;
}

/** tfjs backends that compute on one thread with a bounded heap: the ones replicas help. */
const SINGLE_THREADED_BACKENDS = ['wasm', 'cpu'];

/**
 * Replicas for a batch: the cores given, or more when the micro-batch cap splits the batch into more parts. On a
 * native backend (tfjs-node, -gpu: libtensorflow already uses every core or the GPU, and has no 4 GiB heap) it is 1.
 */
export function replicaCount(parallel: TrainParallelism | undefined, batchSize: number): number {
  const replicas = parallel?.replicas ?? 1;
  const microBatch = parallel?.microBatch ?? batchSize;
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new RangeError(`replicas must be a positive integer, got ${replicas}`);
  }
  if (!Number.isInteger(microBatch) || microBatch < 1) {
    throw new RangeError(`microBatch must be a positive integer, got ${microBatch}`);
  }
  if (!SINGLE_THREADED_BACKENDS.includes(tf.getBackend())) return 1;
  return Math.max(replicas, Math.ceil(batchSize / microBatch));
}

/** [start, end) row ranges of `rows` rows over at most `parts` replicas, as even as possible, none empty. */
export function splitRows(rows: number, parts: number): Array<readonly [number, number]> {
  const n = Math.min(rows, parts);
  const out: Array<readonly [number, number]> = [];
  for (let i = 0; i < n; i++) {
    out.push([Math.floor((i * rows) / n), Math.floor(((i + 1) * rows) / n)]);
  }
  return out;
}

/** The buffers of a model: every variable that is not a trainable parameter. */
export function bufferVariables(
  all: Readonly<Record<string, tf.Variable>>,
  params: Readonly<Record<string, tf.Variable>>,
): Record<string, tf.Variable> {
  return Object.fromEntries(Object.entries(all).filter(([name]) => !(name in params)));
}

/** One optimiser update from host gradients (a pool step's sum). */
export function applyHostGradients(
  optimizer: { apply(grads: Readonly<Record<string, tf.Tensor>>, learningRate: number): void },
  params: Readonly<Record<string, tf.Variable>>,
  grads: Readonly<Record<string, Float32Array>>,
  learningRate: number,
): void {
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, values] of Object.entries(grads)) {
    tensors[name] = tf.tensor(values, params[name].shape, 'float32');
  }
  try {
    optimizer.apply(tensors, learningRate);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
