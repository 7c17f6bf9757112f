import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import {
  CHECKPOINT_MAGIC,
  CheckpointError,
  SeededRng,
  deserializeCheckpoint,
  disposeCheckpoint,
  initTensorBackend,
  loadIntoVariables,
  randomNormalTensor,
  serializeCheckpoint,
} from '../src';

function bytesOf(t: tf.Tensor): Buffer {
  const data = t.dataSync();
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Rewrites the manifest (as text) and recomputes the trailer, to reach checks behind the checksum. */
function withManifest(bytes: Buffer, edit: (json: string) => string): Buffer {
  const length = bytes.readUInt32LE(12);
  const json = bytes.subarray(16, 16 + length).toString('utf8');
  const edited = Buffer.from(edit(json), 'utf8');
  assert.equal(edited.byteLength, length, 'edits keep the manifest length so offsets stay valid');
  const body = Buffer.from(bytes.subarray(0, bytes.byteLength - 32));
  edited.copy(body, 16);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

function expectCheckpointError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CheckpointError, `expected CheckpointError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('checkpoints', () => {
  before(async () => {
    await initTensorBackend('wasm');
  });

  function sample(): Record<string, tf.Tensor> {
    const rng = new SeededRng('ckpt');
    return {
      'encoder/conv1/kernel': randomNormalTensor([3, 4, 2, 8], rng),
      'encoder/conv1/bias': tf.tensor1d([0, -0, Infinity, -Infinity, NaN, 1e-45, 3.4e38, -1]),
      'codebook/count': tf.tensor2d([[1, -2, 2147483647, -2147483648]], [1, 4], 'int32'),
      'mask/keep': tf.tensor1d([true, false, true], 'bool'),
      step: tf.scalar(42),
      empty: tf.zeros([0, 3]),
    };
  }

  test('round trip is bit-exact and deterministic', () => {
    const tensors = sample();
    const meta = { kind: 'timevqvae', config: { d: 64, K: 32 }, epoch: 3 };
    const bytes = serializeCheckpoint(tensors, meta);
    assert.ok(bytes.subarray(0, 8).equals(CHECKPOINT_MAGIC));
    assert.ok(bytes.equals(serializeCheckpoint(tensors, meta)), 'same input, same bytes');
    const restored = deserializeCheckpoint(new Uint8Array(bytes));
    assert.deepEqual(Object.keys(restored.tensors), Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      const r = restored.tensors[name];
      assert.deepEqual(r.shape, t.shape, name);
      assert.equal(r.dtype, t.dtype, name);
      assert.ok(bytesOf(r).equals(bytesOf(t)), name);
    }
    assert.deepEqual(restored.manifest.meta, meta);
    assert.match(restored.hash, /^[0-9a-f]{64}$/);
    disposeCheckpoint(restored);
    tf.dispose(Object.values(tensors));
  });

  test('named-tensor list input, variables as input, and the content hash', () => {
    const a = tf.variable(tf.tensor1d([1, 2, 3]), true, 'ckpt-a');
    const b = tf.tensor1d([4, 5, 6]);
    const one = deserializeCheckpoint(serializeCheckpoint([{ name: 'a', tensor: a }], { note: 'x' }));
    const sameWeights = deserializeCheckpoint(serializeCheckpoint({ a }, { note: 'different meta' }));
    const otherWeights = deserializeCheckpoint(serializeCheckpoint({ a: b }));
    assert.equal(one.hash, sameWeights.hash, 'hash covers weights only');
    assert.notEqual(one.hash, otherWeights.hash);
    [one, sameWeights, otherWeights].forEach(disposeCheckpoint);
    tf.dispose([a, b]);
  });

  test('every single flipped byte is detected', () => {
    const tensors = {
      w: tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      n: tf.tensor1d([7], 'int32'),
    };
    const bytes = serializeCheckpoint(tensors, { kind: 'test' });
    for (let i = 0; i < bytes.byteLength; i++) {
      const corrupt = Buffer.from(bytes);
      corrupt[i] ^= 0x01;
      assert.throws(() => deserializeCheckpoint(corrupt), CheckpointError, `byte ${i}`);
    }
    tf.dispose(Object.values(tensors));
  });

  test('truncation, wrong magic, wrong version', () => {
    const tensors = { w: tf.tensor1d([1, 2, 3, 4]) };
    const bytes = serializeCheckpoint(tensors);
    for (const length of [0, 7, 20, bytes.byteLength - 33, bytes.byteLength - 1]) {
      expectCheckpointError(() => deserializeCheckpoint(bytes.subarray(0, length)), /truncated/);
    }
    const magic = Buffer.from(bytes);
    magic.write('PK', 0, 'latin1');
    expectCheckpointError(() => deserializeCheckpoint(magic), /wrong magic/);
    const version = Buffer.from(bytes);
    version.writeUInt32LE(2, 8);
    expectCheckpointError(() => deserializeCheckpoint(version), /unsupported checkpoint format version 2/);
    expectCheckpointError(() => deserializeCheckpoint(Buffer.from('{"not":"a checkpoint"}')), /.+/);
    tf.dispose(Object.values(tensors));
  });

  test('manifest problems behind a valid checksum are still rejected', () => {
    const tensors = {
      w: tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
    };
    const bytes = serializeCheckpoint(tensors);
    expectCheckpointError(
      () => deserializeCheckpoint(withManifest(bytes, (j) => j.replace('{"format"', '["format"'))),
      /not valid JSON/,
    );
    expectCheckpointError(
      () => deserializeCheckpoint(withManifest(bytes, (j) => j.replace('"shape":[2,2]', '"shape":[2,3]'))),
      /'w' has 16 bytes, expected 24/,
    );
    expectCheckpointError(
      () => deserializeCheckpoint(withManifest(bytes, (j) => j.replace('"float32"', '"float64"'))),
      /unsupported dtype "float64"/,
    );
    // A weight byte changed together with a recomputed trailer: only the content hash can notice.
    const body = Buffer.from(bytes.subarray(0, bytes.byteLength - 32));
    body[body.byteLength - 1] ^= 0x40;
    const resealed = Buffer.concat([body, createHash('sha256').update(body).digest()]);
    expectCheckpointError(() => deserializeCheckpoint(resealed), /content hash/);
    tf.dispose(Object.values(tensors));
  });

  test('serialisation rejects duplicate names, disposed tensors and non-JSON metadata', () => {
    const t = tf.tensor1d([1]);
    expectCheckpointError(
      () =>
        serializeCheckpoint([
          { name: 'a', tensor: t },
          { name: 'a', tensor: t },
        ]),
      /duplicate tensor name 'a'/,
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectCheckpointError(() => serializeCheckpoint({ t }, cyclic), /not JSON-serialisable/);
    const gone = tf.tensor1d([1]);
    gone.dispose();
    expectCheckpointError(() => serializeCheckpoint({ gone }), /disposed/);
    t.dispose();
  });

  test('loadIntoVariables assigns on an exact match', () => {
    const source = { 'dense/kernel': tf.tensor2d([[1, 2, 3]]), 'dense/bias': tf.tensor1d([5], 'int32') };
    const checkpoint = deserializeCheckpoint(serializeCheckpoint(source));
    const vars = {
      'dense/kernel': tf.variable(tf.zeros([1, 3])),
      'dense/bias': tf.variable(tf.zeros([1], 'int32')),
    };
    loadIntoVariables(checkpoint, vars);
    // Variables must keep their values once the checkpoint's tensors are gone.
    disposeCheckpoint(checkpoint);
    assert.deepEqual(Array.from(vars['dense/kernel'].dataSync()), [1, 2, 3]);
    assert.deepEqual(Array.from(vars['dense/bias'].dataSync()), [5]);
    tf.dispose([...Object.values(source), ...Object.values(vars)]);
  });

  test('loadIntoVariables reports every mismatch by name and changes nothing', () => {
    const source = {
      kept: tf.tensor1d([1, 1]),
      shape: tf.tensor1d([1, 2, 3]),
      dtype: tf.tensor1d([1], 'int32'),
      extra: tf.scalar(0),
    };
    const checkpoint = deserializeCheckpoint(serializeCheckpoint(source));
    const vars = {
      kept: tf.variable(tf.zeros([2])),
      shape: tf.variable(tf.zeros([3, 1])),
      dtype: tf.variable(tf.zeros([1])),
      absent: tf.variable(tf.zeros([1])),
    };
    expectCheckpointError(() => loadIntoVariables(checkpoint, vars), /missing from checkpoint: absent/);
    expectCheckpointError(() => loadIntoVariables(checkpoint, vars), /not in model: extra/);
    expectCheckpointError(
      () => loadIntoVariables(checkpoint, vars),
      /shape: shape \[3\] in checkpoint, \[3, 1\] in model/,
    );
    expectCheckpointError(
      () => loadIntoVariables(checkpoint, vars),
      /dtype: dtype int32 in checkpoint, float32 in model/,
    );
    assert.deepEqual(Array.from(vars.kept.dataSync()), [0, 0], 'no partial load');
    disposeCheckpoint(checkpoint);
    tf.dispose([...Object.values(source), ...Object.values(vars)]);
  });

  test('no tensor leaks across serialise / deserialise / load', () => {
    const before = tf.memory().numTensors;
    const source = { w: tf.ones([4, 4]) };
    // tidy disposes the zeros initialiser; the variable survives it.
    const vars = { w: tf.tidy(() => tf.variable(tf.zeros([4, 4]))) };
    const checkpoint = deserializeCheckpoint(serializeCheckpoint(source));
    loadIntoVariables(checkpoint, vars);
    disposeCheckpoint(checkpoint);
    tf.dispose([source.w, vars.w]);
    assert.equal(tf.memory().numTensors, before);
  });
});
