/**
 * `npm run report -- --datasets GunPoint,CBF[,...] [--profile cpu] [--samples 256] [--seed 1] [--out docs/results]
 *  [--work-dir .data/report] [--notes file.md]`
 *
 * Per dataset: trains the pipeline (or reuses the checkpoints already under the work dir), generates the same number
 * of series with naive decoding and ESS from the same checkpoints and seed, unconditionally and class-conditionally,
 * evaluates them, and writes `<work-dir>/<dataset>/<profile>-seed<seed>/result-n<samples>.json` as soon as the dataset
 * is done. After every dataset it reassembles `<out>.md` and `<out>.json` from every finished dataset under the work
 * dir with the same profile, seed and sample count (so parallel processes on different datasets add up).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TRAINING_PROFILES, isTrainingProfile, prepareDataset } from '@maskgen/pipeline';
import { initTensorBackend } from '@maskgen/tensor';
import { UsageError, integerArg, parseFlags, loadDatasetArg, runMain } from './cli';
import { collectResults, renderJson, renderMarkdown } from './report/markdown';
import { runDataset } from './report/run';

const USAGE = `usage: npm run report -- --datasets <name,name,...> [--profile ${TRAINING_PROFILES.join('|')}] [--samples n]
       [--seed n] [--out path-prefix] [--work-dir dir] [--notes file.md] [--no-cas]
  --datasets  comma-separated UCR names (vendored or ../shared/data/ucr) or synthetic:<generator>
  --profile   training profile (default cpu)
  --samples   series generated per method (naive, ESS) and conditioning (default 256; ≥ 10, the IS splits)
  --seed      non-negative integer for training and sampling (default 1)
  --out       writes <out>.md and <out>.json (default docs/results)
  --work-dir  checkpoints and per-dataset results, reused by later runs (default .data/report)
  --notes     markdown appended to <out>.md as its Notes section
  --no-cas    skip CAS (it trains two FCNs per dataset on the generated series)`;

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
      out: { type: 'string', default: 'docs/results' },
      'work-dir': { type: 'string', default: '.data/report' },
      notes: { type: 'string' },
      'no-cas': { type: 'boolean', default: false },
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
  const samples = integerArg('--samples', args.samples, 10) ?? 256;
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
    (args.out === 'docs/results' ? '' : ` --out ${args.out}`) +
    (args['work-dir'] === '.data/report' ? '' : ` --work-dir ${args['work-dir']}`) +
    (args['no-cas'] === true ? ' --no-cas' : '');

  const backend = await initTensorBackend('wasm');
  const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  log(
    `report: ${names.join(', ')}; profile ${profile}, seed ${seed}, ${samples} samples; backend ${backend.backend}`,
  );
  const controller = new AbortController();
  const onSigint = (): void => {
    log('interrupt: stopping after the current step');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  mkdirSync(path.dirname(out), { recursive: true });
  const assemble = (): void => {
    const results = collectResults(workDir, profile, seed, samples);
    writeAtomic(`${out}.md`, renderMarkdown(results, notes));
    writeAtomic(`${out}.json`, renderJson(results));
    log(`wrote ${out}.md and ${out}.json (${results.length} datasets)`);
  };
  let failures = 0;
  try {
    for (const data of datasets) {
      const started = performance.now();
      try {
        await runDataset(data, {
          profile,
          seed,
          samples,
          workDir,
          command,
          cas: args['no-cas'] !== true,
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
  }
  if (!existsSync(`${out}.md`)) assemble();
  return failures === 0 ? 0 : 1;
}

runMain(main, USAGE);
