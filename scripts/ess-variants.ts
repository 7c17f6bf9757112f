/**
 * `npm run ess-variants -- --dataset ItalyPowerDemand [--profile cpu] [--seed 2] [--samples 256]
 *  [--sampling-seeds 2,3] [--variants naive,D,R,per-sample] [--critic-temperatures 4,16] [--work-dir .data/report]
 *  [--out file.json]`
 *
 * Unconditional FID of naive decoding against the ESS settings the spec names (ess.md §5.3–§5.4, §10): D
 * (keepVisible), R (keepVisible = false, the released code's behaviour and the default) and the optional per-sample
 * t*, on one trained pipeline, for several sampling seeds. The pipeline is the report's (same work dir layout): reused when
 * `npm run report` already trained it, trained here otherwise. Every variant starts from the same naive tokens of a
 * seed, so the rows of one seed differ only in what ESS does with them. `--critic-temperatures` adds D with the
 * critic's softmax over −dist/T (a study knob outside the spec, EssConfig.criticTemperature).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { type EssConfig, type SamplerMethod } from '@maskgen/model';
import {
  TRAINING_PROFILES,
  evaluateGenerated,
  isTrainingProfile,
  loadPipelineModel,
  prepareDataset,
} from '@maskgen/pipeline';
import { initTensorBackend } from '@maskgen/tensor';
import { EXPERIMENT_FLAGS, UsageError, integerArg, loadDatasetArg, parseFlags, runMain } from './cli';
import { ensurePipeline } from './report/run';

interface Variant {
  readonly name: string;
  readonly method: SamplerMethod;
  readonly ess: Partial<EssConfig>;
}

const VARIANTS: Readonly<Record<string, Variant>> = {
  naive: { name: 'naive', method: 'naive', ess: {} },
  D: { name: 'ESS D (keepVisible)', method: 'ess', ess: { variant: 'D' } },
  R: { name: 'ESS R (keepVisible = false)', method: 'ess', ess: { variant: 'R' } },
  'per-sample': { name: 'ESS D, per-sample t*', method: 'ess', ess: { variant: 'D', perSampleTStar: true } },
};

const USAGE = `usage: npm run ess-variants -- --dataset <name> [--profile ${TRAINING_PROFILES.join('|')}] [--seed n]
       [--samples n] [--sampling-seeds n,n,...] [--variants name,...] [--critic-temperatures t,...] [--work-dir dir]
       [--out file.json]
  --dataset         UCR name (vendored or ../shared/data/ucr) or synthetic:<generator>
  --profile         training profile (default cpu)
  --seed            training seed of the pipeline (default 1)
  --samples         unconditional series per variant and sampling seed (default 256; ≥ 10)
  --sampling-seeds  comma-separated sampling seeds (default: the training seed)
  --variants        comma-separated subset of ${Object.keys(VARIANTS).join(',')} (default: all)
  --critic-temperatures  comma-separated positive numbers: also run D with that critic temperature each
  --work-dir        where the report keeps its checkpoints (default .data/report)
  --out             also write the rows as JSON`;

/** Share of non-zero distances over all tokens, and the median and 90th percentile of the non-zero ones. */
function nonZeroSpread(perSample: readonly Float64Array[]): { share: number; median: number; p90: number } {
  const all = perSample.flatMap((d) => Array.from(d));
  const nonZero = all.filter((d) => d > 0).sort((a, b) => a - b);
  const at = (q: number) => (nonZero.length === 0 ? 0 : nonZero[Math.floor(q * (nonZero.length - 1))]);
  return { share: all.length === 0 ? 0 : nonZero.length / all.length, median: at(0.5), p90: at(0.9) };
}

/** Parses a comma-separated list, every item checked by `parse` (which throws a UsageError). */
function listArg<T>(raw: string, parse: (item: string) => T): T[] {
  return raw.split(',').map((item) => parse(item.trim()));
}

interface VariantRow {
  variant: string;
  samplingSeed: number;
  fid: number;
  inceptionScore: number;
  rocketFid: number;
  /** Mean raw LF critic code distance ‖e_s − e_pred‖² of the output tokens (naive's are scored too). */
  criticDistance: number;
  /** How those per-token distances spread: the share that is non-zero, and the median and 90th percentile of those. */
  nonZeroDistances: { share: number; median: number; p90: number };
  /** Distinct t* values over the samples (one unless per-sample t*). */
  tStar: number[];
  seconds: number;
}

