/**
 * The §8.10 quality trend (ess.md): naive vs ESS FCN FID over every (dataset, training seed) pair of one or more
 * report JSON files, per conditioning, as a majority count and a median relative change.
 */
import { f } from './markdown';
import { type Conditioning, type DatasetResult } from './run';

export const CONDITIONINGS: readonly Conditioning[] = ['unconditional', 'conditional'];

/** §8.10 asks for at least this many datasets, each with at least this many seeds. */
export const TREND_MIN_DATASETS = 5;
export const TREND_MIN_SEEDS = 3;

export interface TrendPair {
  readonly dataset: string;
  readonly seed: number;
  /** Series on each side of the FID. */
  readonly n: number;
  readonly naiveFid: number;
  readonly essFid: number;
  /** (ESS − naive) / naive. */
  readonly change: number;
  readonly naiveIs: number;
  readonly essIs: number;
  readonly tStar: number | null;
}

/** One dataset over its training seeds. */
export interface TrendDataset {
  readonly dataset: string;
  readonly seeds: number;
  readonly essBetter: number;
  /** Median over the seeds of (ESS − naive) / naive. */
  readonly medianChange: number;
}

export interface TrendSummary {
  readonly conditioning: Conditioning;
  readonly pairs: number;
  /** Pairs where ESS has the lower FCN FID. */
  readonly essBetter: number;
  readonly medianChange: number;
  /** Pairs where ESS has the lower IS. */
  readonly isLower: number;
  /** Two-sided sign test on essBetter out of pairs (ties count against ESS): how surprising the count is under "no effect". */
  readonly signTestP: number;
  readonly majorityImproves: boolean;
  readonly medianImproves: boolean;
  /** §8.10's "on most datasets": per dataset, the median change over its seeds. */
  readonly datasets: TrendDataset[];
  /** Datasets whose median change is negative. */
  readonly datasetsImproved: number;
}

