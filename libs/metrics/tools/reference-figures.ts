/**
 * Reference figures for docs/metrics.md: trains the evaluation FCN on built-in UCR datasets (scaled as ess.md §2)
 * and reports test accuracy, the FID floor (real test vs real train) on FCN and ROCKET features, and the IS of the
 * real test split.
 *
 *   node --require @swc-node/register libs/metrics/tools/reference-figures.ts [datasets] [seeds] [profile]
 *   e.g. … GunPoint,CBF 0,1,2 cpu
 */
import { BUILTIN_UCR_DATASETS, isBuiltinUcrName, loadBuiltinUcr, scaleTrainTest } from '@maskgen/data';
import { SeededRng, initTensorBackend } from '@maskgen/tensor';
import {
  FCN_PROFILES,
  createRocket,
  frechetDistance,
  inceptionScore,
  rocketFeatures,
  trainFcn,
  type FcnProfile,
} from '../src';

async function main(): Promise<void> {
  const [names = 'GunPoint,CBF', seeds = '0', profileArg = 'cpu'] = process.argv.slice(2);
  if (!(profileArg in FCN_PROFILES)) throw new Error(`unknown profile ${profileArg}`);
  const profile = profileArg as FcnProfile;
  const backend = await initTensorBackend('wasm');
  console.log(
    `backend ${backend.backend} (simd ${String(backend.simd)}, threads ${backend.threads}), profile ${profile}: ${JSON.stringify(FCN_PROFILES[profile])}`,
  );
  for (const name of names.split(',')) {
    if (!isBuiltinUcrName(name)) throw new Error(`${name} is not one of ${BUILTIN_UCR_DATASETS.join(', ')}`);
    const data = scaleTrainTest(loadBuiltinUcr(name));
    const rocket = createRocket(data.length, { seed: 0 });
    const rocketFid = frechetDistance(
      rocketFeatures(rocket, data.test.values),
      rocketFeatures(rocket, data.train.values),
    ).distance;
    for (const seed of seeds.split(',').map(Number)) {
      const started = performance.now();
      const { model, training, testAccuracy } = await trainFcn(data.train, {
        config: profile,
        seed,
        test: data.test,
      });
      const seconds = (performance.now() - started) / 1000;
      const fid = frechetDistance(model.featuresOf(data.test.values), model.featuresOf(data.train.values));
      const probs = model.probabilitiesOf(data.test.values);
      const is = inceptionScore(probs, data.test.values.length, data.classNames.length, {
        rng: new SeededRng(seed),
      });
      model.dispose();
      console.log(
        JSON.stringify({
          dataset: name,
          seed,
          train: data.train.values.length,
          test: data.test.values.length,
          classes: data.classNames.length,
          steps: training.stepsDone,
          trainSeconds: Number(seconds.toFixed(1)),
          testAccuracy: Number(testAccuracy?.toFixed(4)),
          fcnFidTestVsTrain: Number(fid.distance.toFixed(4)),
          rocketFidTestVsTrain: Number(rocketFid.toFixed(3)),
          isRealTest: `${is.mean.toFixed(3)}±${is.std.toFixed(3)}`,
        }),
      );
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