async function main(): Promise<number> {
  const args = parseFlags(
    { ...EXPERIMENT_FLAGS, variants: { type: 'string' }, 'critic-temperatures': { type: 'string' } },
    USAGE,
  );
  if (args === undefined) return 0;
  if (args.dataset === undefined || args.dataset.trim() === '') throw new UsageError('--dataset is required');
  const profile = args.profile ?? 'cpu';
  if (!isTrainingProfile(profile)) throw new UsageError(`unknown profile '${profile}'`);
  const seed = integerArg('--seed', args.seed, 0) ?? 1;
  const samples = integerArg('--samples', args.samples, 10) ?? 256;
  const samplingSeeds = listArg(args['sampling-seeds'] ?? String(seed), (raw) =>
    integerArg('--sampling-seeds', raw, 0)!,
  );
  const variants = listArg(args.variants ?? Object.keys(VARIANTS).join(','), (key) => {
    const variant = Object.hasOwn(VARIANTS, key) ? VARIANTS[key] : undefined;
    if (variant === undefined) {
      throw new UsageError(
        `--variants: unknown variant '${key}' (one of ${Object.keys(VARIANTS).join(', ')})`,
      );
    }
    return variant;
  });
  if (args['critic-temperatures'] !== undefined) {
    for (const temperature of listArg(args['critic-temperatures'], (raw) => {
      const value = Number(raw);
      if (raw === '' || !Number.isFinite(value) || value <= 0) {
        throw new UsageError(`--critic-temperatures: '${raw}' is not a positive number`);
      }
      return value;
    })) {
      variants.push({
        name: `ESS D, critic temperature ${temperature}`,
        method: 'ess',
        ess: { variant: 'D', criticTemperature: temperature },
      });
    }
  }
  const data = prepareDataset(loadDatasetArg(args.dataset.trim(), seed));
  const workDir = path.resolve(args['work-dir'] ?? '.data/report');

  await initTensorBackend('wasm');
  const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const { checkpoints } = await ensurePipeline(data, { profile, seed, workDir, log });
  const model = loadPipelineModel(checkpoints);
  const rows: VariantRow[] = [];
  try {
    for (const samplingSeed of samplingSeeds) {
      for (const variant of variants) {
        const out = await model.generate({
          method: variant.method,
          count: samples,
          classes: null,
          seed: samplingSeed,
          ess: variant.ess,
          scoreNaive: true,
        });
        const metrics = await evaluateGenerated({
          classifier: model.classifier!,
          data,
          generated: out.scaled,
          labels: null,
          seed: samplingSeed,
        });
        const row: VariantRow = {
          variant: variant.name,
          samplingSeed,
          fid: metrics.fid,
          inceptionScore: metrics.inceptionScore,
          rocketFid: metrics.rocketFid,
          criticDistance: out.meanCriticDistance!.after,
          nonZeroDistances: nonZeroSpread(
            out.critic!.map((c) => c.scores.lf.distancesAfter ?? c.scores.lf.distancesBefore),
          ),
          tStar: out.tStar === null ? [] : [...new Set(out.tStar)].sort((a, b) => a - b),
          seconds: out.seconds,
        };
        rows.push(row);
        log(`${data.name} sampling seed ${samplingSeed}, ${variant.name}: ${JSON.stringify(row)}`);
      }
    }
  } finally {
    model.dispose();
  }

  console.log(`\n${data.name}, ${profile} profile, training seed ${seed}, ${samples} unconditional series\n`);
  console.log(
    '| sampling seed | variant | FCN FID | IS | ROCKET FID | critic distance | non-zero share, median, p90 | t* |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const critic = r.criticDistance.toFixed(2);
    const spread = r.nonZeroDistances;
    const spreadCell = `${(100 * spread.share).toFixed(0)} %, ${spread.median.toFixed(2)}, ${spread.p90.toFixed(2)}`;
    const tStar = r.tStar.length === 0 ? '–' : r.tStar.join(', ');
    console.log(
      `| ${r.samplingSeed} | ${r.variant} | ${r.fid.toFixed(2)} | ${r.inceptionScore.toFixed(2)} | ` +
        `${r.rocketFid.toFixed(2)} | ${critic} | ${spreadCell} | ${tStar} |`,
    );
  }
  if (args.out !== undefined) {
    const command =
      `npm run ess-variants -- --dataset ${data.name} --profile ${profile} --seed ${seed} --samples ${samples} ` +
      `--sampling-seeds ${samplingSeeds.join(',')}` +
      (args.variants === undefined ? '' : ` --variants ${args.variants}`) +
      (args['critic-temperatures'] === undefined
        ? ''
        : ` --critic-temperatures ${args['critic-temperatures']}`);
    writeFileSync(
      args.out,
      `${JSON.stringify({ command, dataset: data.name, profile, seed, samples, rows }, null, 2)}\n`,
    );
  }
  return 0;
}

runMain(main, USAGE);
