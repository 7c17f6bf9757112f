/**
 * `npm run class-balance -- --dataset GunPoint [--profile cpu] [--seed 1] [--samples 256] [--sampling-seeds 1,2,3]
 *  [--variants naive,mixture,...] [--choice-temperatures 4,8] [--work-dir .data/report] [--out file.json]`
 *
 * Why do unconditional samples over-represent one class (ess.md §10, issue 11)? Samples the report's trained
 * pipeline (same work dir layout; trained when missing) several ways and prints, per sampling seed and pooled, the
 * judge's predicted-class histogram of the samples against the real test split's, its total-variation distance and
 * the FID with its mean and covariance terms:
 * - `naive`: the null-class ("unconditional") branch, the paper's unconditional setting;
 * - `mixture`: a class drawn per sample from the training split's class shares, then the class branch;
 * - `conditional`: the class branch at the training shares, interleaved (per-class accuracy of the judge too);
 * - `--choice-temperatures`: the naive row again at other choice temperatures τ.
 * Before the rows, where the class gets lost: the judge's accuracy on the test split decoded from stage 1's nearest
 * (the ceiling a prior can reach) and stochastic tokens, from real LF tokens with HF drawn by the prior, and from LF drawn by the prior (true class)
 * with the real HF tokens.
 */
import { writeFileSync } from 'node:fs';
import { SAMPLER_METHODS } from '@maskgen/contracts';
import { createInferenceEngine } from '@maskgen/inference';
import { classHistogram, predictedClasses } from '@maskgen/metrics';
import {
  PIPELINE_PROFILES,
  TRAINING_PROFILES,
  evaluateGenerated,
  isTrainingProfile,
  loadPipelineModel,
  prepareDataset,
} from '@maskgen/pipeline';
import {
  type PriorConfig,
  TimeVQVAE,
  decodeBranchNaive,
  deserializePrior,
  sampleTokens,
  splitTokenLogits,
} from '@maskgen/model';
import { SeededRng, initTensorBackend } from '@maskgen/tensor';
import * as tf from '@tensorflow/tfjs-core';
import {
  EXPERIMENT_FLAGS,
  UsageError,
  integerArg,
  loadDatasetArg,
  numberArg,
  parseFlags,
  runMain,
} from './cli';
import { conditionalClasses, ensurePipeline } from './report/run';

const USAGE = `usage: npm run class-balance -- --dataset <name> [--profile ${TRAINING_PROFILES.join('|')}] [--seed n]
       [--samples n] [--sampling-seeds n,...] [--variants naive,mixture,conditional] [--choice-temperatures t,...]
       [--method naive|ess] [--guidance w] [--work-dir dir] [--out file.json]
  --choice-temperatures, --guidance  numbers ≥ 0 (spec defaults τ = 4, w = 1); they apply to the sampled rows, not to
                                     the token-source rows printed first, which keep the profile's sampling settings`;

type Variant = 'naive' | 'mixture' | 'conditional';

interface Row {
  readonly variant: string;
  readonly seed: number;
  readonly fid: number;
  readonly meanTerm: number;
  readonly covarianceTerm: number;
  readonly histogram: readonly number[];
  readonly realHistogram: readonly number[];
  readonly totalVariation: number;
  /** Conditional rows: share of samples the judge assigns to the class they were drawn for. */
  readonly classAccuracy: number | null;
}

type Judge = (name: string, values: Float32Array) => Promise<void>;

/**
 * Which stage loses the class: decodes the test split (`flat`, scaled) from stage 1's own tokens (nearest codes, the
 * ceiling a prior can reach, and stochastic ones) and from grids mixing them with the prior's (one branch drawn by
 * naive decoding with the true class, the other real), and judges each.
 */
