import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ESS_VARIANTS as API_VARIANTS, JobName, parseJobPayload } from '@maskgen/contracts';
import { ESS_DEFAULTS, ESS_VARIANTS } from '@maskgen/model';
import { CreateRunDto, toRunTemplate } from '../apps/api/src/runs/runs.dto';

// ESS variant in requests and jobs (issue 19): 'R' is the default, 'D' is named; keepVisible still maps onto them.
const MODEL_ID = '00000000-0000-4000-8000-000000000001';

function request(ess: Record<string, unknown>): CreateRunDto {
  return plainToInstance(CreateRunDto, {
    sampler: { kind: 'model', modelId: MODEL_ID, method: 'ess', ess },
    numSamples: 100,
  });
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
    const dto = request(ess);
    assert.deepEqual(validateSync(dto), []);
    const sampler = toRunTemplate(dto).sampler;
    assert.equal(sampler.kind, 'model');
    // As stored (jsonb): the DTO's unset fields are undefined own properties.
    return sampler.kind === 'model' ? (JSON.parse(JSON.stringify(sampler.ess)) as unknown) : undefined;
  };
  assert.deepEqual(essOf({ variant: 'D', threshold: 2 }), { variant: 'D', threshold: 2 });
  assert.deepEqual(essOf({ variant: 'R' }), { variant: 'R' });
  assert.deepEqual(essOf({ keepVisible: true }), { variant: 'D' });
  assert.deepEqual(essOf({ keepVisible: false, windowRate: 0.5 }), { variant: 'R', windowRate: 0.5 });
  assert.deepEqual(essOf({ keepVisible: true, variant: 'D' }), { variant: 'D' });
  assert.throws(
    () => toRunTemplate(request({ keepVisible: true, variant: 'R' })),
    /contradicts ess.variant 'R'/,
  );
  const errors = validateSync(request({ variant: 'r' }), { forbidUnknownValues: false });
  assert.ok(errors.length > 0, 'unknown variant refused');
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
