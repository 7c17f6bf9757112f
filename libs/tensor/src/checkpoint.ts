import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Binary layout (all integers little-endian):
 *
 *   0   8 bytes  magic "MGCKPT\r\n" (the CR LF catches text-mode mangling)
 *   8   u32      format version
 *   12  u32      manifest byte length M
 *   16  M bytes  manifest, UTF-8 JSON (CheckpointManifest)
 *   …   0–7      zero padding so the weights start 8-byte aligned
 *   …   D bytes  weights, tensors back to back at manifest offsets (each 8-byte aligned)
 *   end 32 bytes SHA-256 of every byte before it
 *
 * The trailer makes any flipped byte anywhere an error. The manifest also carries the SHA-256 of the weight
 * bytes alone: that is the checkpoint's content hash, stable across metadata changes.
 */
export const CHECKPOINT_MAGIC = Buffer.from('MGCKPT\r\n', 'latin1');
export const CHECKPOINT_FORMAT_VERSION = 1;

const HEADER_BYTES = 16;
const TRAILER_BYTES = 32;
const ALIGN = 8;
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export type CheckpointDType = 'float32' | 'int32' | 'bool';
const BYTES_PER_ELEMENT: Record<CheckpointDType, number> = { float32: 4, int32: 4, bool: 1 };

/** JSON-serialisable user metadata (model kind, config, training step, …). */
export type CheckpointMeta = { readonly [key: string]: unknown };

export interface CheckpointTensorEntry {
  readonly name: string;
  readonly dtype: CheckpointDType;
  readonly shape: readonly number[];
  /** Offset within the weights section. */
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface CheckpointManifest {
  readonly format: 'maskgen-checkpoint';
  readonly version: number;
  readonly tensors: readonly CheckpointTensorEntry[];
  readonly weightsByteLength: number;
  /** Hex SHA-256 of the weights section. */
  readonly weightsSha256: string;
  readonly meta: CheckpointMeta;
}

export interface Checkpoint {
  /** Caller owns these tensors and must dispose them (see disposeCheckpoint). */
  readonly tensors: Record<string, tf.Tensor>;
  readonly manifest: CheckpointManifest;
  /** Content hash: hex SHA-256 of the weight bytes. */
  readonly hash: string;
}

export interface NamedTensor {
  readonly name: string;
  readonly tensor: tf.Tensor;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

function assertLittleEndianHost(): void {
  // Weights are written as the host's TypedArray bytes; only little-endian hosts produce the documented layout.
  if (os.endianness() !== 'LE')
    throw new CheckpointError('checkpoints are only supported on little-endian hosts');
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function toNamedList(tensors: readonly NamedTensor[] | Readonly<Record<string, tf.Tensor>>): NamedTensor[] {
  return Array.isArray(tensors)
    ? [...(tensors as readonly NamedTensor[])]
    : Object.entries(tensors as Readonly<Record<string, tf.Tensor>>).map(([name, tensor]) => ({
        name,
        tensor,
      }));
}

/** Serialises tensors (or variables) and metadata; the same input always produces the same bytes. */
export function serializeCheckpoint(
  tensors: readonly NamedTensor[] | Readonly<Record<string, tf.Tensor>>,
  meta: CheckpointMeta = {},
): Buffer {
  assertLittleEndianHost();
  const list = toNamedList(tensors);
  const seen = new Set<string>();
  const entries: CheckpointTensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const { name, tensor } of list) {
    if (name.length === 0) throw new CheckpointError('tensor names must be non-empty');
    if (seen.has(name)) throw new CheckpointError(`duplicate tensor name '${name}'`);
    seen.add(name);
    if (tensor.isDisposed) throw new CheckpointError(`tensor '${name}' is disposed`);
    const dtype = tensor.dtype;
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
      throw new CheckpointError(`tensor '${name}' has unsupported dtype ${dtype}`);
    }
    const data = tensor.dataSync<'float32' | 'int32' | 'bool'>();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    offset = alignUp(offset);
    entries.push({ name, dtype, shape: [...tensor.shape], byteOffset: offset, byteLength: bytes.byteLength });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const weights = new Uint8Array(alignUp(offset));
  entries.forEach((entry, i) => weights.set(chunks[i], entry.byteOffset));

  const manifest: CheckpointManifest = {
    format: 'maskgen-checkpoint',
    version: CHECKPOINT_FORMAT_VERSION,
    tensors: entries,
    weightsByteLength: weights.byteLength,
    weightsSha256: sha256(weights).toString('hex'),
    meta,
  };
  let manifestJson: string;
  try {
    manifestJson = JSON.stringify(manifest);
  } catch (error) {
    throw new CheckpointError(`metadata is not JSON-serialisable: ${(error as Error).message}`);
  }
  const manifestBytes = Buffer.from(manifestJson, 'utf8');
  const weightsStart = alignUp(HEADER_BYTES + manifestBytes.byteLength);
  const body = Buffer.alloc(weightsStart + weights.byteLength);
  CHECKPOINT_MAGIC.copy(body, 0);
  body.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, 8);
  body.writeUInt32LE(manifestBytes.byteLength, 12);
  manifestBytes.copy(body, HEADER_BYTES);
  body.set(weights, weightsStart);
  return Buffer.concat([body, sha256(body)]);
}

/** Parses and verifies checkpoint bytes; throws CheckpointError on any inconsistency. */
export function deserializeCheckpoint(bytes: Uint8Array): Checkpoint {
  assertLittleEndianHost();
  const { manifest, weights } = readVerified(bytes);
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const entry of manifest.tensors) {
      // Copy into a fresh, aligned ArrayBuffer (Buffer#slice would share the caller's, possibly pooled, memory).
      const raw = new Uint8Array(entry.byteLength);
      raw.set(weights.subarray(entry.byteOffset, entry.byteOffset + entry.byteLength));
      const values =
        entry.dtype === 'float32'
          ? new Float32Array(raw.buffer)
          : entry.dtype === 'int32'
            ? new Int32Array(raw.buffer)
            : raw;
      tensors[entry.name] = tf.tensor(values, [...entry.shape], entry.dtype);
    }
  } catch (error) {
    Object.values(tensors).forEach((t) => t.dispose());
    throw error;
  }
  return { tensors, manifest, hash: manifest.weightsSha256 };
}

