import * as os from 'node:os';
import type { EngineProvenance } from '@maskgen/contracts';
import { type FcnClassifier } from '@maskgen/metrics';
import {
  type InferenceEngineName,
  type PriorRunner,
  type TimeVqPrior,
  tfjsPriorRunner,
} from '@maskgen/model';
import { type ExecutionDevice, type OnnxRuntime, detectDevice, loadOnnxRuntime } from './onnx-runtime';
import { type PreparedFeaturizer, createOrtFeaturizer } from './ort-fcn';
import { createOrtPriorRunner } from './ort-prior';
import { OrtThread } from './ort-thread';

/** A prior ready for sampling on one engine; `dispose` frees the engine's copy (not the tfjs prior). */
export interface PreparedPrior extends PriorRunner {
  /** SHA-256 of the exported graphs (ort), or null (tfjs runs the checkpoint's variables directly). */
  readonly graphHash: string | null;
  dispose(): Promise<void>;
}

/** The engine as the worker logs it: what a run records (less the per-model graph hash), and why it fell back. */
export interface InferenceEngineInfo extends Omit<EngineProvenance, 'graphHash'> {
  /** Why the preferred engine was not used, or null. */
  readonly fallbackReason: string | null;
}

/**
 * The one inference seam: the networks that sampling and the critic run go through an engine. `ort` (ONNX Runtime,
 * native, multi-threaded) exports each network from its trained tfjs weights; `tfjs` runs today's code and is the
 * reference in tests. Training stays on tfjs.
 */
export interface InferenceEngine {
  readonly info: InferenceEngineInfo;
  preparePrior(prior: TimeVqPrior): Promise<PreparedPrior>;
  /** The evaluation FCN's feature/probability pass. */
  prepareClassifier(fcn: FcnClassifier): Promise<PreparedFeaturizer>;
  /** Stops the engine's inference thread (ort); prepared priors stop working. */
  close(): Promise<void>;
}

export class InferenceEngineUnavailableError extends Error {
  constructor(reason: string) {
    super(`INFERENCE_ENGINE=ort but onnxruntime-node cannot be loaded: ${reason}`);
    this.name = 'InferenceEngineUnavailableError';
  }
}

export interface InferenceEngineOptions {
  /** `ort` or `tfjs`; `auto` is ort where onnxruntime-node loads, else tfjs (with a warning). */
  readonly preference: InferenceEngineName | 'auto';
  /** ORT intra-op threads; default: the machine's available parallelism. */
  readonly threads?: number;
  /** `cuda` selects ORT's CUDA execution provider (needs the cuda12 install); `auto` (default) detects it. */
  readonly device?: ExecutionDevice | 'auto';
  /** Called once when `auto` falls back to tfjs. */
  readonly warn?: (message: string) => void;
  /** For tests: how onnxruntime-node is required. */
  readonly require?: (id: string) => unknown;
}

function tfjsEngine(fallbackReason: string | null): InferenceEngine {
  return {
    // tfjs wasm computes on one thread in Node (tfjs.md §1).
    info: { engine: 'tfjs', threads: 1, device: 'cpu', version: null, fallbackReason },
    preparePrior: (prior) =>
      Promise.resolve({ ...tfjsPriorRunner(prior), graphHash: null, dispose: () => Promise.resolve() }),
    prepareClassifier: (fcn) =>
      Promise.resolve({
        spec: fcn.spec,
        featureDim: fcn.featureDim,
        inferAsync: (values, rows) => fcn.inferAsync(values, rows),
        dispose: () => Promise.resolve(),
      }),
    close: () => Promise.resolve(),
  };
}

function ortEngine(ort: OnnxRuntime, threads: number, device: ExecutionDevice): InferenceEngine {
  const thread = new OrtThread();
  return {
    info: { engine: 'ort', threads, device, version: ort.env.versions?.node ?? null, fallbackReason: null },
    preparePrior: (prior) => createOrtPriorRunner(thread, prior, { threads, device }),
    prepareClassifier: (fcn) => createOrtFeaturizer(thread, fcn, { threads, device }),
    close: () => thread.close(),
  };
}

/** Chooses the engine once per process (workers log the result at start). */
export function createInferenceEngine(options: InferenceEngineOptions): InferenceEngine {
  const threads = options.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`inference threads must be ≥ 1, got ${threads}`);
  if (options.preference === 'tfjs') return tfjsEngine(null);
  const loaded = loadOnnxRuntime(options.require);
  if ('ort' in loaded) {
    const device =
      options.device === undefined || options.device === 'auto' ? detectDevice(loaded.ort) : options.device;
    return ortEngine(loaded.ort, threads, device);
  }
  if (options.preference === 'ort') throw new InferenceEngineUnavailableError(loaded.error);
  const reason = `onnxruntime-node cannot be loaded (${loaded.error})`;
  options.warn?.(`inference falls back to tfjs: ${reason}`);
  return tfjsEngine(reason);
}
