/**
 * `npm run report -- --datasets GunPoint,CBF[,...] [--profile cpu] [--samples 256] [--seed 1] [--sampling-seeds 1,2,3]
 *  [--out docs/results] [--work-dir .data/report] [--notes file.md]`
 *
 * Per dataset: trains the pipeline (or reuses the checkpoints already under the work dir), then for every sampling
 * seed generates the same number of series with naive decoding, ESS-R and ESS-D from the same checkpoints,
 * unconditionally and class-conditionally, on the native inference engine when it loads. The seeds are pooled: FID
 * with its mean and covariance terms, IS, the judge's class histograms, CAS, and the paired-bootstrap 95 % CI of
 * FID(naive) − FID(ESS). Each dataset's result is written under the work dir as soon as it is done, and `<out>.json`
 * keeps every finished dataset: a later run (on any clone) reads the datasets already in `<out>.json` back instead
 * of recomputing them, so the 11-dataset report can be built up over several sessions or machines.
 */
import os from 'node:os';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInferenceEngine } from '@maskgen/inference';
import { FCN_PROFILES, isFcnProfile } from '@maskgen/metrics';
import { TRAINING_PROFILES, isTrainingProfile, prepareDataset } from '@maskgen/pipeline';
import { initTensorBackend } from '@maskgen/tensor';
import { UsageError, integerArg, parseFlags, loadDatasetArg, runMain } from './cli';
import { collectResults, readPublished, renderJson, renderMarkdown } from './report/markdown';
import { DEFAULT_JUDGE, runDataset } from './report/run';

const USAGE = `usage: npm run report -- --datasets <name,name,...> [--profile ${TRAINING_PROFILES.join('|')}] [--samples n]
       [--seed n] [--sampling-seeds n,n,...] [--judge ${Object.keys(FCN_PROFILES).join('|')}] [--out path-prefix]
       [--work-dir dir] [--notes file.md] [--no-cas]
  --datasets  comma-separated UCR names (vendored or ../shared/data/ucr) or synthetic:<generator>
  --profile   training profile (default cpu)
  --samples   series per method (naive, ESS-R, ESS-D), conditioning and sampling seed (default 256; ≥ 10)
  --seed      training seed, a non-negative integer (default 1)
  --sampling-seeds  comma-separated sampling seeds, pooled per method (default 1,2,3)
  --judge     FCN profile of the judge of FID, IS and class shares, trained per dataset (default ${DEFAULT_JUDGE}: the paper's width)
  --out       writes <out>.md and <out>.json (default docs/results)
  --work-dir  checkpoints and per-dataset results, reused by later runs (default .data/report)
  --notes     markdown appended to <out>.md as its Notes section
  --no-cas    skip CAS (it trains two FCNs per dataset on the generated series)
  --threads   replica threads for data-parallel training of stage 1 and the prior (default: every core)`;

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

