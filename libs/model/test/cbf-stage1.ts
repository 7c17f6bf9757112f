import { flattenValues, loadBuiltinUcr, scaleTrainTest } from '@maskgen/data';
import { SeededRng } from '@maskgen/tensor';
import { STAGE1_CPU_CONFIG, TimeVQVAE, trainStage1 } from '@maskgen/model';

/**
 * The quality tests' start: CBF (the real UCR split, scaled) and a stage 1 of the cpu profile trained for `steps`
 * steps from seed 1, with the generator the rest of the test forks from.
 */
export async function cbfWithStage1(steps: number) {
  const data = scaleTrainTest(loadBuiltinUcr('CBF'));
  const trainCount = data.train.values.length;
  const rng = new SeededRng(1);
  const stage1 = TimeVQVAE.create(
    { ...STAGE1_CPU_CONFIG, maxSteps: steps },
    { length: data.length, channels: 1 },
    rng.fork('stage1'),
  );
  const trainValues = flattenValues(data.train);
  await trainStage1(stage1, { values: trainValues, count: trainCount }, { rng: rng.fork('stage1-train') });
  return { data, trainCount, rng, stage1, trainValues };
}
