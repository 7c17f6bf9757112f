import type { RunProvenance } from '../../contracts/src/provenance';
import type { ComparedRun, EssSettings, Run, RunEss } from './types';

/** Short labels for runs, the same in the CLI and the dashboard. */

export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** "ess · model 1a2b3c4d" for a model run, "cbf · length 128" for a synthetic one. */
export function samplerLabel(run: Pick<Run, 'params'>): string {
  const sampler = run.params.sampler;
  if (!sampler) return '–';
  if (sampler.kind === 'model')
    return `${sampler.method ?? 'model'} · model ${shortId(String(sampler.modelId ?? ''))}`;
  return `${sampler.generator ?? sampler.kind} · length ${sampler.length ?? '?'}`;
}

/**
 * "naive sampler · 1a2b3c4d": the API's name of a compared run (its sampler, e.g. "ess sampler") and its
 * short id, so two runs of the same sampler stay apart.
 */
export function comparedRunLabel(run: Pick<ComparedRun, 'id' | 'name'>): string {
  const name = run.name.length > 20 ? `${run.name.slice(0, 19)}…` : run.name;
  return `${name} · ${shortId(run.id)}`;
}

/** e.g. "ort 1.30.0 (cpu, 2 threads)"; a run sampled by workers on different engines lists each. */
export function engineLabel(provenance: RunProvenance): string {
  return provenance.engines
    .map(
      (e) =>
        `${e.engine}${e.version ? ` ${e.version}` : ''} (${e.device}, ${e.threads} thread${e.threads === 1 ? '' : 's'})`,
    )
    .join(', ');
}

const ESS_VARIANT_NAMES: Record<EssSettings['variant'], string> = {
  R: 'R (released: every token redrawn each step)',
  D: 'D (keep-visible: only re-masked tokens change)',
};

/** "5 5 4 4 4" as "5×2 4×3", so a run of thousands of batches stays one short line. */
function runLengths(values: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j < values.length && values[j] === values[i]) j++;
    parts.push(j - i === 1 ? `${values[i]}` : `${values[i]}×${j - i}`);
    i = j;
  }
  return parts.join(' ');
}

/** Label/value rows of an ESS run's resolved settings and t*, the same in `runs show` and on the run page. */
export function essRows(ess: RunEss): [string, string][] {
  const c = ess.config;
  if (c === null) return [['ESS', 'settings recorded when the first batch is sampled']];
  const share = ess.samples > 0 ? ` (${((100 * ess.criticWorse) / ess.samples).toFixed(1)} %)` : '';
  return [
    ['ESS variant', ESS_VARIANT_NAMES[c.variant]],
    [
      'ESS settings',
      `window rate ${c.windowRate}, threshold ${c.threshold}, branches ${c.applyTo}, critic temperature ${c.criticTemperature}` +
        (c.fixedTStar !== null ? `, fixed t* ${c.fixedTStar}` : '') +
        (c.perSampleTStar ? ', per-sample t*' : '') +
        (ess.consistent ? '' : ' (batches differ)'),
    ],
    ['t* per batch', runLengths(ess.batches.map((b) => b.tStar)) || '–'],
    [
      't* over samples',
      Object.entries(ess.tStarHistogram)
        .map(([t, n]) => `${t}: ${n}`)
        .join(', ') || '–',
    ],
    ['critic worse after ESS', `${ess.criticWorse} of ${ess.samples} samples${share}`],
  ];
}
