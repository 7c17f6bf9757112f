import * as path from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { type SessionOptions } from './onnx-runtime';
import { type OrtRequest, type OrtResponse, type WireTensor } from './ort-thread-protocol';

type Pending = {
  resolve: (outputs: Readonly<Record<string, WireTensor>>) => void;
  reject: (e: Error) => void;
};

// Distributive Omit, so each request kind keeps its own fields.
type RequestBody = OrtRequest extends infer R ? (R extends OrtRequest ? Omit<R, 'id'> : never) : never;

/**
 * Client of the inference thread (ort-thread-main): one worker thread per process holds the ONNX Runtime sessions,
 * requests and results cross by message with their buffers transferred. Started on first use.
 */
export class OrtThread {
  private worker: Worker | null = null;
  private failure: Error | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextSession = 1;

  /** @param shutdownGraceMs how long close() waits for a running native pass before terminating the thread */
  constructor(private readonly shutdownGraceMs = 60_000) {}

  async createSession(graph: Uint8Array, options: SessionOptions): Promise<number> {
    const session = this.nextSession++;
    // A copy of exactly the graph: protobufjs returns a Node Buffer, whose slice() is a view into a shared pool.
    const copy = new Uint8Array(graph.byteLength);
    copy.set(graph);
    await this.request({ type: 'create', session, graph: copy.buffer, options }, [copy.buffer]);
    return session;
  }

  /** Runs a session. The feeds' buffers are transferred: the caller must not use them afterwards. */
  run(
    session: number,
    feeds: Readonly<Record<string, WireTensor>>,
    fetches: readonly string[],
  ): Promise<Readonly<Record<string, WireTensor>>> {
    // Feeds are the caller's own copies (see the runners), so their buffers move instead of being cloned.
    const transfer = Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer);
    return this.request({ type: 'run', session, feeds, fetches }, transfer);
  }

  async release(session: number): Promise<void> {
    if (this.worker === null) return;
    await this.request({ type: 'release', session });
  }

  /**
   * Stops the thread; pending and later requests fail at once. The thread itself finishes the native run it is in
   * and then exits (see ort-thread-main's shutdown); it is terminated only if that takes longer than the grace.
   */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failure = new Error('the inference engine is closed');
    for (const waiter of this.pending.values()) waiter.reject(this.failure);
    this.pending.clear();
    if (worker === null) return;
    const exited = once(worker, 'exit');
    worker.ref(); // a caller awaiting close() keeps the process alive until the thread is gone
    worker.postMessage({ type: 'shutdown', id: this.nextId++ } satisfies OrtRequest);
    const grace = setTimeout(() => void worker.terminate(), this.shutdownGraceMs);
    try {
      await exited;
    } finally {
      clearTimeout(grace);
    }
  }

  private start(): Worker {
    if (this.failure !== null) throw this.failure;
    if (this.worker !== null) return this.worker;
    // Same extension as this file: .ts under @swc-node/register (inherited through execArgv), .js when built.
    const worker = new Worker(path.join(__dirname, `ort-thread-main${path.extname(__filename)}`));
    worker.unref();
    worker.on('message', (response: OrtResponse) => {
      const waiter = this.pending.get(response.id);
      if (waiter === undefined) return;
      this.pending.delete(response.id);
      if (this.pending.size === 0) worker.unref();
      if (response.ok) waiter.resolve(response.outputs);
      else waiter.reject(new Error(`ONNX Runtime: ${response.error}`));
    });
    const fail = (error: Error) => {
      this.failure = error;
      this.worker = null;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', (error) => fail(new Error(`inference thread failed: ${error.message}`)));
    worker.on('exit', (code) => {
      if (this.worker === worker) fail(new Error(`inference thread exited with code ${code}`));
    });
    this.worker = worker;
    return worker;
  }

  private request(
    body: RequestBody,
    transfer: ArrayBuffer[] = [],
  ): Promise<Readonly<Record<string, WireTensor>>> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // While a request is out the thread keeps the process alive; idle, it does not.
      worker.ref();
      worker.postMessage({ ...body, id }, transfer);
    });
  }
}