export interface Trend {
  readonly pairs: Record<Conditioning, TrendPair[]>;
  readonly summaries: TrendSummary[];
  /** Training seeds per dataset, sorted. */
  readonly seeds: Record<string, number[]>;
  /** Datasets with at least TREND_MIN_SEEDS seeds; §8.10's coverage holds when there are TREND_MIN_DATASETS. */
  readonly covered: string[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Two-sided exact binomial test of k successes in n at p = ½. */
export function signTest(k: number, n: number): number {
  if (n === 0) return 1;
  const pmf: number[] = [];
  let c = 1; // C(n, i)
  for (let i = 0; i <= n; i++) {
    pmf.push(c / 2 ** n);
    c = (c * (n - i)) / (i + 1);
  }
  const observed = pmf[k];
  // Sum the probabilities of outcomes no more likely than the observed one (the usual two-sided definition).
  const p = pmf.filter((q) => q <= observed * (1 + 1e-12)).reduce((a, b) => a + b, 0);
  return Math.min(1, p);
}

/** Pairs and summaries from report results; refuses the same (dataset, seed) twice, as it would count double. */
export function computeTrend(results: readonly DatasetResult[]): Trend {
  const seen = new Set<string>();
  for (const r of results) {
    const key = `${r.dataset} seed ${r.seed}`;
    if (seen.has(key)) throw new RangeError(`${key} appears twice; pass each (dataset, seed) pipeline once`);
    seen.add(key);
  }
  const sorted = [...results].sort((a, b) => a.dataset.localeCompare(b.dataset) || a.seed - b.seed);
  const pairs = {} as Record<Conditioning, TrendPair[]>;
  const summaries: TrendSummary[] = [];
  for (const conditioning of CONDITIONINGS) {
    pairs[conditioning] = sorted.map((r) => {
      // ESS here is the default, released resampling (R).
      const { naive, R: ess } = r.results[conditioning].methods;
      return {
        dataset: r.dataset,
        seed: r.seed,
        n: ess.count,
        naiveFid: naive.fid,
        essFid: ess.fid,
        change: (ess.fid - naive.fid) / naive.fid,
        naiveIs: naive.inceptionScore,
        essIs: ess.inceptionScore,
        tStar: ess.tStar === null || ess.tStar.length === 0 ? null : ess.tStar[0],
      };
    });
    const list = pairs[conditioning];
    const essBetter = list.filter((p) => p.essFid < p.naiveFid).length;
    const medianChange = median(list.map((p) => p.change));
    const datasets = [...new Set(list.map((p) => p.dataset))].map((dataset) => {
      const own = list.filter((p) => p.dataset === dataset);
      return {
        dataset,
        seeds: own.length,
        essBetter: own.filter((p) => p.essFid < p.naiveFid).length,
        medianChange: median(own.map((p) => p.change)),
      };
    });
    summaries.push({
      conditioning,
      pairs: list.length,
      essBetter,
      medianChange,
      isLower: list.filter((p) => p.essIs < p.naiveIs).length,
      signTestP: signTest(essBetter, list.length),
      majorityImproves: essBetter * 2 > list.length,
      medianImproves: medianChange < 0,
      datasets,
      datasetsImproved: datasets.filter((d) => d.medianChange < 0).length,
    });
  }
  const seeds: Record<string, number[]> = {};
  for (const r of sorted) (seeds[r.dataset] ??= []).push(r.seed);
  const covered = Object.keys(seeds).filter((d) => seeds[d].length >= TREND_MIN_SEEDS);
  return { pairs, summaries, seeds, covered };
}

const pct = (x: number): string => `${x > 0 ? '+' : ''}${(100 * x).toFixed(0)} %`;
const yes = (b: boolean): string => (b ? 'yes' : 'no');

/** Markdown: one table per conditioning (better FID in bold), then the summary and §8.10's coverage. */
export function renderTrend(trend: Trend): string {
  const lines: string[] = [];
  for (const conditioning of CONDITIONINGS) {
    lines.push(`**${conditioning}**`, '');
    lines.push(
      '| dataset | training seed | n | FCN FID naive | FCN FID ESS | change | IS naive / ESS | t\\* |',
    );
    lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const p of trend.pairs[conditioning]) {
      const naive = p.naiveFid <= p.essFid ? `**${f(p.naiveFid)}**` : f(p.naiveFid);
      const ess = p.essFid < p.naiveFid ? `**${f(p.essFid)}**` : f(p.essFid);
      lines.push(
        `| ${p.dataset} | ${p.seed} | ${p.n} | ${naive} | ${ess} | ${pct(p.change)} | ` +
          `${f(p.naiveIs)} / ${f(p.essIs)} | ${p.tStar ?? '–'} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    '| conditioning | pairs | ESS lower FID | median change | sign test p | majority improves | median improves | ESS lower IS |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of trend.summaries) {
    lines.push(
      `| ${s.conditioning} | ${s.pairs} | ${s.essBetter} | ${pct(s.medianChange)} | ${f(s.signTestP)} | ` +
        `${yes(s.majorityImproves)} | ${yes(s.medianImproves)} | ${s.isLower} |`,
    );
  }
  lines.push('');
  lines.push('Per dataset (median change over its training seeds; ESS lower FID in k of n seeds):');
  lines.push('');
  lines.push(`| dataset | ${CONDITIONINGS.join(' | ')} |`);
  lines.push(`| --- | ${CONDITIONINGS.map(() => '---').join(' | ')} |`);
  for (const dataset of Object.keys(trend.seeds)) {
    const cells = trend.summaries.map((s) => {
      const d = s.datasets.find((entry) => entry.dataset === dataset)!;
      return `${pct(d.medianChange)} (${d.essBetter} of ${d.seeds})`;
    });
    lines.push(`| ${dataset} | ${cells.join(' | ')} |`);
  }
  lines.push(
    `| datasets improved | ${trend.summaries.map((s) => `${s.datasetsImproved} of ${s.datasets.length}`).join(' | ')} |`,
  );
  lines.push('');
  const datasets = Object.keys(trend.seeds);
  lines.push(
    `Coverage: ${datasets.length} datasets; ${trend.covered.length} with at least ${TREND_MIN_SEEDS} training seeds ` +
      `(§8.10 asks for ${TREND_MIN_DATASETS}): ` +
      datasets.map((d) => `${d} (${trend.seeds[d].join(', ')})`).join(', ') +
      '.',
  );
  return `${lines.join('\n')}\n`;
}
