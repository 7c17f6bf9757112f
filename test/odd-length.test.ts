import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import 'reflect-metadata';
import { startApiServer, type ApiServer } from './support/api-server';
import { waitFor } from './support/services';

type Json = Record<string, unknown>;

/**
 * Issue 20 item 9: a dataset of odd length L used to give samples of length L − 1 (the STFT round trip gave
 * 2(W − 1) points). Through the whole stack: train (tiny), sample, then the run's parameters, JSON, CSV and .npy.
 */
describe('odd series length comes back whole through training, sampling and export', () => {
  let server: ApiServer;

  async function call(method: string, url: string, body?: unknown) {
    const send = () =>
      fetch(`${server.base}${url}`, {
        method,
        headers: {
          'x-api-key': server.key,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    // Training in this process can stall the event loop long enough for a keep-alive socket to drop.
    const response = await send().catch((error: unknown) => {
      if (method !== 'GET') throw error;
      return send();
    });
    const text = await response.text();
    let json: Json = {};
    try {
      json = JSON.parse(text) as Json;
    } catch {
      // Not JSON (CSV).
    }
    return { status: response.status, json, text };
  }

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
      const model = await waitFor(
        'the model to be ready',
        async () => {
          const body = (await call('GET', `/models/${modelId}`)).json;
          return ['ready', 'failed', 'cancelled'].includes(String(body.status)) ? body : undefined;
        },
        120_000,
        250,
      );
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
      const done = await waitFor(
        'the run to settle',
        async () => {
          const body = (await call('GET', `/runs/${runId}`)).json;
          return ['succeeded', 'failed', 'cancelled'].includes(String(body.status)) ? body : undefined;
        },
        120_000,
        200,
      );
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
