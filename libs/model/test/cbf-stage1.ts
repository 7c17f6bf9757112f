import { flattenValues, loadBuiltinUcr, scaleTrainTest } from '@maskgen/data';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRng, initTensorBackend } from '@maskgen/tensor';
import {
  PRIOR_CPU,
  STAGE1_CPU_CONFIG,
  TimeVQVAE,
  TimeVqPrior,
  priorShapesFor,
  splitTokenLogits,
  trainPrior,
  trainStage1,
  type PriorNetworkConfig,
} from '@maskgen/model';

/**
 * The quality tests' start: the wasm backend, CBF (the real UCR split, scaled) and a stage 1 of the cpu profile
 * trained for `steps` steps from seed 1, with the generator the rest of the test forks from.
 */
export async function cbfWithStage1(steps: number) {
  await initTensorBackend('wasm');
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

/**
 * A prior of `network` on the CBF train split's stage-1 token logits, trained `steps` steps of the cpu profile
 * (forks 'prior' and 'prior-train' of the test's generator). The caller disposes the prior and the logits.
 */
export async function trainCbfPrior(
  { data, trainCount, rng, stage1, trainValues }: Awaited<ReturnType<typeof cbfWithStage1>>,
  network: PriorNetworkConfig,
  steps: number,
) {
  const logits = splitTokenLogits(stage1, trainValues, trainCount, [1, data.length], 1);
  const prior = new TimeVqPrior(
    priorShapesFor(stage1, data.classNames.length),
    network,
    { lf: stage1.codebook('lf'), hf: stage1.codebook('hf') },
    rng.fork('prior'),
  );
  try {
    const result = await trainPrior(
      prior,
      { lfLogits: logits.lf, hfLogits: logits.hf, labels: data.train.labels },
      {
        // Both priors take `steps` updates: the quality tests' thresholds are set for that budget of HF updates.
        training: { ...PRIOR_CPU.training, lfStepsPerHfStep: 1, maxSteps: steps, maxSeconds: null },
        classDropout: PRIOR_CPU.network.classDropout,
        rng: rng.fork('prior-train'),
      },
    );
    result.optimizer.dispose();
    return { prior, logits, stepsDone: result.stepsDone };
  } catch (error) {
    prior.dispose();
    tf.dispose([logits.lf, logits.hf]);
    throw error;
  }
}
