/**
 * `npm run train:stage1 -- --dataset GunPoint [--profile cpu] [--seed 1] [--out file]`: trains the TimeVQVAE
 * tokenizer (ess.md §3) on a UCR dataset or a synthetic one, prints progress and the test reconstruction MSE,
 * and optionally writes a checkpoint. Ctrl-C stops after the current step and still evaluates.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { flattenValues, scaleTrainTest } from '@maskgen/data';
import {
  STAGE1_PROFILES,
  TimeVQVAE,
  evaluateStage1,
  isStage1Profile,
  stage1Schedule,
  trainStage1,
} from '@maskgen/model';
import { SHARED_UCR_DIR, syntheticDatasetNames } from '@maskgen/pipeline';
import { SeededRng, initTensorBackend } from '@maskgen/tensor';
import { UsageError, integerArg, parseFlags, loadDatasetArg, runMain } from './cli';

const USAGE = `usage: npm run train:stage1 -- --dataset <name> [--profile ${Object.keys(STAGE1_PROFILES).join('|')}] [--seed n] [--max-steps n] [--out file]
  --dataset    UCR name (vendored, or under ${path.relative(process.cwd(), SHARED_UCR_DIR) || SHARED_UCR_DIR}/<name>/), or
               ${syntheticDatasetNames().join(', ')}
  --profile    hyperparameter profile (default: paper; cpu trains GunPoint in minutes on one core)
  --seed       non-negative integer seed for initialisation and batch order (default 1)
  --max-steps  stop after this many optimiser steps (the cosine schedule is compressed to fit)
  --out        write the trained checkpoint here`;

async function main(): Promise<number> {
  const args = parseFlags(
    {
      dataset: { type: 'string' },
      profile: { type: 'string', default: 'paper' },
      seed: { type: 'string' },
      'max-steps': { type: 'string' },
      out: { type: 'string' },
    },
    USAGE,
  );
  if (args === undefined) return 0;
  if (args.dataset === undefined) throw new UsageError('--dataset is required');
  const profile = args.profile ?? 'paper';
  if (!isStage1Profile(profile)) throw new UsageError(`unknown profile '${profile}'`);
  const seed = integerArg('--seed', args.seed, 0) ?? 1;
  const maxSteps = integerArg('--max-steps', args['max-steps'], 1);
  const out = args.out === undefined ? undefined : path.resolve(args.out);

  const backend = await initTensorBackend('wasm');
  const raw = loadDatasetArg(args.dataset, seed);
  const data = scaleTrainTest(raw);
  const config = { ...STAGE1_PROFILES[profile], ...(maxSteps === undefined ? {} : { maxSteps }) };
  const train = { values: flattenValues(data.train), count: data.train.values.length };
  const test = { values: flattenValues(data.test), count: data.test.values.length };
  const rng = new SeededRng(seed);
  const model = TimeVQVAE.create(config, { length: data.length, channels: 1 }, rng.fork('model'));
  const schedule = stage1Schedule(config, train.count);
  const { lf, hf } = model.shapes;
  console.log(
    `${data.name}: ${train.count} train / ${test.count} test series of length ${data.length}; profile ${profile}, seed ${seed}, ` +
      `backend ${backend.backend}; ${model.store.parameterCount()} parameters; tokens lf 5×${lf.columns}=${lf.tokens}, ` +
      `hf 5×${hf.columns}=${hf.tokens}; ${schedule.totalSteps} steps (${schedule.stepsPerEpoch}/epoch, batch ${Math.min(config.batchSize, train.count)})`,
  );

  const controller = new AbortController();
  const onSigint = (): void => {
    console.log('interrupt: stopping after this step');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  const progressEvery = Math.max(1, Math.round(schedule.totalSteps / 40));
  try {
    const result = await trainStage1(model, train, {
      rng: rng.fork('train'),
      signal: controller.signal,
      progressEvery,
      onProgress: ({ step, totalSteps, learningRate, metrics: m, elapsedMs }) =>
        console.log(
          `step ${String(step).padStart(String(totalSteps).length)}/${totalSteps}  loss ${m.total.toFixed(4)}  ` +
            `lf mse ${m.lfTimeMse.toFixed(4)}  hf l1 ${m.hfTimeL1.toFixed(4)}  commit ${m.lfCommitment.toFixed(3)}/${m.hfCommitment.toFixed(3)}  ` +
            `usage ${m.lfUsage}/${m.hfUsage}  ppl ${m.lfPerplexity.toFixed(1)}/${m.hfPerplexity.toFixed(1)}  ` +
            `lr ${learningRate.toExponential(2)}  ${(elapsedMs / 1000).toFixed(1)} s`,
        ),
    });
    const trainSeconds = result.elapsedMs / 1000;
    const evalStart = performance.now();
    const evaluation = evaluateStage1(model, test);
    const trainEval = evaluateStage1(model, train);
    console.log(
      `${result.stopReason} after ${result.stepsDone} steps in ${trainSeconds.toFixed(1)} s ` +
        `(${(result.stepsDone / trainSeconds).toFixed(2)} steps/s)`,
    );
    console.log(
      `test reconstruction MSE ${evaluation.mse.toFixed(5)} (train ${trainEval.mse.toFixed(5)}); codebook usage on test ` +
        `lf ${evaluation.usage.lf}/${config.codebookSize}, hf ${evaluation.usage.hf}/${config.codebookSize}; perplexity ` +
        `lf ${evaluation.perplexity.lf.toFixed(1)}, hf ${evaluation.perplexity.hf.toFixed(1)} ` +
        `(evaluated in ${((performance.now() - evalStart) / 1000).toFixed(1)} s)`,
    );
    if (out !== undefined) {
      const bytes = model.serialize({
        dataset: data.name,
        scaling: data.scaling,
        seed,
        profile,
        steps: result.stepsDone,
        testMse: evaluation.mse,
      });
      writeFileSync(out, bytes);
      console.log(`checkpoint: ${out} (${(bytes.byteLength / 1024).toFixed(0)} KiB)`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    model.dispose();
  }
}

runMain(main, USAGE);
