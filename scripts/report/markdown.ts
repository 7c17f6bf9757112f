/** Assembles docs/results.md and docs/results.json from the finished dataset results (work dir and published). */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { type FcnProfile } from '@maskgen/metrics';
import { type TrainingProfile } from '@maskgen/pipeline';
import {
  type Conditioning,
  type DatasetResult,
  ESS_METHODS,
  type EssMethod,
  type FidDifference,
  type MethodResult,
  RESULT_VERSION,
  readResult,
  resultPath,
  runDir,
} from './run';

/**
 * Naive TimeVQVAE FID (mean ± std over runs) of the AISTATS 2023 paper, as listed in ../shared/docs/ess.md §7 —
 * computed with the authors' FCN weights, so only the order of magnitude is comparable.
 */
export const PAPER_NAIVE_FID: Readonly<Record<string, string>> = {
  GunPoint: '0.8 ± 0.4',
  ItalyPowerDemand: '1.6 ± 0.4',
  ArrowHead: '2.0 ± 0.3',
  ECG200: '1.9 ± 0.3',
  CBF: '2.3 ± 0.4',
  Coffee: '0.3 ± 0.2',
  SyntheticControl: '3.7 ± 0.9',
  Beef: '1.8 ± 0.2',
  SonyAIBORobotSurface1: '8.8 ± 1.8',
  SonyAIBORobotSurface2: '1.4 ± 0.3',
  Strawberry: '0.4 ± 0.1',
};

export interface ReportSettings {
  readonly profile: TrainingProfile;
  readonly seed: number;
  readonly samples: number;
  readonly samplingSeeds: readonly number[];
  /** Profile of the FCN that judged FID, IS and the class histograms. */
  readonly judge: FcnProfile;
}

function matches(r: DatasetResult, s: ReportSettings): boolean {
  return (
    r.version === RESULT_VERSION &&
    r.profile === s.profile &&
    r.seed === s.seed &&
    r.samples === s.samples &&
    r.samplingSeeds.join(',') === s.samplingSeeds.join(',') &&
    r.judge.profile === s.judge
  );
}

/** Finished results for these settings, one per dataset directory, sorted by dataset name. */
export function collectResults(workDir: string, settings: ReportSettings): DatasetResult[] {
  if (!existsSync(workDir)) return [];
  const out: DatasetResult[] = [];
  for (const entry of readdirSync(workDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(workDir, entry.name, `${settings.profile}-seed${settings.seed}`);
    const result = readResult(resultPath(dir, settings.samples, settings.samplingSeeds, settings.judge));
    if (
      result !== undefined &&
      matches(result, settings) &&
      runDir(workDir, result.dataset, settings.profile, settings.seed) === dir
    ) {
      out.push(result);
    }
  }
  return out.sort((a, b) => a.dataset.localeCompare(b.dataset));
}

/** The datasets of a published `<out>.json` made with these settings (none when absent, unreadable or other). */
export function readPublished(file: string, settings: ReportSettings): DatasetResult[] {
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { datasets?: DatasetResult[] };
    return (parsed.datasets ?? []).filter((r) => matches(r, settings));
  } catch {
    return [];
  }
}

/** A table cell: the number to `digits` places, or '–' when absent or not finite. */
export const f = (x: number | undefined | null, digits = 2): string =>
  x === undefined || x === null || !Number.isFinite(x) ? '–' : x.toFixed(digits);

/** Verdict of a naive − ESS FID difference from its CI: ESS better/worse only when the CI excludes 0. */
export function verdict(d: FidDifference): 'ESS better' | 'ESS worse' | 'no clear difference' {
  if (d.low > 0) return 'ESS better';
  if (d.high < 0) return 'ESS worse';
  return 'no clear difference';
}

export interface ReportSummary {
  readonly datasets: number;
  /** Per conditioning and ESS variant: datasets where the CI of FID(naive) − FID(ESS) lies above / below 0. */
  readonly essBetter: Record<Conditioning, Record<EssMethod, number>>;
  readonly essWorse: Record<Conditioning, Record<EssMethod, number>>;
  /** Datasets where the unconditional naive samples' class histogram is within TV 0.15 of the real one. */
  readonly naiveClassBalanced: number;
}

