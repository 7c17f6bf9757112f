import { test } from 'node:test';
import { BadRequestException } from '@nestjs/common';
import assert from 'node:assert/strict';
import {
  ESS_VARIANTS as API_VARIANTS,
  JobName,
  createRunRequestSchema,
  parseJobPayload,
} from '@maskgen/contracts';
import { essRows, type RunEss } from '@maskgen/client';
import { ESS_DEFAULTS, ESS_VARIANTS } from '@maskgen/model';
import { EssBatchEntity, summariseEssBatches } from '@maskgen/persistence';
import { criticSummary } from '@maskgen/pipeline';
import { parseRequest } from '@maskgen/runtime';
import { toRunTemplate } from '../apps/api/src/runs/run-template';
import { essBatchOf, essMetrics } from '../apps/worker/src/handlers/ess-batch';

// ESS variant in requests and jobs (issue 19): 'R' is the default, 'D' is named; keepVisible still maps onto them.
// What a run records of its ESS sampler calls, its diagnostics metrics and how the CLI/dashboard label them.
const MODEL_ID = '00000000-0000-4000-8000-000000000001';

/** The body of POST /runs as the API validates it (a 400 is thrown as BadRequestException). */
function request(ess: Record<string, unknown>) {
  return parseRequest(
    createRunRequestSchema({ samplesPerRun: 1000 }),
    { sampler: { kind: 'model', modelId: MODEL_ID, method: 'ess', ess }, numSamples: 100 },
    'body',
  );
}

function shard(ess: Record<string, unknown>) {
  return parseJobPayload(JobName.GenerateShard, {
    runId: MODEL_ID,
    shardIndex: 0,
    sampleOffset: 0,
    sampleCount: 10,
    seed: 1,
    sampler: { kind: 'model', modelId: MODEL_ID, method: 'ess', ess },
  });
}

test('the contracts name the sampler’s variants, and R is its default', () => {
  assert.deepEqual([...API_VARIANTS], [...ESS_VARIANTS]);
  assert.equal(ESS_DEFAULTS.variant, 'R');
});

test('API: variant R or D is accepted and stored; keepVisible maps to it; a contradiction or unknown variant is refused', () => {
  const essOf = (ess: Record<string, unknown>) => {
    const sampler = toRunTemplate(request(ess)).sampler;
    assert.equal(sampler.kind, 'model');
    // As stored (jsonb).
    return sampler.kind === 'model' ? (JSON.parse(JSON.stringify(sampler.ess)) as unknown) : undefined;
  };
  assert.deepEqual(essOf({ variant: 'D', threshold: 2 }), { variant: 'D', threshold: 2 });
  assert.deepEqual(essOf({ variant: 'R' }), { variant: 'R' });
  assert.deepEqual(essOf({ keepVisible: true }), { variant: 'D' });
  assert.deepEqual(essOf({ keepVisible: false, windowRate: 0.5 }), { variant: 'R', windowRate: 0.5 });
  assert.deepEqual(essOf({ keepVisible: true, variant: 'D' }), { variant: 'D' });
  const refusal = (ess: Record<string, unknown>): string => {
    try {
      request(ess);
    } catch (error) {
      assert.ok(error instanceof BadRequestException);
      return (error.getResponse() as { message: string[] }).message.join('; ');
    }
    return assert.fail(`${JSON.stringify(ess)} was accepted`);
  };
  assert.match(refusal({ keepVisible: true, variant: 'R' }), /contradicts ess.variant 'R'/);
  assert.match(refusal({ variant: 'r' }), /sampler\.ess\.variant must be one of the following values: R, D/);
});

test('jobs: a stored payload with keepVisible is read as its variant; a contradiction fails validation', () => {
  const essOf = (ess: Record<string, unknown>) => {
    const { sampler } = shard(ess);
    return sampler.kind === 'model' ? sampler.ess : undefined;
  };
  assert.deepEqual(essOf({ keepVisible: true, applyTo: 'lf' }), { variant: 'D', applyTo: 'lf' });
  assert.deepEqual(essOf({ keepVisible: false }), { variant: 'R' });
  assert.deepEqual(essOf({ variant: 'D' }), { variant: 'D' });
  assert.deepEqual(essOf({}), {});
  assert.throws(() => shard({ keepVisible: false, variant: 'D' }), /ess.keepVisible: .*contradicts/);
  assert.throws(() => shard({ variant: 'X' }), /ess.variant/);
});

test('run record: batches summarise to settings, t* per batch and over samples, critic-worse counts; labels', () => {
  const config = { ...ESS_DEFAULTS };
  const row = (firstSample: number, sampleCount: number, tStar: number, criticWorse: number) =>
    Object.assign(new EssBatchEntity(), {
      runId: MODEL_ID,
      firstSample,
      shardIndex: Math.floor(firstSample / 512),
      sampleCount,
      config,
      tStar,
      criticWorse,
    });
  const summary = summariseEssBatches([row(0, 256, 5, 10), row(256, 256, 5, 3), row(512, 100, 4, 0)]);
  assert.deepEqual(summary.tStarHistogram, { 4: 100, 5: 512 });
  assert.equal(summary.samples, 612);
  assert.equal(summary.criticWorse, 13);
  assert.ok(summary.consistent);
  assert.deepEqual(summary.config, config);
  const mixed = Object.assign(row(1, 1, 5, 0), { config: { ...config, variant: 'D' } });
  assert.equal(summariseEssBatches([row(0, 1, 5, 0), mixed]).consistent, false);
  const metrics = essMetrics(summary);
  assert.deepEqual(
    metrics.map((m) => [m.name, m.value]),
    [
      ['ess_t_star', (100 * 4 + 512 * 5) / 612],
      ['ess_critic_worse_share', 13 / 612],
    ],
  );
  assert.deepEqual(essMetrics(summariseEssBatches([])), []);

  const rows = Object.fromEntries(essRows(summary as RunEss));
  assert.match(rows['ESS variant'], /^R \(released/);
  assert.equal(rows['ESS settings'], 'window rate 0.3, threshold 1, branches lf, critic temperature 1');
  assert.equal(rows['t* per batch'], '5×2 4');
  assert.equal(rows['t* over samples'], '4: 100, 5: 512');
  assert.equal(rows['critic worse after ESS'], '13 of 612 samples (2.1 %)');
});

test('run record of one sampler call: resolved settings, the call’s t*, samples the critic judged worse', () => {
  const lf = (before: number[], after: number[] | null) => {
    const grid = {
      rows: 1,
      columns: before.length,
      before: new Float32Array(before.length),
      after: null,
      distancesBefore: Float64Array.from(before),
      distancesAfter: after === null ? null : Float64Array.from(after),
      remasked: null,
    };
    return { summary: criticSummary(grid), scores: { lf: grid, hf: null } };
  };
  const critic = [lf([1, 1], [2, 2]), lf([3, 1], [1, 1]), lf([1, 1], [1, 1])];
  assert.deepEqual(essBatchOf({ essConfig: ESS_DEFAULTS, tStar: Int32Array.from([6, 6, 6]), critic }), {
    config: { ...ESS_DEFAULTS },
    tStar: 6,
    criticWorse: 1,
  });
  assert.equal(essBatchOf({ essConfig: null, tStar: null, critic }), null);
  // A sample's summary: the final tokens' mean and max code distance, the mean before ESS, worse when it rose.
  assert.deepEqual(critic[1].summary, { mean: 1, max: 1, meanBeforeEss: 2, worseUnderEss: false });
  assert.deepEqual(lf([1, 3], null).summary, { mean: 2, max: 3, meanBeforeEss: null, worseUnderEss: null });
});
