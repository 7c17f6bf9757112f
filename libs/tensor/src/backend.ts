import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
// Side-effect imports: register the wasm and cpu kernels, and (via tfjs-layers) the gradient functions,
// which the CommonJS build of tfjs-core alone does not register (tfjs.md §1).
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';

export type TensorBackendPreference = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';
export type TensorBackendKind = Exclude<TensorBackendPreference, 'auto'>;

export interface TensorBackendInfo {
  /** Which implementation was chosen. */
  readonly backend: TensorBackendKind;
  /** Name registered with tfjs (`tensorflow` for both native packages). */
  readonly tfBackendName: string;
  /** Threads the backend computes with (wasm in Node: always 1, see tfjs.md §1). */
  readonly threads: number;
  /** Whether wasm runs its SIMD build; null where the question does not apply (native, cpu). */
  readonly simd: boolean | null;
}

export interface TensorBackendLogger {
  log(message: string, context?: Record<string, unknown>): void;
}

export class TensorBackendUnavailableError extends Error {
  constructor(
    readonly backend: TensorBackendKind,
    reason: string,
  ) {
    super(`Tensor backend '${backend}' is unavailable: ${reason}`);
    this.name = 'TensorBackendUnavailableError';
  }
}

const NATIVE_PACKAGES = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
} as const;

// The native packages are optional and not installed in most environments; a computed require keeps
// TypeScript and bundlers from resolving them at build time.
const optionalRequire = createRequire(__filename);

interface Selection {
  readonly info: TensorBackendInfo;
  /** Why 'auto' passed over the preferred backends. */
  readonly skipped: readonly string[];
}

let current: { preference: TensorBackendPreference; selection: Promise<Selection> } | undefined;

/**
 * Selects and initialises the tfjs backend. Calling it again with the same preference returns the same
 * result without re-initialising; a different preference switches backend.
 */
export async function initTensorBackend(
  preference: TensorBackendPreference,
  logger?: TensorBackendLogger,
): Promise<TensorBackendInfo> {
  if (current?.preference === preference) {
    const { info } = await current.selection;
    if (tf.getBackend() === info.tfBackendName) return info;
  }
  const selection = selectBackend(preference);
  current = { preference, selection };
  try {
    const { info: selected, skipped } = await selection;
    logger?.log(`tensor backend: ${selected.backend}`, {
      preference,
      backend: selected.backend,
      threads: selected.threads,
      simd: selected.simd,
      ...(skipped.length > 0 ? { skipped } : {}),
    });
    return selected;
  } catch (error) {
    if (current?.selection === selection) current = undefined;
    throw error;
  }
}

async function selectBackend(preference: TensorBackendPreference): Promise<Selection> {
  if (preference !== 'auto') return { info: await activate(preference), skipped: [] };
  const failures: string[] = [];
  for (const kind of ['node-gpu', 'node', 'wasm', 'cpu'] as const) {
    try {
      return { info: await activate(kind), skipped: failures };
    } catch (error) {
      failures.push(`${kind}: ${errorMessage(error)}`);
    }
  }
  throw new Error(`No tensor backend could be initialised (${failures.join('; ')})`);
}

async function activate(kind: TensorBackendKind): Promise<TensorBackendInfo> {
  switch (kind) {
    case 'node-gpu':
    case 'node':
      return activateNative(kind);
    case 'wasm': {
      await setBackendOrThrow(kind, 'wasm');
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      return { backend: kind, tfBackendName: 'wasm', threads: getThreadsCount(), simd: simd === true };
    }
    case 'cpu':
      await setBackendOrThrow(kind, 'cpu');
      // The cpu backend is plain single-threaded JavaScript.
      return { backend: kind, tfBackendName: 'cpu', threads: 1, simd: null };
  }
}

async function activateNative(kind: 'node' | 'node-gpu'): Promise<TensorBackendInfo> {
  const pkg = NATIVE_PACKAGES[kind];
  try {
    optionalRequire(pkg);
  } catch (error) {
    throw new TensorBackendUnavailableError(kind, `cannot load ${pkg} (${errorMessage(error)})`);
  }
  await setBackendOrThrow(kind, 'tensorflow');
  // libtensorflow sizes its intra-op thread pool to the machine's cores by default.
  return { backend: kind, tfBackendName: 'tensorflow', threads: os.availableParallelism(), simd: null };
}

async function setBackendOrThrow(kind: TensorBackendKind, name: string): Promise<void> {
  if (tf.findBackendFactory(name) === null) {
    throw new TensorBackendUnavailableError(kind, `tfjs backend '${name}' is not registered`);
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    throw new TensorBackendUnavailableError(kind, errorMessage(error));
  }
  if (!ok) throw new TensorBackendUnavailableError(kind, `tfjs backend '${name}' failed to initialise`);
  await tf.ready();
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/**
 * The wasm backend's heap cannot grow past 4 GiB (32-bit addresses). When it is full, XNNPACK fails to create its
 * convolution operators and only prints a warning: the kernels then return garbage or abort the process. A run
 * that filled the heap is therefore stopped with this error instead (see assertTensorMemoryHeadroom).
 */
export class TensorMemoryExhaustedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TensorMemoryExhaustedError';
  }
}

const WASM_HEAP_LIMIT_BYTES = 4 * 2 ** 30;
/** Emscripten grows the heap on demand only, so a heap this close to the limit means an allocation hit it. */
const WASM_HEAP_MARGIN_BYTES = 64 * 2 ** 20;

/** Bytes of the wasm backend's heap, or null on other backends. */
export function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  // The wasm backend exposes its Emscripten module as `wasm`; HEAPU8 views the whole heap.
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.length ?? null;
}

/**
 * Throws TensorMemoryExhaustedError when the wasm heap has reached its 4 GiB limit; `what` names the work (e.g.
 * "stage-1 training step 1, batch 128, length 150") so the message says what to shrink. No-op on other backends.
 */
export function assertTensorMemoryHeadroom(what: string): void {
  const bytes = wasmHeapBytes();
  if (bytes === null || bytes < WASM_HEAP_LIMIT_BYTES - WASM_HEAP_MARGIN_BYTES) return;
  throw new TensorMemoryExhaustedError(
    `${what} filled the wasm backend's 4 GiB heap, so its results cannot be trusted; use a smaller batch ` +
      `(e.g. the cpu profile) or a native backend (tfjs-node / tfjs-node-gpu)`,
  );
}