export function summarize(results: readonly DatasetResult[]): ReportSummary {
  const count = (cond: Conditioning, method: EssMethod, v: ReturnType<typeof verdict>) =>
    results.filter((r) => verdict(r.results[cond].naiveMinusEss[method]) === v).length;
  const per = (v: ReturnType<typeof verdict>) => ({
    unconditional: { R: count('unconditional', 'R', v), D: count('unconditional', 'D', v) },
    conditional: { R: count('conditional', 'R', v), D: count('conditional', 'D', v) },
  });
  return {
    datasets: results.length,
    essBetter: per('ESS better'),
    essWorse: per('ESS worse'),
    naiveClassBalanced: results.filter((r) => r.results.unconditional.methods.naive.totalVariation <= 0.15)
      .length,
  };
}

const fid = (m: MethodResult) => `${f(m.fid)} (${f(m.meanTerm)} / ${f(m.covarianceTerm)})`;
const ci = (d: FidDifference) => `${f(d.difference)} [${f(d.low)}, ${f(d.high)}]`;
const shares = (h: readonly number[]) => h.map((x) => f(x, 2)).join('/');

function tStarCell(t: readonly number[] | null): string {
  if (t === null || t.length === 0) return '–';
  const sorted = [...t].sort((a, b) => a - b);
  return `${sorted[Math.floor((sorted.length - 1) / 2)]} [${sorted[0]}–${sorted[sorted.length - 1]}]`;
}

/** Plain sentences for every dataset/conditioning/variant where ESS has the higher FID, with its diagnostics. */
export function losses(results: readonly DatasetResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    for (const cond of ['unconditional', 'conditional'] as const) {
      const c = r.results[cond];
      for (const method of ESS_METHODS) {
        const d = c.naiveMinusEss[method];
        if (!(d.difference < 0)) continue;
        const m = c.methods[method];
        const n = c.methods.naive;
        const fpr = r.stages.critic.metrics.criticFalsePositiveRate;
        out.push(
          `- **${r.dataset}, ${cond}, ESS-${method}**: FID ${f(n.fid)} → ${f(m.fid)} ` +
            `(${verdict(d) === 'ESS worse' ? 'worse, the CI excludes 0' : 'within noise'}: ${ci(d)}). ` +
            `Mean term ${f(n.meanTerm)} → ${f(m.meanTerm)}, cov term ${f(n.covarianceTerm)} → ${f(m.covarianceTerm)}; ` +
            `class TV ${f(n.totalVariation, 3)} → ${f(m.totalVariation, 3)}; critic distance ` +
            `${f(n.criticDistance)} → ${f(m.criticDistance)} with ${f((m.worseShare ?? Number.NaN) * 100, 0)} % of ` +
            `samples scored worse; t* ${tStarCell(m.tStar)}` +
            (fpr === undefined ? '' : `; the critic flags ${f(fpr * 100, 1)} % of real test tokens`) +
            '.',
        );
      }
    }
  }
  return out;
}

