import type { ComparedRun, Run, RunProvenance } from './types';

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
