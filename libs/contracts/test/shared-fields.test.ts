import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  JobName,
  MAX_SHARD_SIZE,
  RUN_PRIORITY,
  SEED_MAX,
  SYNTHETIC_LENGTH,
  createRunRequestSchema,
  generationRunTemplateSchema,
  jobPayloadSchemas,
  syntheticDatasetRequestSchema,
} from '@maskgen/contracts';

const LIMITS = { samplesPerRun: 1_000_000 };
const SAMPLER = { kind: 'synthetic', generator: 'cbf', length: 128 } as const;
const RUN = { sampler: SAMPLER, numSamples: 100, shardSize: 10, priority: 5, seed: 1 };
const SHARD = {
  runId: '00000000-0000-4000-8000-000000000000',
  shardIndex: 0,
  sampleOffset: 0,
  sampleCount: 10,
  seed: 1,
  sampler: SAMPLER,
};
const DATASET = { name: 'set', generator: 'cbf', trainPerClass: 1, testPerClass: 1, seed: 1, length: 128 };

/** Whether each schema accepts the value, in order: request, stored template, job payload or dataset request. */
function accepted(
  value: Record<string, unknown>,
  ...others: [schema: { safeParse(v: unknown): { success: boolean } }, input: unknown][]
) {
  const run = { ...RUN, ...value };
  return [
    createRunRequestSchema(LIMITS).safeParse(run).success,
    generationRunTemplateSchema.safeParse(run).success,
    ...others.map(([schema, input]) => schema.safeParse(input).success),
  ];
}

test('a run request, its stored template and its shard jobs share one bound per field (issue 22)', () => {
  const shardJob = jobPayloadSchemas[JobName.GenerateShard];
  for (const [size, ok] of [
    [MAX_SHARD_SIZE, true],
    [MAX_SHARD_SIZE + 1, false],
  ] as const) {
    assert.deepEqual(accepted({ shardSize: size }, [shardJob, { ...SHARD, sampleCount: size }]), [
      ok,
      ok,
      ok,
    ]);
  }
  for (const [priority, ok] of [
    [RUN_PRIORITY.min, true],
    [RUN_PRIORITY.max, true],
    [RUN_PRIORITY.min - 1, false],
    [RUN_PRIORITY.max + 1, false],
  ] as const) {
    assert.deepEqual(accepted({ priority }), [ok, ok], `priority ${priority}`);
  }
  // Seed and synthetic length also bound the shard job and the synthetic dataset request.
  const fourWays = (
    label: string,
    cases: readonly (readonly [number, boolean])[],
    fields: (value: number) => [run: Record<string, unknown>, shard: object, dataset: object],
  ) => {
    for (const [value, ok] of cases) {
      const [run, shard, dataset] = fields(value);
      assert.deepEqual(
        accepted(
          run,
          [shardJob, { ...SHARD, ...shard }],
          [syntheticDatasetRequestSchema, { ...DATASET, ...dataset }],
        ),
        [ok, ok, ok, ok],
        `${label} ${value}`,
      );
    }
  };
  fourWays(
    'seed',
    [
      [SEED_MAX, true],
      [SEED_MAX + 1, false],
    ],
    (seed) => [{ seed }, { seed }, { seed }],
  );
  fourWays(
    'length',
    [
      [SYNTHETIC_LENGTH.min, true],
      [SYNTHETIC_LENGTH.max, true],
      [SYNTHETIC_LENGTH.min - 1, false],
      [SYNTHETIC_LENGTH.max + 1, false],
    ],
    (length) => [{ sampler: { ...SAMPLER, length } }, { sampler: { ...SAMPLER, length } }, { length }],
  );
});
