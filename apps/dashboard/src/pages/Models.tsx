import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import {
  DEFAULT_TRAINING_PROFILE,
  FINISHED_MODEL_STATUSES,
  modelMetricNote,
  TRAINING_PROFILE_LABELS,
  TRAINING_PROFILES,
  TRAINING_STAGES,
  type Model,
  type TrainingStage,
} from '@maskgen/client';
import { useAction, useClient, useLoad } from '../api';
import { LineChart } from '../components/LineChart';
import { ErrorNotice, ErrorText, LoadedItems, Loading, Section, StatusBadge } from '../components/Notice';
import { DataTable } from '../components/Table';
import { NumberField } from '../components/NumberField';
import { formatDate, formatDuration, formatNumber, formatSignificant, PALETTE, shortId } from '../format';
import { useLiveRefresh, type LiveUpdates } from '../live';
import { href, navigate } from '../router';

export function ModelsPage({ id, live }: { id?: string; live: LiveUpdates }) {
  return id ? <ModelDetail id={id} live={live} /> : <ModelList live={live} />;
}

/**
 * What each stage's progress curve measures. The critic stage trains nothing: its curve is the running mean code
 * distance of its calibration (real and corrupted test grids), not a loss.
 */
const CURVE_NAMES: Record<TrainingStage, string> = {
  stage1: 'stage1 loss',
  prior: 'prior loss',
  critic: 'critic calibration distance',
  classifier: 'classifier loss',
};

/** Model metrics ending in "Seconds" are each stage's own clock. */
const SECONDS_SUFFIX = 'Seconds';

/** Sum of the stages' own clocks (null before the first stage finished). */
function trainingSeconds(metrics: Model['metrics']): number | null {
  const seconds = Object.entries(metrics ?? {}).flatMap(([name, value]) =>
    name.endsWith(SECONDS_SUFFIX) && value !== undefined && Number.isFinite(value) ? [value] : [],
  );
  return seconds.length === 0 ? null : seconds.reduce((sum, value) => sum + value, 0);
}

function stageText(model: Model): string {
  const p = model.progress ?? {};
  if (!p.stage) return '–';
  return p.totalSteps ? `${p.stage} ${p.step ?? 0}/${p.totalSteps}` : p.stage;
}

function ModelList({ live }: { live: LiveUpdates }) {
  const models = useLoad((c) => c.listModels({ limit: 100 }), []);
  const active = (models.data?.items ?? []).some((m) => !FINISHED_MODEL_STATUSES.includes(m.status));
  useLiveRefresh(live, models.reload, active, ['model']);
  return (
    <>
      <h1>Models</h1>
      {models.error !== undefined ? (
        <ErrorNotice error={models.error} feature="Model training" />
      ) : (
        <>
          <Section title="Train a model" id="train">
            <TrainForm onCreated={(model) => navigate(`models/${model.id}`)} />
          </Section>
          <LoadedItems list={models} what="models" empty="No models yet.">
            {(items) => (
              <DataTable
                caption="Models of your team"
                columns={['Model', 'Status', 'Profile', 'Stage', 'Created']}
              >
                {items.map((m) => (
                  <tr key={m.id}>
                    <td>
                      <a href={href(`models/${m.id}`)}>{m.name || shortId(m.id)}</a>
                    </td>
                    <td>
                      <StatusBadge status={m.status} />
                    </td>
                    <td>{m.profile}</td>
                    <td>{stageText(m)}</td>
                    <td>{formatDate(m.createdAt)}</td>
                  </tr>
                ))}
              </DataTable>
            )}
          </LoadedItems>
        </>
      )}
    </>
  );
}