async function main(): Promise<number> {
  const args = parseFlags(
    {
      datasets: { type: 'string' },
      profile: { type: 'string', default: 'cpu' },
      samples: { type: 'string' },
      seed: { type: 'string' },
      'sampling-seeds': { type: 'string', default: '1,2,3' },
      judge: { type: 'string', default: DEFAULT_JUDGE },
      out: { type: 'string', default: 'docs/results' },
      'work-dir': { type: 'string', default: '.data/report' },
      notes: { type: 'string' },
      'no-cas': { type: 'boolean', default: false },
      threads: { type: 'string' },
    },
    USAGE,
  );
  if (args === undefined) return 0;
  if (args.datasets === undefined || args.datasets.trim() === '')
    throw new UsageError('--datasets is required');
  const names = [...new Set(args.datasets.split(',').map((n) => n.trim()))];
  if (names.some((n) => n === '')) throw new UsageError(`--datasets has an empty name: '${args.datasets}'`);
  const profile = args.profile ?? 'cpu';
  if (!isTrainingProfile(profile)) throw new UsageError(`unknown profile '${profile}'`);
  const seed = integerArg('--seed', args.seed, 0) ?? 1;
  const threads = integerArg('--threads', args.threads, 1) ?? os.availableParallelism();
  const samples = integerArg('--samples', args.samples, 10) ?? 256;
  const samplingSeeds = (args['sampling-seeds'] ?? '1,2,3')
    .split(',')
    .map((raw) => integerArg('--sampling-seeds', raw.trim(), 0)!);
  if (new Set(samplingSeeds).size !== samplingSeeds.length)
    throw new UsageError(`--sampling-seeds repeats a seed: '${args['sampling-seeds']}'`);
  const judge = args.judge ?? DEFAULT_JUDGE;
  if (!isFcnProfile(judge)) throw new UsageError(`unknown judge '${judge}'`);
  const out = path.resolve(args.out ?? 'docs/results');
  const workDir = path.resolve(args['work-dir'] ?? '.data/report');
  let notes = '';
  if (args.notes !== undefined) {
    try {
      notes = readFileSync(args.notes, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --notes ${args.notes}: ${(error as Error).message}`);
    }
  }
  // Resolve every name before the first (long) training starts.
  const datasets = names.map((name) => prepareDataset(loadDatasetArg(name, seed)));
  const command =
    `npm run report -- --datasets ${names.join(',')} --profile ${profile} --samples ${samples} --seed ${seed}` +
    ` --sampling-seeds ${samplingSeeds.join(',')} --judge ${judge}` +
    (args.out === 'docs/results' ? '' : ` --out ${args.out}`) +
    (args['work-dir'] === '.data/report' ? '' : ` --work-dir ${args['work-dir']}`) +
    (args['no-cas'] === true ? ' --no-cas' : '') +
    ` --threads ${threads}`;

  const backend = await initTensorBackend('wasm');
  const engine = createInferenceEngine({ preference: 'auto', warn: (m) => console.warn(m) });
  const settings = { profile, seed, samples, samplingSeeds, judge };
  // Datasets another run already published in <out>.json count as done here too.
  const published = readPublished(`${out}.json`, settings);
  const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  log(
    `report: ${names.join(', ')}; profile ${profile}, seed ${seed}, ${samples} samples x sampling seeds ` +
      `${samplingSeeds.join(',')}; training backend ${backend.backend} on ${threads} thread(s), inference ${engine.info.engine}`,
  );
  const controller = new AbortController();
  const onSigint = (): void => {
    log('interrupt: stopping after the current step');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  mkdirSync(path.dirname(out), { recursive: true });
  const assemble = (): void => {
    const fresh = collectResults(workDir, settings);
    const results = [...published.filter((p) => !fresh.some((r) => r.dataset === p.dataset)), ...fresh].sort(
      (a, b) => a.dataset.localeCompare(b.dataset),
    );
    writeAtomic(`${out}.md`, renderMarkdown(results, notes));
    writeAtomic(`${out}.json`, renderJson(results));
    log(`wrote ${out}.md and ${out}.json (${results.length} datasets)`);
  };
  let failures = 0;
  try {
    for (const data of datasets) {
      const started = performance.now();
      if (published.some((r) => r.dataset === data.name)) {
        log(`${data.name}: already in ${out}.json`);
        continue;
      }
      try {
        await runDataset(data, {
          ...settings,
          engine,
          workDir,
          command,
          cas: args['no-cas'] !== true,
          threads,
          signal: controller.signal,
          log,
        });
        log(`${data.name}: finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
      } catch (error) {
        if (controller.signal.aborted) throw error;
        failures++;
        log(
          `${data.name}: FAILED ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      }
      assemble();
    }
  } finally {
    process.off('SIGINT', onSigint);
    await engine.close();
  }
  // Also when every dataset was already published: the files then reflect the current renderer.
  assemble();
  return failures === 0 ? 0 : 1;
}

runMain(main, USAGE);