async function judgeTokenSources(
  checkpoints: { stage1: Uint8Array; prior: Uint8Array },
  data: ReturnType<typeof prepareDataset>,
  flat: Float32Array,
  sampling: PriorConfig['sampling'],
  judge: Judge,
): Promise<void> {
  const stage1 = TimeVQVAE.deserialize(checkpoints.stage1);
  const { prior } = deserializePrior(checkpoints.prior);
  const m = data.evalTest.values.length;
  const logits = splitTokenLogits(stage1, flat, m, [1, data.outputLength], 1);
  const rng = new SeededRng(1).fork('attribution');
  const series = tf.tensor3d(flat, [m, 1, data.outputLength]);
  const grids = {
    nearest: stage1.encode(series),
    stochastic: { lf: sampleTokens(logits.lf, rng.fork('lf')), hf: sampleTokens(logits.hf, rng.fork('hf')) },
  };
  const common = {
    batch: m,
    classes: Int32Array.from(data.evalTest.labels),
    config: sampling,
    guide: false,
    firstIndex: 0,
  };
  const lf = await decodeBranchNaive(prior.lf, { ...common, rng: rng.fork('prior-lf') });
  const hf = await decodeBranchNaive(prior.hf, {
    ...common,
    lfIds: grids.nearest.lf.dataSync() as Int32Array,
    rng: rng.fork('prior-hf'),
  });
  const priorLf = tf.tensor2d(lf.ids, [m, lf.tokens], 'int32');
  const priorHf = tf.tensor2d(hf.ids, [m, hf.tokens], 'int32');
  const decoded = (tokens: { lf: tf.Tensor2D; hf: tf.Tensor2D }): Float32Array =>
    tf.tidy(() => stage1.decode(tokens).dataSync() as Float32Array);
  try {
    await judge('stage-1 reconstruction', decoded(grids.nearest));
    await judge('stage-1 stochastic tokens', decoded(grids.stochastic));
    await judge('real LF + prior HF', decoded({ lf: grids.nearest.lf, hf: priorHf }));
    await judge('prior LF + real HF', decoded({ lf: priorLf, hf: grids.nearest.hf }));
  } finally {
    tf.dispose([
      logits.lf,
      logits.hf,
      priorLf,
      priorHf,
      series,
      ...Object.values(grids).flatMap((g) => [g.lf, g.hf]),
    ]);
    prior.dispose();
    stage1.dispose();
  }
}

function mixtureClasses(trainLabels: Int32Array, count: number, seed: number): Int32Array {
  const rng = new SeededRng(seed).fork('mixture-classes');
  return Int32Array.from({ length: count }, () => trainLabels[Math.floor(rng.next() * trainLabels.length)]);
}

