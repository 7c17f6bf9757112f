import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';

/** The onnxruntime-node module, typed. */
export type OnnxRuntime = typeof Ort;
export type OrtSession = Ort.InferenceSession;
export type OrtTensor = Ort.Tensor;

// onnxruntime-node is loaded on demand: a worker without it (or with a broken native binary) falls back to tfjs.
const optionalRequire = createRequire(__filename);

/** Loads onnxruntime-node, or returns why it cannot be loaded. */
export function loadOnnxRuntime(
  require: (id: string) => unknown = optionalRequire,
): { ort: OnnxRuntime } | { error: string } {
  try {
    const ort = require('onnxruntime-node') as OnnxRuntime;
    if (typeof ort.InferenceSession?.create !== 'function')
      return { error: 'onnxruntime-node has no InferenceSession' };
    return { ort };
  } catch (error) {
    return { error: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}

export type ExecutionDevice = 'cpu' | 'cuda';

/**
 * `auto`: CUDA when the CUDA execution provider is installed next to onnxruntime-node's binding (the GPU image
 * installs it with ONNXRUNTIME_NODE_INSTALL=cuda12) and an NVIDIA device node exists; CPU otherwise.
 */
export function detectDevice(
  ort: OnnxRuntime | null,
  exists: (file: string) => boolean = existsSync,
  require: NodeJS.Require = optionalRequire,
): ExecutionDevice {
  if (ort === null || !exists('/dev/nvidiactl')) return 'cpu';
  try {
    const binding = require.resolve('onnxruntime-node/package.json');
    const dir = path.join(path.dirname(binding), 'bin', `napi-v6`, process.platform, process.arch);
    return exists(path.join(dir, 'libonnxruntime_providers_cuda.so')) ? 'cuda' : 'cpu';
  } catch {
    return 'cpu';
  }
}

export interface SessionOptions {
  /** Intra-op threads (the worker's cores by default). */
  readonly threads: number;
  readonly device: ExecutionDevice;
}

/** One InferenceSession over serialized graph bytes, with every optimisation on. */
export async function createSession(
  ort: OnnxRuntime,
  graph: Uint8Array,
  options: SessionOptions,
): Promise<OrtSession> {
  return ort.InferenceSession.create(graph, {
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    executionProviders: options.device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
  });
}

/** int64 [..] (ArgMax output) → Int32Array; ids are small. */
export function int64ToInt32(data: BigInt64Array): Int32Array {
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}