function TrainForm({ onCreated }: { onCreated: (model: Model) => void }) {
  const client = useClient();
  const datasets = useLoad((c) => c.listDatasets({ limit: 200 }), []);
  // No dataset is picked for the user (the API has no default either): training the wrong one costs minutes.
  const [datasetId, setDatasetId] = useState('');
  const [name, setName] = useState('');
  const [profile, setProfile] = useState<string>(DEFAULT_TRAINING_PROFILE);
  const [seed, setSeed] = useState('0');
  const { error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    return run(async () =>
      onCreated(
        await client.trainModel({
          datasetId,
          profile,
          ...(name ? { name } : {}),
          ...(seed ? { seed: Number(seed) } : {}),
        }),
      ),
    );
  };
  if (datasets.data && datasets.data.items.length === 0) {
    return (
      <p class="muted">
        Add a dataset first on the <a href="#/datasets">datasets page</a>.
      </p>
    );
  }
  return (
    <form class="grid-form" onSubmit={(e) => void submit(e)} aria-label="Train a model">
      <div>
        <label for="train-dataset">Dataset</label>
        <select
          id="train-dataset"
          required
          value={datasetId}
          onChange={(e) => setDatasetId(e.currentTarget.value)}
        >
          <option value="" disabled>
            Choose a dataset
          </option>
          {(datasets.data?.items ?? []).map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="train-name">Name (optional)</label>
        <input id="train-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <div>
        <label for="train-profile">Profile</label>
        <select id="train-profile" value={profile} onChange={(e) => setProfile(e.currentTarget.value)}>
          {TRAINING_PROFILES.map((p) => (
            <option key={p} value={p}>
              {p} ({TRAINING_PROFILE_LABELS[p]})
            </option>
          ))}
        </select>
      </div>
      <NumberField id="train-seed" label="Seed" min={0} value={seed} onValue={(_, text) => setSeed(text)} />
      <div class="actions">
        <button type="submit" disabled={!datasetId}>
          Start training
        </button>
      </div>
      <ErrorText text={error} />
    </form>
  );
}

function ModelDetail({ id, live }: { id: string; live: LiveUpdates }) {
  const client = useClient();
  const model = useLoad((c) => c.getModel(id), [id]);
  const datasetId = model.data?.datasetId;
  const dataset = useLoad(
    (c) => (datasetId ? c.getDataset(datasetId) : Promise.resolve(undefined)),
    [datasetId],
  );
  const finished = model.data ? FINISHED_MODEL_STATUSES.includes(model.data.status) : false;
  useLiveRefresh(live, model.reload, !finished, ['model']);
  const cancellation = useAction();
  if (!model.data)
    return model.error !== undefined ? (
      <ErrorNotice error={model.error} feature="Model training" />
    ) : (
      <Loading what="the model" />
    );
  const m = model.data;
  const stages = m.progress?.stages ?? {};
  const seconds = trainingSeconds(m.metrics);
  const metricEntries = Object.entries(m.metrics ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return (
    <>
      <div class="page-head">
        <h1>
          Model {m.name || shortId(m.id)} <StatusBadge status={m.status} />
        </h1>
        {!finished && (
          <button
            type="button"
            class="danger"
            onClick={() =>
              void cancellation.run(async () => {
                await client.cancelModel(m.id);
                model.reload();
              })
            }
          >
            Cancel training
          </button>
        )}
      </div>
      <ErrorText text={cancellation.error} />
      <ErrorText text={m.error} />
      <div class="columns">
        <Section title="Training progress" id="stages">
          <DataTable
            caption="Progress per training stage"
            columns={['Stage', 'Status', 'Steps', { label: 'Loss (critic: distance)', num: true }]}
            wrap={false}
          >
            {TRAINING_STAGES.map((name) => {
              const stage = stages[name];
              return (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td>{stage ? <StatusBadge status={stage.status} /> : '–'}</td>
                  <td>
                    {stage ? (
                      <span class="progress">
                        <progress
                          max={Math.max(stage.totalSteps, 1)}
                          value={stage.step}
                          aria-label={`${name} steps`}
                        />
                        <span>
                          {stage.step}/{stage.totalSteps}
                        </span>
                      </span>
                    ) : (
                      '–'
                    )}
                  </td>
                  <td class="num">
                    {stage?.loss === null || stage?.loss === undefined ? '–' : formatSignificant(stage.loss)}
                  </td>
                </tr>
              );
            })}
          </DataTable>
        </Section>
        <Section title="Details and metrics" id="model-metrics">
          <dl class="kv">
            <dt>Id</dt>
            <dd>
              <code>{m.id}</code>
            </dd>
            <dt>Dataset</dt>
            <dd>
              <a href={href(`datasets/${m.datasetId}`)}>{dataset.data?.name ?? shortId(m.datasetId)}</a>
            </dd>
            <dt>Profile</dt>
            <dd>{m.profile}</dd>
            <dt>Seed</dt>
            <dd>{m.seed}</dd>
            <dt>Created</dt>
            <dd>{formatDate(m.createdAt)}</dd>
            <dt>Training time</dt>
            <dd class="training-time" title="sum of the finished stages' own clocks">
              {formatDuration(seconds === null ? null : Math.round(seconds * 1000))}
              {seconds !== null && m.status !== 'ready' ? ' so far' : ''}
            </dd>
          </dl>
          <h3>Metrics</h3>
          <dl class="kv model-metrics">
            {metricEntries.map(([name, value]) => (
              <Fragment key={name}>
                <dt>{name}</dt>
                <dd>
                  {value === undefined
                    ? '–'
                    : name.endsWith(SECONDS_SUFFIX)
                      ? formatDuration(Math.round(value * 1000))
                      : formatSignificant(value)}
                  {modelMetricNote(name) && (
                    <span class="muted small metric-note"> {modelMetricNote(name)}</span>
                  )}
                </dd>
              </Fragment>
            ))}
          </dl>
          {metricEntries.length === 0 && <p class="muted">Metrics appear as each stage finishes.</p>}
        </Section>
      </div>
      <Section title="Loss curves" id="losses">
        <div class="chart-grid">
          {TRAINING_STAGES.filter((name) => (stages[name]?.history.length ?? 0) > 0).map((name, i) => {
            const history = stages[name].history;
            return (
              <LineChart
                key={name}
                title={CURVE_NAMES[name]}
                x={history.map((h) => h.step)}
                logY
                series={[
                  {
                    label: name === 'critic' ? 'distance' : 'loss',
                    values: history.map((h) => h.loss),
                    color: PALETTE[i % PALETTE.length],
                    width: 2,
                  },
                ]}
                xLabel="step"
                yLabel={name === 'critic' ? 'distance' : 'loss'}
                summary={`${history.length} points, last ${name === 'critic' ? 'distance' : 'loss'} ${formatNumber(history[history.length - 1].loss)}.`}
              />
            );
          })}
        </div>
        {TRAINING_STAGES.every((name) => (stages[name]?.history.length ?? 0) === 0) && (
          <p class="muted">No loss recorded yet.</p>
        )}
        <p>
          <a href={href('runs')}>Start a run with this model</a> from the runs page (“New run”, trained
          model).
        </p>
      </Section>
    </>
  );
}