async function main(): Promise<number> {
  const args = parseFlags(
    {
      ...EXPERIMENT_FLAGS,
      variants: { type: 'string', default: 'naive,mixture,conditional' },
      'choice-temperatures': { type: 'string' },
      method: { type: 'string', default: 'naive' },
      guidance: { type: 'string', default: '1' },
    },
    USAGE,
  );
  if (args === undefined) return 0;
  if (args.dataset === undefined) throw new UsageError('--dataset is required');
  const profile = args.profile ?? 'cpu';
  if (!isTrainingProfile(profile)) throw new UsageError(`unknown profile '${profile}'`);
  const method = SAMPLER_METHODS.find((m) => m === (args.method ?? 'naive'));
  if (method === undefined) {
    throw new UsageError(`--method must be one of ${SAMPLER_METHODS.join(', ')}, got '${args.method}'`);
  }
  const guidance = numberArg('--guidance', args.guidance ?? '1');
  const seed = integerArg('--seed', args.seed, 0) ?? 1;
  const samples = integerArg('--samples', args.samples, 10) ?? 256;
  const samplingSeeds = (args['sampling-seeds'] ?? '1,2,3')
    .split(',')
    .map((s) => integerArg('--sampling-seeds', s, 0)!);
  const variants = (args.variants ?? '').split(',').filter((v) => v !== '') as Variant[];
  for (const v of variants) {
    if (!['naive', 'mixture', 'conditional'].includes(v)) throw new UsageError(`unknown variant '${v}'`);
  }
  const temperatures = (args['choice-temperatures'] ?? '')
    .split(',')
    .filter((t) => t !== '')
    .map((t) => numberArg('--choice-temperatures', t));
  await initTensorBackend('wasm');
  const data = prepareDataset(loadDatasetArg(args.dataset, seed));
  const { checkpoints } = await ensurePipeline(data, {
    profile,
    seed,
    workDir: args['work-dir'] ?? '.data/report',
    log: (l) => console.log(l),
  });
  const engine = createInferenceEngine({ preference: 'auto', warn: (m) => console.warn(m) });
  const model = loadPipelineModel(checkpoints, { engine });
  const featurizer = (await model.featurizer()) ?? undefined;
  const rows: Row[] = [];
  // How the judge sees the real test split, then the same series through stage 1 and the prior.
  {
    const test = data.evalTest;
    const k = data.classNames.length;
    const judge: Judge = async (name, values) => {
      const p = await featurizer!.inferAsync(values, test.values.length);
      const predicted = predictedClasses(p.probabilities, test.values.length, k);
      const hist = classHistogram(predicted, k);
      const hits = predicted.filter((c, i) => c === test.labels[i]).length;
      console.log(
        `${name}: judge accuracy ${(hits / test.values.length).toFixed(3)} predicted ${hist.join('/')}`,
      );
    };
    const flat = Float32Array.from(test.values.flatMap((v) => Array.from(v)));
    await judge('real test', flat);
    await judgeTokenSources(checkpoints, data, flat, PIPELINE_PROFILES[profile].prior.sampling, judge);
  }
  const cases: { name: string; variant: Variant; choiceTemperature?: number }[] = [
    ...variants.map((variant) => ({ name: variant, variant })),
    ...temperatures.map((t) => ({ name: `naive τ=${t}`, variant: 'naive' as const, choiceTemperature: t })),
  ];
  try {
    for (const c of cases) {
      for (const s of samplingSeeds) {
        const classes =
          c.variant === 'naive'
            ? null
            : c.variant === 'mixture'
              ? mixtureClasses(data.train.labels, samples, s)
              : conditionalClasses(data, samples);
        const out = await model.generate({
          method,
          count: samples,
          classes,
          seed: s,
          sampling: {
            guidanceScale: guidance,
            ...(c.choiceTemperature === undefined ? {} : { choiceTemperature: c.choiceTemperature }),
          },
        });
        const m = await evaluateGenerated({
          classifier: model.classifier!,
          featurizer,
          data,
          generated: out.scaled,
          seed: s,
        });
        let classAccuracy: number | null = null;
        if (c.variant === 'conditional' && classes !== null) {
          const predicted = await featurizer!.inferAsync(
            Float32Array.from(out.scaled.flatMap((x) => Array.from(x))),
            out.scaled.length,
          );
          const k = data.classNames.length;
          const judged = predictedClasses(predicted.probabilities, classes.length, k);
          classAccuracy = judged.filter((c, i) => c === classes[i]).length / classes.length;
        }
        const row: Row = {
          variant: c.name,
          seed: s,
          fid: m.fid,
          meanTerm: m.fidTerms.meanTerm,
          covarianceTerm: m.fidTerms.covarianceTerm,
          histogram: m.classHistograms.generated,
          realHistogram: m.classHistograms.real,
          totalVariation: m.classHistograms.totalVariation,
          classAccuracy,
        };
        rows.push(row);
        console.log(
          `${c.name.padEnd(12)} seed ${s}: FID ${row.fid.toFixed(2)} (${row.meanTerm.toFixed(2)} / ${row.covarianceTerm.toFixed(2)}) ` +
            `hist ${row.histogram.map((h) => h.toFixed(2)).join('/')} real ${row.realHistogram.map((h) => h.toFixed(2)).join('/')} ` +
            `TV ${row.totalVariation.toFixed(3)}${classAccuracy === null ? '' : ` acc ${classAccuracy.toFixed(3)}`}` +
            ` ref ${m.referenceFid.fid.toFixed(2)} (${m.referenceFid.meanTerm.toFixed(2)} / ${m.referenceFid.covarianceTerm.toFixed(2)})`,
        );
      }
    }
  } finally {
    model.dispose();
    await engine.close();
  }
  if (args.out !== undefined) writeFileSync(args.out, `${JSON.stringify(rows, null, 2)}\n`);
  return 0;
}

runMain(main, USAGE);