export function disposeCheckpoint(checkpoint: Checkpoint): void {
  Object.values(checkpoint.tensors).forEach((t) => t.dispose());
}

/**
 * Assigns checkpoint tensors into existing variables, all or nothing: every missing, extra, shape or dtype mismatch
 * is collected and reported in one CheckpointError before any variable is touched.
 */
export function loadIntoVariables(
  checkpoint: Pick<Checkpoint, 'tensors'>,
  variables: Readonly<Record<string, tf.Variable>>,
): void {
  const problems: string[] = [];
  const stored = checkpoint.tensors;
  const missing = Object.keys(variables).filter((name) => !(name in stored));
  const extra = Object.keys(stored).filter((name) => !(name in variables));
  if (missing.length > 0) problems.push(`missing from checkpoint: ${missing.join(', ')}`);
  if (extra.length > 0) problems.push(`not in model: ${extra.join(', ')}`);
  for (const [name, variable] of Object.entries(variables)) {
    const tensor = stored[name];
    if (tensor === undefined) continue;
    if (!tf.util.arraysEqual(tensor.shape, variable.shape)) {
      problems.push(
        `${name}: shape [${tensor.shape.join(', ')}] in checkpoint, [${variable.shape.join(', ')}] in model`,
      );
    }
    if (tensor.dtype !== variable.dtype) {
      problems.push(`${name}: dtype ${tensor.dtype} in checkpoint, ${variable.dtype} in model`);
    }
  }
  if (problems.length > 0) {
    throw new CheckpointError(`checkpoint does not match the model: ${problems.join('; ')}`);
  }
  for (const [name, variable] of Object.entries(variables)) variable.assign(stored[name]);
}

/**
 * Rebuilds a model from checkpoint bytes: `build` makes it from the stored metadata (and throws for another kind of
 * checkpoint), then the stored tensors are loaded into `variables(model)`, all or nothing; a model they do not fit is
 * disposed before the error propagates. The checkpoint's own tensors are always released.
 */
export function restoreFromCheckpoint<M extends { dispose(): void }>(
  bytes: Uint8Array,
  build: (meta: CheckpointMeta) => M,
  variables: (model: M) => Readonly<Record<string, tf.Variable>>,
): { model: M; meta: CheckpointMeta } {
  const checkpoint = deserializeCheckpoint(bytes);
  try {
    const meta = checkpoint.manifest.meta;
    const model = build(meta);
    try {
      loadIntoVariables(checkpoint, variables(model));
    } catch (error) {
      model.dispose();
      throw error;
    }
    return { model, meta };
  } finally {
    disposeCheckpoint(checkpoint);
  }
}

