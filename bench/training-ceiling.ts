/**
 * Child of the training bench's ceiling case: times one single-thread training (N=1) of a cpu-profile case at a
 * given batch and prints its median step time in ms as the last line. Several run at once to measure how much two
 * cores give independent work on this machine (bench/suites/training.ts, concurrentSingleThreadMs).
 * usage: node --require @swc-node/register bench/training-ceiling.ts stage1|prior <case label> <rows> quick|full
 */
import { SeededRng, initTensorBackend } from '@maskgen/tensor';
import { PRIOR_CASES, STAGE1_CASES, median, setQuick, timePrior, timeStage1 } from './suites/training';

async function main(): Promise<void> {
  const [stage, label, rowsArg, mode] = process.argv.slice(2);
  const rows = Number(rowsArg);
  if ((stage !== 'stage1' && stage !== 'prior') || !Number.isInteger(rows) || rows < 1) {
    throw new Error(
      `usage: training-ceiling.ts stage1|prior <label> <rows> quick|full, got ${process.argv.slice(2).join(' ')}`,
    );
  }
  setQuick(mode === 'quick');
  await initTensorBackend('wasm');
  const rng = new SeededRng(`ceiling/${stage}/${label}`);
  const times =
    stage === 'stage1'
      ? await timeStage1(pick(STAGE1_CASES, label, rows, mode === 'quick'), 1, rng)
      : await timePrior(pick(PRIOR_CASES, label, rows, mode === 'quick'), 1, rng);
  // stepTimes returns them sorted, as the suite's own median needs.
  process.stdout.write(`${JSON.stringify(median(times))}\n`);
}

function pick<C extends { readonly label: string; readonly batch: number; readonly steps: number }>(
  cases: readonly C[],
  label: string,
  rows: number,
  quick: boolean,
): C {
  const found = cases.find((c) => c.label === label);
  if (found === undefined) throw new Error(`no case '${label}'`);
  return { ...found, batch: rows, steps: quick ? 1 : found.steps, microBatch: undefined };
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
