import { useMemo, useState } from 'preact/hooks';
import {
  FINISHED_RUN_STATUSES,
  engineLabel,
  metricReference,
  type CriticScores,
  type Sample,
  type SampleCriticSummary,
  type TokenGridScores,
} from '@maskgen/client';
import { useAction, useClient, useLoad } from '../api';
import { EssSettings } from '../components/EssSettings';
import { Heatmap, HeatmapLegend } from '../components/Heatmap';
import { LineChart, type LineSeries } from '../components/LineChart';
import { ErrorNotice, ErrorText, Loading, Section, StatusBadge } from '../components/Notice';
import {
  formatDate,
  formatDuration,
  formatNumber,
  GENERATED_COLOR,
  REAL_COLOR,
  samplerLabel,
  shortId,
} from '../format';
import { useLiveRefresh, type LiveUpdates } from '../live';
import { href } from '../router';
import { RunProgress } from './Runs';

const SAMPLE_PAGE = 100;
/** Lines per class and source in one plot: enough to see the spread, few enough to read. */
const LINES_PER_CLASS = 8;

export function RunDetailPage({ id, live }: { id: string; live: LiveUpdates }) {
  const client = useClient();
  const run = useLoad((c) => c.getRun(id), [id]);
  const finished = run.data ? FINISHED_RUN_STATUSES.includes(run.data.status) : false;
  useLiveRefresh(live, run.reload, !finished, ['run']);
  const metrics = useLoad((c) => c.runMetrics(id), [id, run.data?.status]);
  // CAS and critic distance are read against the model's real-data figures.
  const runSampler = run.data?.params.sampler;
  const modelOfRun = runSampler?.kind === 'model' ? String(runSampler.modelId) : undefined;
  const model = useLoad(
    (c) => (modelOfRun ? c.getModel(modelOfRun) : Promise.resolve(undefined)),
    [modelOfRun],
  );
  const action = useAction();

  if (!run.data)
    return run.error !== undefined ? <ErrorNotice error={run.error} /> : <Loading what="the run" />;
  const r = run.data;
  const act = (request: () => Promise<unknown>) =>
    action.run(async () => {
      await request();
      run.reload();
    });
  const sampler = r.params.sampler;

  return (
    <>
      <div class="page-head">
        <h1>
          Run <code>{shortId(r.id)}</code> <StatusBadge status={r.status} />
        </h1>
        <div class="actions">
          {!finished && (
            <button type="button" class="danger" onClick={() => void act(() => client.cancelRun(r.id))}>
              Cancel run
            </button>
          )}
          {r.status === 'failed' && (
            <button type="button" onClick={() => void act(() => client.retryRun(r.id))}>
              Retry failed shards
            </button>
          )}
          <button type="button" class="secondary" onClick={() => void act(() => downloadCsv(client, r.id))}>
            Export CSV
          </button>
        </div>
      </div>
      <ErrorText text={action.error} />
      <div class="columns">
        <Section title="Parameters and timings" id="params">
          <dl class="kv">
            <dt>Id</dt>
            <dd>
              <code>{r.id}</code>
            </dd>
            <dt>Sampler</dt>
            <dd>{samplerLabel(r)}</dd>
            {sampler?.kind === 'model' && (
              <>
                <dt>Model</dt>
                <dd>
                  <a href={href(`models/${String(sampler.modelId)}`)}>{shortId(String(sampler.modelId))}</a>
                </dd>
              </>
            )}
            <dt>Samples</dt>
            <dd>
              {r.samplesStored.toLocaleString('en')} of{' '}
              {Number(r.params.numSamples ?? 0).toLocaleString('en')}
            </dd>
            <dt>Shard size</dt>
            <dd>{typeof r.params.shardSize === 'number' ? r.params.shardSize : '–'}</dd>
            <dt>Seed</dt>
            <dd>{r.seed}</dd>
            <dt>Progress</dt>
            <dd>
              <RunProgress run={r} />
            </dd>
            <dt>Created</dt>
            <dd>{formatDate(r.timings.createdAt)}</dd>
            <dt>Started</dt>
            <dd>{formatDate(r.timings.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{formatDate(r.timings.finishedAt)}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(r.timings.durationMs)}</dd>
            {r.status === 'running' && (
              <>
                {/* Server-side times (GET /runs/:id), refreshed with every progress event. */}
                <dt>Elapsed</dt>
                <dd class="run-elapsed">{formatDuration(r.timings.elapsedMs)}</dd>
                <dt>ETA</dt>
                <dd class="run-eta">{formatDuration(r.timings.etaMs)}</dd>
              </>
            )}
            {r.provenance && (
              <>
                <dt>Inference</dt>
                <dd class="run-engine">{engineLabel(r.provenance)}</dd>
                <dt>Model hash</dt>
                <dd title={r.provenance.modelHash}>{r.provenance.modelHash.slice(0, 12)}</dd>
              </>
            )}
            {r.error && (
              <>
                <dt>Error</dt>
                <dd class="error-text">{r.error}</dd>
              </>
            )}
          </dl>
        </Section>
        {r.ess && <EssSettings ess={r.ess} />}
        <Section title="Metrics" id="metrics">
          {metrics.error !== undefined ? (
            <ErrorNotice error={metrics.error} />
          ) : !metrics.data ? (
            <Loading what="metrics" />
          ) : metrics.data.items.length === 0 ? (
            <p class="muted">
              {finished ? 'No metrics were recorded for this run.' : 'Metrics appear when the run finishes.'}
            </p>
          ) : (
            <table class="metrics-table">
              <caption class="visually-hidden">Metrics of this run</caption>
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  <th scope="col" class="num">
                    Value
                  </th>
                  <th scope="col">Real data</th>
                </tr>
              </thead>
              <tbody>
                {metrics.data.items.map((m) => (
                  <tr key={m.name}>
                    <th scope="row">{m.name}</th>
                    <td class="num">{formatNumber(m.value)}</td>
                    <td class="metric-reference small">
                      {metricReference(m, formatNumber, model.data?.metrics) ?? ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Section>
      </div>
      {r.samplesStored > 0 ? (
        <SamplesSection
          runId={r.id}
          status={r.status}
          modelRun={sampler?.kind === 'model'}
          modelId={sampler?.kind === 'model' ? String(sampler.modelId) : undefined}
          total={r.samplesStored}
        />
      ) : (
        <Section title="Samples" id="samples">
          <p class="muted">No samples stored yet.</p>
        </Section>
      )}
    </>
  );
}

async function downloadCsv(client: ReturnType<typeof useClient>, runId: string): Promise<void> {
  const response = await client.raw('GET', `/runs/${runId}/samples`, { query: { format: 'csv' } });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = `run-${runId}-samples.csv`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function groupByClass<T extends { classIndex: number | null }>(items: T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const key = item.classIndex ?? -1;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return groups;
}

function SamplesSection(props: {
  runId: string;
  status: string;
  modelRun: boolean;
  modelId?: string;
  total: number;
}) {
  const [offset, setOffset] = useState(0);
  // Only the samples ESS made worse in the critic's eyes (GET /runs/:id/samples?worse=true).
  const [onlyWorse, setOnlyWorse] = useState(false);
  const samples = useLoad(
    (c) => c.samples(props.runId, { offset, limit: SAMPLE_PAGE, ...(onlyWorse ? { worse: true } : {}) }),
    [props.runId, offset, props.status, onlyWorse],
  );
  const datasets = useLoad((c) => c.listDatasets({ limit: 200 }), []);
  const model = useLoad(
    (c) => (props.modelId ? c.getModel(props.modelId) : Promise.resolve(undefined)),
    [props.modelId],
  );
  const [chosenDataset, setChosenDataset] = useState<string | null>(null);
  const datasetId = chosenDataset ?? model.data?.datasetId ?? '';
  const dataset = datasets.data?.items.find((d) => d.id === datasetId);
  const real = useLoad(
    (c) =>
      datasetId ? c.datasetSeries(datasetId, { split: 'train', limit: 100 }) : Promise.resolve(undefined),
    [datasetId],
  );
  const [selectedSample, setSelectedSample] = useState<number | null>(null);

  const plots = useMemo(() => {
    const generatedItems = samples.data?.items ?? [];
    const generated = groupByClass(generatedItems);
    // An unconditional run's samples have no class: its one plot draws the real series of every class.
    const unconditional = generatedItems.length > 0 && generatedItems.every((s) => s.classIndex === null);
    const realGroups = groupByClass(
      (real.data?.items ?? []).map((s) => (unconditional ? { ...s, classIndex: null } : s)),
    );
    const classes = [...new Set([...generated.keys(), ...realGroups.keys()])].sort((a, b) => a - b);
    return classes.map((classIndex) => {
      const series: LineSeries[] = [
        ...(realGroups.get(classIndex) ?? []).slice(0, LINES_PER_CLASS).map((s, i) => ({
          label: `real #${s.index ?? i}`,
          values: s.values,
          color: REAL_COLOR,
          width: 1,
        })),
        ...(generated.get(classIndex) ?? []).slice(0, LINES_PER_CLASS).map((s) => ({
          label: `generated #${s.index}`,
          values: s.values,
          color: GENERATED_COLOR,
          width: 1,
          dash: [4, 3],
        })),
      ];
      const name =
        classIndex < 0
          ? 'unconditional (real: every class)'
          : (dataset?.classNames[classIndex] ?? `class ${classIndex}`);
      return {
        classIndex,
        name,
        series,
        realCount: Math.min(LINES_PER_CLASS, realGroups.get(classIndex)?.length ?? 0),
        generatedCount: Math.min(LINES_PER_CLASS, generated.get(classIndex)?.length ?? 0),
      };
    });
  }, [samples.data, real.data, dataset]);

  const sampleItems: Sample[] = samples.data?.items ?? [];
  const criticIndex =
    (sampleItems.some((s) => s.index === selectedSample) ? selectedSample : null) ??
    sampleItems.find((s) => s.critic)?.index ??
    sampleItems[0]?.index;
  const essRun = sampleItems.some(
    (s) => s.critic?.worseUnderEss !== undefined && s.critic.worseUnderEss !== null,
  );
  const worseOnPage = sampleItems.filter((s) => s.critic?.worseUnderEss === true).length;
  // Filtered pages are not contiguous in sample index: "next" starts after the last sample shown.
  const lastShown = sampleItems[sampleItems.length - 1]?.index;
  const shownTotal = samples.data?.total ?? props.total;

  return (
    <>
      <Section title="Real vs generated, per class" id="samples">
        <div class="filters">
          <label for="real-dataset">Real data from</label>
          <select
            id="real-dataset"
            value={datasetId}
            onChange={(e) => setChosenDataset(e.currentTarget.value)}
          >
            <option value="">(none)</option>
            {(datasets.data?.items ?? []).map((d) => (
              <option key={d.id} value={d.id}>
                {d.name} (length {d.seriesLength})
              </option>
            ))}
          </select>
          {props.modelRun && (
            <label class="inline">
              <input
                type="checkbox"
                id="only-worse"
                checked={onlyWorse}
                onChange={(e) => {
                  setOnlyWorse(e.currentTarget.checked);
                  setOffset(0);
                }}
              />{' '}
              Only samples ESS made worse
            </label>
          )}
          <span class="muted sample-range">
            {onlyWorse
              ? `${shownTotal.toLocaleString('en')} samples ESS made worse; ${sampleItems.length} shown from #${offset}`
              : `Samples ${offset + 1}–${Math.min(offset + SAMPLE_PAGE, props.total)} of ${props.total.toLocaleString('en')}`}
          </span>
          <button
            type="button"
            class="secondary"
            disabled={offset === 0}
            onClick={() => setOffset(onlyWorse ? 0 : Math.max(0, offset - SAMPLE_PAGE))}
          >
            {onlyWorse ? 'First' : `Previous ${SAMPLE_PAGE}`}
          </button>
          <button
            type="button"
            class="secondary"
            disabled={
              onlyWorse
                ? sampleItems.length < SAMPLE_PAGE || lastShown === undefined
                : offset + SAMPLE_PAGE >= props.total
            }
            onClick={() => setOffset(onlyWorse ? (lastShown ?? offset) + 1 : offset + SAMPLE_PAGE)}
          >
            Next {SAMPLE_PAGE}
          </button>
        </div>
        {essRun && !onlyWorse && (
          <p class="small worse-summary">
            {worseOnPage} of the {sampleItems.length} samples on this page got worse under ESS (mean critic
            code distance after ESS above the one before); they are marked “worse under ESS” in the critic
            list below.
          </p>
        )}
        <p class="muted small">
          <span class="swatch" style={{ background: REAL_COLOR }} /> real (solid) ·{' '}
          <span class="swatch" style={{ background: GENERATED_COLOR }} /> generated (dashed); at most{' '}
          {LINES_PER_CLASS} of each per class.
        </p>
        {samples.error !== undefined && <ErrorNotice error={samples.error} />}
        {real.error !== undefined && <ErrorNotice error={real.error} />}
        {!samples.data ? (
          <Loading what="samples" />
        ) : (
          <div class="chart-grid">
            {plots.map((plot) => (
              <LineChart
                key={plot.classIndex}
                title={`${plot.name}`}
                series={plot.series}
                legend={false}
                xLabel="time step"
                summary={`${plot.realCount} real and ${plot.generatedCount} generated series of ${plot.name}.`}
              />
            ))}
          </div>
        )}
      </Section>
      <Section title="Critic scores per token" id="critic">
        {!props.modelRun ? (
          <p class="muted">
            Per-token critic scores are stored for model runs (naive and ESS samplers); this run used the
            synthetic reference sampler.
          </p>
        ) : criticIndex === undefined ? (
          <Loading what="samples" />
        ) : (
          <>
            <label for="critic-sample">Sample</label>{' '}
            <select
              id="critic-sample"
              value={criticIndex}
              onChange={(e) => setSelectedSample(Number(e.currentTarget.value))}
            >
              {sampleItems.map((s) => (
                <option key={s.index} value={s.index}>
                  #{s.index}
                  {s.classIndex !== null
                    ? ` (${dataset?.classNames[s.classIndex] ?? `class ${s.classIndex}`})`
                    : ''}
                  {s.critic ? ` · ${criticMeansLabel(s.critic)}` : ''}
                  {s.critic?.worseUnderEss ? ' · worse under ESS' : ''}
                </option>
              ))}
            </select>
            <CriticVerdict sample={sampleItems.find((s) => s.index === criticIndex)} />
            {/* Keyed by sample: a new choice shows "Loading" until its scores arrive, never the previous sample's. */}
            <CriticPanel key={`${props.runId}/${criticIndex}`} runId={props.runId} index={criticIndex} />
          </>
        )}
      </Section>
    </>
  );
}

/** "mean critic code distance 0.41 → 0.52" for an ESS sample (before → after), just the mean for a naive one. */
function criticMeansLabel(critic: SampleCriticSummary): string {
  const before = critic.meanBeforeEss;
  return before === null || before === undefined
    ? `mean critic code distance ${formatNumber(critic.mean)}`
    : `mean critic code distance ${formatNumber(before)} → ${formatNumber(critic.mean)}`;
}

/** Whether ESS made the chosen sample better or worse in the critic's eyes (ESS samples only). */
function CriticVerdict({ sample }: { sample: Sample | undefined }) {
  const critic = sample?.critic;
  if (!critic || critic.worseUnderEss === null || critic.worseUnderEss === undefined) return null;
  return (
    <p
      class={critic.worseUnderEss ? 'critic-verdict worse' : 'critic-verdict'}
      data-worse={String(critic.worseUnderEss)}
    >
      {critic.worseUnderEss ? '⚠ Worse under ESS: ' : 'Not worse under ESS: '}
      mean critic code distance {formatNumber(critic.meanBeforeEss ?? Number.NaN)} before ESS,{' '}
      {formatNumber(critic.mean)} after (lower looks more real).
    </p>
  );
}

function gridRange(grid: TokenGridScores): { min: number; max: number } {
  const values = [...grid.before, ...(grid.after ?? [])];
  return { min: Math.min(...values), max: Math.max(...values) };
}

function CriticPanel({ runId, index }: { runId: string; index: number }) {
  const scores = useLoad<CriticScores>((c) => c.criticScores(runId, index), [runId, index]);
  if (scores.error !== undefined) {
    return <ErrorNotice error={scores.error} feature="Per-token critic scores" />;
  }
  if (!scores.data) return <Loading what="critic scores" />;
  const grids: [string, TokenGridScores][] = [];
  if (scores.data.lf) grids.push(['Low-frequency tokens', scores.data.lf]);
  if (scores.data.hf) grids.push(['High-frequency tokens', scores.data.hf]);
  return (
    <div class="critic-panel" data-sample={index}>
      {grids.map(([label, grid]) => {
        const range = gridRange(grid);
        return (
          <div key={label} class="heatmaps">
            <h3>{label}</h3>
            <HeatmapLegend range={range} remasked={grid.remasked !== null} />
            <div class="chart-grid">
              <Heatmap
                title={`${label}: ${grid.after ? 'after naive decoding' : 'critic score'}`}
                grid={grid}
                which="before"
                range={range}
              />
              {grid.after && (
                <Heatmap
                  title={`${label}: after ESS resampling (re-masked tokens outlined)`}
                  grid={grid}
                  which="after"
                  range={range}
                />
              )}
            </div>
            {grid.remasked && (
              <p class="small">
                {grid.remasked.filter((flag) => flag === 1).length} of {grid.rows * grid.columns} tokens were
                re-masked and resampled by ESS.
              </p>
            )}
          </div>
        );
      })}
    </div>
  );
}