function readVerified(bytes: Uint8Array): { manifest: CheckpointManifest; weights: Uint8Array } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.byteLength < HEADER_BYTES + TRAILER_BYTES) {
    throw new CheckpointError(`checkpoint is truncated: ${buf.byteLength} bytes is shorter than the header`);
  }
  if (!buf.subarray(0, CHECKPOINT_MAGIC.byteLength).equals(CHECKPOINT_MAGIC)) {
    throw new CheckpointError('not a maskgen checkpoint (wrong magic bytes)');
  }
  const version = buf.readUInt32LE(8);
  if (version !== CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(
      `unsupported checkpoint format version ${version} (this build reads version ${CHECKPOINT_FORMAT_VERSION})`,
    );
  }
  const manifestLength = buf.readUInt32LE(12);
  if (manifestLength > MAX_MANIFEST_BYTES || HEADER_BYTES + manifestLength + TRAILER_BYTES > buf.byteLength) {
    throw new CheckpointError(
      `checkpoint is truncated or corrupt: manifest of ${manifestLength} bytes does not fit in ${buf.byteLength} bytes`,
    );
  }
  const bodyLength = buf.byteLength - TRAILER_BYTES;
  const expected = buf.subarray(bodyLength);
  if (!sha256(buf.subarray(0, bodyLength)).equals(expected)) {
    throw new CheckpointError('checkpoint is corrupt or truncated: SHA-256 checksum mismatch');
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.subarray(HEADER_BYTES, HEADER_BYTES + manifestLength).toString('utf8'));
  } catch (error) {
    throw new CheckpointError(`checkpoint manifest is not valid JSON: ${(error as Error).message}`);
  }
  const weightsStart = alignUp(HEADER_BYTES + manifestLength);
  const manifest = validateManifest(parsed, bodyLength - weightsStart);
  const weights = buf.subarray(weightsStart, bodyLength);
  if (sha256(weights).toString('hex') !== manifest.weightsSha256) {
    throw new CheckpointError('checkpoint weights do not match their SHA-256 content hash');
  }
  return { manifest, weights };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function validateManifest(value: unknown, weightsByteLength: number): CheckpointManifest {
  const fail = (why: string): never => {
    throw new CheckpointError(`checkpoint manifest is invalid: ${why}`);
  };
  if (!isRecord(value)) return fail('not an object');
  if (value.format !== 'maskgen-checkpoint') fail(`format is ${JSON.stringify(value.format)}`);
  if (value.version !== CHECKPOINT_FORMAT_VERSION) fail(`version is ${JSON.stringify(value.version)}`);
  if (value.weightsByteLength !== weightsByteLength) {
    fail(
      `weightsByteLength ${JSON.stringify(value.weightsByteLength)} but ${weightsByteLength} bytes present`,
    );
  }
  if (typeof value.weightsSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(value.weightsSha256)) {
    fail('weightsSha256 is not a hex SHA-256');
  }
  if (!isRecord(value.meta)) fail('meta is not an object');
  if (!Array.isArray(value.tensors)) return fail('tensors is not an array');
  const names = new Set<string>();
  const ranges: Array<[number, number, string]> = [];
  for (const raw of value.tensors as unknown[]) {
    if (!isRecord(raw)) return fail('a tensor entry is not an object');
    const { name, dtype, shape, byteOffset, byteLength } = raw;
    if (typeof name !== 'string' || name.length === 0) return fail('a tensor entry has no name');
    if (names.has(name)) fail(`duplicate tensor '${name}'`);
    names.add(name);
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
      return fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
      return fail(`tensor '${name}' has an invalid shape`);
    }
    if (!isNonNegativeInteger(byteOffset) || !isNonNegativeInteger(byteLength)) {
      return fail(`tensor '${name}' has an invalid byte range`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (size * BYTES_PER_ELEMENT[dtype] !== byteLength) {
      fail(
        `tensor '${name}' has ${byteLength} bytes, expected ${size * BYTES_PER_ELEMENT[dtype]} for its shape`,
      );
    }
    if (byteOffset % ALIGN !== 0 || byteOffset + byteLength > weightsByteLength) {
      fail(
        `tensor '${name}' byte range [${byteOffset}, ${byteOffset + byteLength}) is misaligned or out of bounds`,
      );
    }
    ranges.push([byteOffset, byteOffset + byteLength, name]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) fail(`tensors '${ranges[i - 1][2]}' and '${ranges[i][2]}' overlap`);
  }
  return value as unknown as CheckpointManifest;
}
