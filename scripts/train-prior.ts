/**
 * `npm run train:prior -- --dataset GunPoint --stage1 <checkpoint> [--profile cpu] [--seed 1] [--samples N] [--out file]`:
 * trains the LF and HF MaskGIT priors (ess.md §4) on the tokens of a frozen stage-1 checkpoint, then draws N series
 * by naive iterative decoding (§5.1) and writes them as CSV or JSON (by the --out extension), in data units.
 * Ctrl-C stops training after the current step and still samples.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { flattenValues, inverseScaleSeries, scaleTrainTest } from '@maskgen/data';
import {
  PRIOR_PROFILES,
  type PriorProfileName,
  TimeVQVAE,
  TimeVqPrior,
  decodeSamples,
  maskedTokenAccuracy,
  naiveDecode,
  nearestNeighbourLabels,
  nearestTokens,
  priorSchedule,
  priorShapesFor,
  serializePrior,
  splitTokenLogits,
  trainPrior,
} from '@maskgen/model';
import { SYNTHETIC_PREFIX } from '@maskgen/pipeline';
import { SeededRng, deserializeCheckpoint, disposeCheckpoint, initTensorBackend } from '@maskgen/tensor';
import { UsageError, integerArg, parseFlags, loadDatasetArg, runMain } from './cli';

const USAGE = `usage: npm run train:prior -- --dataset <name> --stage1 <checkpoint> [--profile ${Object.keys(PRIOR_PROFILES).join('|')}]
       [--seed n] [--samples n] [--class balanced|none|<label>] [--out file.csv|file.json] [--prior-out file]
       [--max-steps n] [--max-seconds s] [--eval]
  --dataset      the dataset stage 1 was trained on (UCR name, or ${SYNTHETIC_PREFIX}<generator>)
  --stage1       stage-1 checkpoint written by npm run train:stage1 -- --out
  --profile      prior hyperparameters (default paper; cpu trains in ≤10 minutes on one core)
  --seed         non-negative integer (default 1)
  --samples      series to generate (default 64; 0 skips sampling)
  --class        class input: balanced (cycle through the classes, default), none (unconditional) or one label
  --out          generated series, CSV (label,values…) or JSON; printed summary only when omitted
  --prior-out    write the trained prior checkpoint here
  --max-steps    optimiser step cap (the cosine schedule is compressed to fit; default: the profile's)
  --max-seconds  training wall-time cap (default: the profile's)
  --eval         report masked-token accuracy on the test tokens and 1-NN accuracy of class-conditional samples`;

function loadStage1(file: string): { model: TimeVQVAE; meta: Record<string, unknown> } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new UsageError(
      `cannot read --stage1 ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    const checkpoint = deserializeCheckpoint(bytes);
    const meta = { ...checkpoint.manifest.meta };
    disposeCheckpoint(checkpoint);
    return { model: TimeVQVAE.deserialize(bytes), meta };
  } catch (error) {
    throw new UsageError(`--stage1 ${file} is not a usable stage-1 checkpoint: ${(error as Error).message}`);
  }
}

function classInput(mode: string, count: number, classNames: readonly string[]): Int32Array | null {
  if (mode === 'none') return null;
  if (mode === 'balanced') return Int32Array.from({ length: count }, (_, i) => i % classNames.length);
  const index = classNames.indexOf(mode);
  if (index < 0)
    throw new UsageError(`--class '${mode}' is not a label of the dataset (${classNames.join(', ')})`);
  return new Int32Array(count).fill(index);
}

async function main(): Promise<number> {
  const args = parseFlags(
    {
      dataset: { type: 'string' },
      stage1: { type: 'string' },
      profile: { type: 'string', default: 'paper' },
      seed: { type: 'string' },
      samples: { type: 'string' },
      class: { type: 'string', default: 'balanced' },
      out: { type: 'string' },
      'prior-out': { type: 'string' },
      'max-seconds': { type: 'string' },
      'max-steps': { type: 'string' },
      eval: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (args === undefined) return 0;
  if (args.dataset === undefined) throw new UsageError('--dataset is required');
  if (args.stage1 === undefined) throw new UsageError('--stage1 is required');
  const profile = args.profile ?? 'paper';
  if (!Object.prototype.hasOwnProperty.call(PRIOR_PROFILES, profile)) {
    throw new UsageError(`unknown profile '${profile}'`);
  }
  const seed = integerArg('--seed', args.seed, 0) ?? 1;
  const samples = integerArg('--samples', args.samples, 0) ?? 64;
  const maxSeconds = integerArg('--max-seconds', args['max-seconds'], 1);
  const maxSteps = integerArg('--max-steps', args['max-steps'], 1);
  const out = args.out === undefined ? undefined : path.resolve(args.out);
  const format = out === undefined ? undefined : path.extname(out).toLowerCase();
  if (format !== undefined && format !== '.csv' && format !== '.json') {
    throw new UsageError(`--out must end in .csv or .json, got '${args.out}'`);
  }

  const backend = await initTensorBackend('wasm');
  const data = scaleTrainTest(loadDatasetArg(args.dataset, seed));
  const { model: stage1, meta: stage1Meta } = loadStage1(path.resolve(args.stage1));
  const trainedOn = typeof stage1Meta.dataset === 'string' ? stage1Meta.dataset : undefined;
  try {
    if (stage1.spec.length !== data.length || stage1.spec.channels !== 1) {
      throw new UsageError(
        `--stage1 was built for series of length ${stage1.spec.length} (${trainedOn ?? 'unknown dataset'}), ` +
          `but ${data.name} has length ${data.length}`,
      );
    }
    if (trainedOn !== undefined && trainedOn !== data.name) {
      console.warn(`warning: --stage1 was trained on ${trainedOn}, not ${data.name}`);
    }
    const base = PRIOR_PROFILES[profile as PriorProfileName];
    const config = {
      ...base,
      training: {
        ...base.training,
        ...(maxSeconds === undefined ? {} : { maxSeconds }),
        ...(maxSteps === undefined ? {} : { maxSteps }),
      },
    };
    const classInputs = classInput(args.class ?? 'balanced', samples, data.classNames);
    return await run(stage1, data, config, {
      seed,
      samples,
      out,
      format,
      classInputs,
      evaluate: args.eval ?? false,
      priorOut: args['prior-out'],
      backend: backend.backend,
      profile,
    });
  } finally {
    stage1.dispose();
  }
}

interface RunOptions {
  readonly seed: number;
  readonly samples: number;
  readonly out: string | undefined;
  readonly format: string | undefined;
  readonly classInputs: Int32Array | null;
  readonly evaluate: boolean;
  readonly priorOut: string | undefined;
  readonly backend: string;
  readonly profile: string;
}

async function run(
  stage1: TimeVQVAE,
  data: ReturnType<typeof scaleTrainTest>,
  config: (typeof PRIOR_PROFILES)[PriorProfileName],
  options: RunOptions,
): Promise<number> {
  const rng = new SeededRng(options.seed);
  const trainCount = data.train.values.length;
  const testCount = data.test.values.length;
  const logits = splitTokenLogits(
    stage1,
    flattenValues(data.train),
    trainCount,
    [1, data.length],
    config.training.tokenTemperature,
  );
  const prior = new TimeVqPrior(
    priorShapesFor(stage1, data.classNames.length),
    config.network,
    { lf: stage1.codebook('lf'), hf: stage1.codebook('hf') },
    rng.fork('prior'),
  );
  const controller = new AbortController();
  const onSigint = (): void => {
    console.log('interrupt: stopping training after this step');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const counts = prior.parameterCount();
    const { lfTokens, hfTokens } = prior.shapes;
    const { totalSteps } = priorSchedule(config.training, trainCount);
    console.log(
      `${data.name}: ${trainCount} train / ${testCount} test series, ${data.classNames.length} classes; profile ${options.profile}, ` +
        `seed ${options.seed}, backend ${options.backend}; prior parameters lf ${counts.lf}, hf ${counts.hf}; tokens lf ${lfTokens}, ` +
        `hf ${hfTokens}; ${totalSteps} steps` +
        (config.training.maxSeconds === null ? '' : ` (at most ${config.training.maxSeconds} s)`),
    );
    const result = await trainPrior(
      prior,
      { lfLogits: logits.lf, hfLogits: logits.hf, labels: data.train.labels },
      {
        training: config.training,
        classDropout: config.network.classDropout,
        rng: rng.fork('train'),
        signal: controller.signal,
        progressEvery: Math.max(1, Math.round(totalSteps / 40)),
        onProgress: ({ step, learningRate, metrics: m, elapsedMs }) =>
          console.log(
            `step ${String(step).padStart(String(totalSteps).length)}/${totalSteps}  loss ${m.loss.toFixed(4)}  ` +
              `lf ${m.lfLoss.toFixed(4)}  hf ${m.hfLoss.toFixed(4)}  lr ${learningRate.toExponential(2)}  ` +
              `${(elapsedMs / 1000).toFixed(1)} s`,
          ),
      },
    );
    result.optimizer.dispose();
    console.log(
      `${result.stopReason} after ${result.stepsDone} steps in ${(result.elapsedMs / 1000).toFixed(1)} s ` +
        `(${((result.stepsDone * 1000) / result.elapsedMs).toFixed(2)} steps/s)`,
    );
    if (options.priorOut !== undefined) {
      const bytes = serializePrior(prior, {
        dataset: data.name,
        seed: options.seed,
        profile: options.profile,
        steps: result.stepsDone,
      });
      writeFileSync(path.resolve(options.priorOut), bytes);
      console.log(
        `prior checkpoint: ${path.resolve(options.priorOut)} (${(bytes.byteLength / 1024).toFixed(0)} KiB)`,
      );
    }
    if (options.evaluate) {
      const tokensOf = (values: Float32Array, count: number) => {
        const split = splitTokenLogits(stage1, values, count, [1, data.length], 1);
        const lf = nearestTokens(split.lf);
        const hf = nearestTokens(split.hf);
        const out = { lf: lf.dataSync() as Int32Array, hf: hf.dataSync() as Int32Array };
        [split.lf, split.hf, lf, hf].forEach((t) => t.dispose());
        return out;
      };
      const testTokens = { ...tokensOf(flattenValues(data.test), testCount), labels: data.test.labels };
      const trainTokens = { ...tokensOf(flattenValues(data.train), trainCount), labels: data.train.labels };
      const acc = maskedTokenAccuracy(prior, testTokens, trainTokens, {
        rule: config.training.maskRule,
        rng: rng.fork('eval-mask'),
        conditional: true,
      });
      const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
      console.log(
        `masked-token accuracy on test tokens: lf ${pct(acc.lf)} (unigram ${pct(acc.unigram.lf)}, per-position ${pct(acc.positionalUnigram.lf)}), ` +
          `hf ${pct(acc.hf)} (unigram ${pct(acc.unigram.hf)}, per-position ${pct(acc.positionalUnigram.hf)})`,
      );
    }
    if (options.samples === 0) return 0;
    const started = performance.now();
    const decoded = await naiveDecode(prior, {
      count: options.samples,
      classes: options.classInputs,
      config: config.sampling,
      rng: rng.fork('sample'),
    });
    const series = await decodeSamples(stage1, decoded);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `sampled ${options.samples} series in ${seconds.toFixed(1)} s (${(options.samples / seconds).toFixed(2)} samples/s)`,
    );
    if (options.evaluate && options.classInputs !== null) {
      const trainSeries = data.train.values.map((x) => x.subarray(0, series.length));
      const predicted = nearestNeighbourLabels(trainSeries, data.train.labels, series.values);
      const correct = predicted.filter((label, i) => label === options.classInputs?.[i]).length;
      console.log(
        `1-NN (real train split) classifies ${correct}/${options.samples} = ${((100 * correct) / options.samples).toFixed(1)} % ` +
          `of the class-conditional samples as their class (chance ${(100 / data.classNames.length).toFixed(1)} %)`,
      );
    }
    if (options.out !== undefined) {
      const rows = series.values.map((values, i) => ({
        label: options.classInputs === null ? null : data.classNames[options.classInputs[i]],
        values: Array.from(inverseScaleSeries(values, data.scaling)),
      }));
      const text =
        options.format === '.json'
          ? `${JSON.stringify({ dataset: data.name, seed: options.seed, profile: options.profile, length: series.length, series: rows })}\n`
          : rows.map((r) => [r.label ?? '', ...r.values.map((v) => v.toPrecision(7))].join(',')).join('\n') +
            '\n';
      writeFileSync(options.out, text);
      console.log(`wrote ${rows.length} series to ${options.out}`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    prior.dispose();
    logits.lf.dispose();
    logits.hf.dispose();
  }
}

runMain(main, USAGE);
