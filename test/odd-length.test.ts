import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import 'reflect-metadata';
import { startApiServer, type ApiServer } from './support/api-server';
import { apiCall, settled, type Json } from './support/http';

/**
 * Issue 20 item 9: a dataset of odd length L used to give samples of length L − 1 (the STFT round trip gave
 * 2(W − 1) points). Through the whole stack: train (tiny), sample, then the run's parameters, JSON, CSV and .npy.
 */
describe('odd series length comes back whole through training, sampling and export', () => {
  let server: ApiServer;

  const call = (method: string, url: string, body?: unknown) =>
    apiCall(server.base, server.key, method, url, body);

  before(async () => {
    // Lengths do not depend on the engine; tfjs keeps this test off the ONNX export path.
    server = await startApiServer('odd-length', { INFERENCE_ENGINE: 'tfjs' });
  });

  after(async () => {
    await server?.close();
  });

  for (const length of [63, 64]) {
    test(`L = ${length}: the model, the run and every export have ${length} steps`, async () => {
      const dataset = await call('POST', '/datasets/synthetic', {
        name: `cbf-${length}`,
        generator: 'cbf',
        length,
        trainPerClass: 6,
        testPerClass: 4,
        seed: 3,
      });
      assert.equal(dataset.status, 201, dataset.text);
      assert.equal(dataset.json.seriesLength, length);
      const created = await call('POST', '/models', { datasetId: dataset.json.id, profile: 'tiny', seed: 1 });
      assert.equal(created.status, 202, created.text);
      const modelId = String(created.json.id);
      const model = await settled('model', modelId, (url) => call('GET', url), 120_000);
      assert.equal(model.status, 'ready', String(model.error));

      const run = await call('POST', '/runs', {
        sampler: { kind: 'model', modelId, method: 'ess', classes: 'balanced' },
        numSamples: 12,
        shardSize: 12,
        seed: 5,
      });
      assert.equal(run.status, 201, run.text);
      const runId = String(run.json.id);
      assert.equal((run.json.params as Json).seriesLength, length);
      const done = await settled('run', runId, (url) => call('GET', url), 120_000);
      assert.equal(done.status, 'succeeded', String(done.error));

      const page = await call('GET', `/runs/${runId}/samples?limit=12`);
      const items = page.json.items as { values: number[] }[];
      assert.equal(items.length, 12);
      assert.ok(items.every((item) => item.values.length === length));
      const csv = await call('GET', `/runs/${runId}/samples?format=csv`);
      // index, class, then one column per step, in the header and in every row.
      const lines = csv.text.trim().split('\n');
      assert.equal(lines.length, 13);
      assert.ok(lines.every((line) => line.split(',').length === length + 2));
      const npy = await fetch(`${server.base}/runs/${runId}/samples?format=npy`, {
        headers: { 'x-api-key': server.key },
      });
      const bytes = Buffer.from(await npy.arrayBuffer());
      const header = bytes.subarray(10, 10 + bytes.readUInt16LE(8)).toString('latin1');
      assert.match(header, new RegExp(`'shape': \\(12, ${length}\\)`));
      // The evaluation ran on the full-length samples (its classifier takes L).
      const metrics = await call('GET', `/runs/${runId}/metrics`);
      const names = (metrics.json.items as { name: string }[]).map((m) => m.name);
      assert.ok(names.includes('fid'), names.join(', '));
    });
  }
});
