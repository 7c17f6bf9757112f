import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initTensorBackend } from '@maskgen/tensor';
import { type PreparedDataset, loadDatasetByName, prepareDataset, trainStage1Stage } from '@maskgen/pipeline';

let data: PreparedDataset;

before(async () => {
  await initTensorBackend('wasm');
  data = prepareDataset(loadDatasetByName('ItalyPowerDemand'));
});

test('the tiny profile trains on one thread whatever the worker gives it: the same bytes as without threads', async () => {
  const opts = { profile: 'tiny', seed: 3 } as const;
  const alone = await trainStage1Stage(data, {}, opts);
  const offered = await trainStage1Stage(data, {}, opts, { threads: 2 });
  assert.ok(Buffer.from(offered.checkpoint).equals(Buffer.from(alone.checkpoint)), 'same checkpoint bytes');
});