/** The markdown body of docs/results.md (deterministic for the same results). */
export function renderMarkdown(results: readonly DatasetResult[], notes = ''): string {
  const lines: string[] = [];
  const s = summarize(results);
  // A process records its whole command line, which may name datasets it was stopped before reaching: say which
  // datasets each command produced.
  const commands = new Map<string, string[]>();
  for (const r of results) commands.set(r.command, [...(commands.get(r.command) ?? []), r.dataset]);
  lines.push('# Naive vs ESS-R vs ESS-D: evaluation report');
  lines.push('');
  lines.push(
    'Generated by `npm run report` (scripts/report.ts, libs/pipeline). Per dataset the four pipeline stages are ' +
      'trained once (stage 1, prior, critic calibration, evaluation FCN), and so is the judge: an FCN of a named ' +
      'profile (the paper-width `spec` FCN of ess.md §7 by default) trained on the real train split. For every ' +
      'sampling seed, naive decoding, ' +
      'ESS with the released resampling (R, the default) and ESS with keep-visible resampling (D) generate the same ' +
      'number of series from the same checkpoints; ESS refines exactly the naive LF tokens of that seed. This is done ' +
      'unconditionally and class-conditionally (classes in training-split proportions). The seeds are pooled ' +
      '(ess.md §7 as corrected by §10): FID against the **whole** real test split with its mean and covariance ' +
      "terms, IS, the judge's predicted-class shares and their total-variation distance (TV) from the real test " +
      "split's, CAS (conditional), ROCKET FID, the mean raw LF self-critic code distance and t*. " +
      '"naive − ESS" is FID(naive) − FID(ESS) with its paired-bootstrap 95 % CI over (seed, index) pairs: ' +
      'positive means ESS is closer to the real data, and a CI that excludes 0 is the only thing called a gain or ' +
      'a loss. Lower FID / ROCKET FID / TV / critic distance are better; higher IS / CAS are better.',
  );
  lines.push('');
  lines.push('Command(s):');
  lines.push('');
  lines.push('```sh');
  for (const [command, datasets] of commands) lines.push(`# ${datasets.join(', ')}`, command);
  lines.push('```');
  lines.push('');
  if (results.length === 0) {
    lines.push('No dataset finished yet.');
    return `${lines.join('\n')}\n`;
  }
  const settings = [
    ...new Set(
      results.map(
        (r) =>
          `profile \`${r.profile}\`, training seed ${r.seed}, sampling seeds ${r.samplingSeeds.join(', ')} × ` +
          `${r.samples} series per method and conditioning, judge: the \`${r.judge.profile}\` FCN ` +
          `(filters ${r.judge.filters.join('-')}, ${r.judge.epochs} epochs), CAS classifier: the ` +
          `\`${r.casClassifier.profile}\` FCN (filters ${r.casClassifier.filters.join('-')}, ` +
          `${r.casClassifier.epochs} epochs), inference on ${r.engine}`,
      ),
    ),
  ];
  lines.push(`Settings: ${settings.join('; ')}.`);
  lines.push('');
  lines.push(
    `**Summary** (${s.datasets} datasets). FID, CI excluding 0: ESS-R better on ` +
      `${s.essBetter.unconditional.R} and worse on ${s.essWorse.unconditional.R} unconditionally, better on ` +
      `${s.essBetter.conditional.R} and worse on ${s.essWorse.conditional.R} class-conditionally; ESS-D better on ` +
      `${s.essBetter.unconditional.D} / worse on ${s.essWorse.unconditional.D} unconditionally, better on ` +
      `${s.essBetter.conditional.D} / worse on ${s.essWorse.conditional.D} class-conditionally. Unconditional ` +
      `naive samples are class-balanced (TV ≤ 0.15 from the real test split) on ${s.naiveClassBalanced} of ` +
      `${s.datasets}.`,
  );
  for (const cond of ['unconditional', 'conditional'] as const) {
    lines.push('');
    lines.push(`## FID, ${cond} (FID (mean term / cov term); naive − ESS [95 % CI])`);
    lines.push('');
    lines.push(
      '| dataset | n | real train vs test | naive | ESS-R | naive − R | ESS-D | naive − D | paper naive FID (AISTATS, their FCN) |',
    );
    lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      const c = r.results[cond];
      lines.push(
        `| ${r.dataset} | ${c.methods.naive.count} | ${f(r.reference.fid)} (${f(r.reference.meanTerm)} / ` +
          `${f(r.reference.covarianceTerm)}) | ${fid(c.methods.naive)} | ${fid(c.methods.R)} | ` +
          `${ci(c.naiveMinusEss.R)} | ${fid(c.methods.D)} | ${ci(c.naiveMinusEss.D)} | ` +
          `${PAPER_NAIVE_FID[r.dataset] ?? '–'} |`,
      );
    }
  }
  lines.push('');
  lines.push('## Predicted classes (shares in class order; TV from the real test split)');
  lines.push('');
  lines.push('| dataset | conditioning | real test | naive | ESS-R | ESS-D |');
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    for (const cond of ['unconditional', 'conditional'] as const) {
      const m = r.results[cond].methods;
      const cell = (x: MethodResult) => `${shares(x.classHistogram)} (${f(x.totalVariation, 3)})`;
      lines.push(
        `| ${r.dataset} | ${cond} | ${shares(r.reference.classHistogram)} | ${cell(m.naive)} | ${cell(m.R)} | ${cell(m.D)} |`,
      );
    }
  }
  lines.push('');
  lines.push('## Other metrics (naive / ESS-R / ESS-D)');
  lines.push('');
  lines.push(
    '| dataset | conditioning | IS (real) | ROCKET FID | critic distance | samples worse under ESS (R / D) | CAS | t* R, D: median [range] | generation s |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    for (const cond of ['unconditional', 'conditional'] as const) {
      const { naive, R, D } = r.results[cond].methods;
      const three = (pick: (m: MethodResult) => number | undefined | null, digits = 2) =>
        [naive, R, D].map((m) => f(pick(m), digits)).join(' / ');
      lines.push(
        `| ${r.dataset} | ${cond} | ${three((m) => m.inceptionScore)} (${f(r.reference.inceptionScore)}) | ` +
          `${three((m) => m.rocketFid)} | ${three((m) => m.criticDistance)} | ` +
          `${f((R.worseShare ?? Number.NaN) * 100, 0)} % / ${f((D.worseShare ?? Number.NaN) * 100, 0)} % | ` +
          `${cond === 'conditional' ? three((m) => m.cas, 3) : '–'} | ${tStarCell(R.tStar)}, ${tStarCell(D.tStar)} | ` +
          `${three((m) => m.generateSeconds, 0)} |`,
      );
    }
  }
  lines.push('');
  lines.push('## Training');
  lines.push('');
  lines.push(
    '| dataset | train / test, L, classes | judge test acc. | stage-1 test MSE | prior loss | critic distance real / 20 % replaced | critic false positives on real tokens | training s (stage 1, prior, critic, pipeline FCN, judge) | dataset wall s |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const st = r.stages;
    const fpr = st.critic.metrics.criticFalsePositiveRate;
    lines.push(
      `| ${r.dataset} | ${r.data.train} / ${r.data.test}, ${r.data.length}, ${r.data.classes} | ` +
        `${f(r.judgeTraining.metrics.testAccuracy, 3)} | ${f(st.stage1.metrics.testMse, 4)} | ${f(st.prior.metrics.loss, 3)} | ` +
        `${f(st.critic.metrics.criticRealDistance)} / ${f(st.critic.metrics.criticCorruptedDistance)} | ` +
        `${fpr === undefined ? '–' : `${f(fpr * 100, 1)} %`} | ` +
        `${[st.stage1, st.prior, st.critic, st.classifier, r.judgeTraining].map((x) => f(x.metrics.seconds, 0)).join(', ')} | ` +
        `${f(r.seconds, 0)} |`,
    );
  }
  lines.push('');
  lines.push(
    "Critic distance for naive is the ESS run's score of its starting tokens s_T, which are the naive samples of " +
      'the same seed. Times are wall-clock seconds on the machine the command ran on, with other jobs sharing it; ' +
      'reused stages keep the seconds of the run that trained them.',
  );
  const lost = losses(results);
  lines.push('');
  lines.push('## Where ESS loses');
  lines.push('');
  if (lost.length === 0) lines.push('Nowhere in these datasets: every ESS FID is at most the naive one.');
  else lines.push(...lost);
  if (notes.trim().length > 0) {
    lines.push('');
    lines.push('## Notes');
    lines.push('');
    lines.push(notes.trim());
  }
  return `${lines.join('\n')}\n`;
}

export function renderJson(results: readonly DatasetResult[]): string {
  return `${JSON.stringify({ summary: summarize(results), paperNaiveFid: PAPER_NAIVE_FID, datasets: results }, null, 2)}\n`;
}
