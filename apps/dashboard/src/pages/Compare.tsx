import { useMemo, useState } from 'preact/hooks';
import {
  bestIndices,
  betterLabel,
  comparedRunLabel,
  type ComparedRun,
  type RunComparison,
  type ScheduleHistoryEntry,
} from '@maskgen/client';
import { useLoad } from '../api';
import { MetricBars, type BarGroup } from '../components/Bars';
import { LineChart, type LineSeries } from '../components/LineChart';
import { ErrorNotice, Loading, Section, StatusBadge } from '../components/Notice';
import { Sparkline } from '../components/Sparkline';
import { formatNumber, PALETTE, samplerLabel, shortId } from '../format';
import { useLiveRefresh, type LiveUpdates } from '../live';
import { href, navigate } from '../router';

const GALLERY = 6;

export function ComparePage({ query, live }: { query: URLSearchParams; live: LiveUpdates }) {
  const ids = (query.get('ids') ?? '').split(',').filter(Boolean);
  const compared = useLoad<RunComparison | undefined>(
    (c) => (ids.length ? c.compareRuns(ids) : Promise.resolve(undefined)),
    [ids.join(',')],
  );
  const active = (compared.data?.runs ?? []).some((r) => r.status === 'queued' || r.status === 'running');
  useLiveRefresh(live, compared.reload, active, ['run']);

  return (
    <>
      <h1>Compare runs</h1>
      <RunPicker ids={ids} />
      {ids.length < 2 && (
        <p class="muted">Choose two or more runs to compare (e.g. naive and ESS runs of the same model).</p>
      )}
      {compared.error !== undefined && <ErrorNotice error={compared.error} />}
      {ids.length > 0 && !compared.data && compared.error === undefined && <Loading what="the runs" />}
      {compared.data && compared.data.runs.length > 0 && <Comparison comparison={compared.data} />}
      <MetricHistory />
    </>
  );
}

function RunPicker({ ids }: { ids: string[] }) {
  const recent = useLoad((c) => c.listRuns({ limit: 50 }), []);
  const [chosen, setChosen] = useState<string[]>(ids);
  const toggle = (id: string) =>
    setChosen((current) => (current.includes(id) ? current.filter((x) => x !== id) : [...current, id]));
  return (
    <details class="card" open={ids.length < 2}>
      <summary>Choose runs ({ids.length} selected)</summary>
      {recent.error !== undefined && <ErrorNotice error={recent.error} />}
      <fieldset class="picker">
        <legend class="visually-hidden">Recent runs</legend>
        {(recent.data?.items ?? []).map((run) => (
          <label key={run.id} class="inline">
            <input type="checkbox" checked={chosen.includes(run.id)} onChange={() => toggle(run.id)} />
            <code>{shortId(run.id)}</code> {samplerLabel(run)} · {run.status}
          </label>
        ))}
      </fieldset>
      <button
        type="button"
        disabled={chosen.length < 2}
        onClick={() => navigate('compare', { ids: chosen.join(',') })}
      >
        Compare {chosen.length} runs
      </button>
    </details>
  );
}

function Comparison({ comparison }: { comparison: RunComparison }) {
  const { runs, betterDirection } = comparison;
  const metricNames = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  // Only metrics the API gives a better direction are ranked and drawn; counts and means are bookkeeping.
  const quality = metricNames.filter((name) => betterDirection[name]);
  const bookkeeping = metricNames.filter((name) => !betterDirection[name]);
  const groups: BarGroup[] = quality.map((metric) => ({
    metric,
    heading: `${metric} (${betterLabel(betterDirection[metric])})`,
    values: runs.map((run, i) => ({
      label: comparedRunLabel(run),
      value: run.metrics[metric],
      color: PALETTE[i % PALETTE.length],
    })),
  }));
  return (
    <>
      <Section title="Metrics" id="compare-metrics">
        {quality.length === 0 ? (
          <p class="muted">
            No quality metrics (FID, IS, ROCKET FID, CAS, critic distance) for these runs: they come from the
            evaluation that ends every model run.
          </p>
        ) : (
          <>
            <MetricTable
              caption="Quality metrics of the compared runs"
              names={quality}
              runs={runs}
              directions={betterDirection}
            />
            <MetricBars title="Metrics side by side (each metric on its own scale)" groups={groups} />
          </>
        )}
      </Section>
      {bookkeeping.length > 0 && (
        <Section title="Counts and other figures" id="compare-bookkeeping">
          <p class="muted small">Not quality measures: neither side is better.</p>
          <MetricTable
            caption="Counts and other figures of the compared runs"
            names={bookkeeping}
            runs={runs}
          />
        </Section>
      )}
      <Section title="Sample galleries" id="galleries">
        <div class="galleries">
          {runs.map((run, i) => (
            <Gallery
              key={run.id}
              run={run}
              label={comparedRunLabel(run)}
              color={PALETTE[i % PALETTE.length]}
            />
          ))}
        </div>
      </Section>
    </>
  );
}

/** Metrics by run; with `directions` it adds the better direction and marks each metric's best value. */
function MetricTable(props: {
  caption: string;
  names: string[];
  runs: ComparedRun[];
  directions?: RunComparison['betterDirection'];
}) {
  const ranked = props.directions !== undefined;
  return (
    <div class="table-wrap">
      <table class="metrics-table" data-table={ranked ? 'quality' : 'bookkeeping'}>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            {ranked && <th scope="col">Better</th>}
            {props.runs.map((run) => (
              <th scope="col" key={run.id} class="num">
                <a href={href(`runs/${run.id}`)}>{comparedRunLabel(run)}</a>{' '}
                <StatusBadge status={run.status} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.names.map((metric) => {
            const values = props.runs.map((run) => run.metrics[metric]);
            const direction = props.directions?.[metric];
            const best = bestIndices(direction, values);
            return (
              <tr key={metric}>
                <th scope="row">{metric}</th>
                {ranked && <td class="better">{direction === 'lower' ? '↓ lower' : '↑ higher'}</td>}
                {values.map((value, i) => (
                  <td
                    key={props.runs[i].id}
                    class={best.includes(i) ? 'num best' : 'num'}
                    title={best.includes(i) ? 'best of the compared runs' : undefined}
                  >
                    {value === undefined ? '–' : formatNumber(value)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Gallery({ run, label, color }: { run: ComparedRun; label: string; color: string }) {
  const samples = useLoad((c) => c.samples(run.id, { limit: GALLERY }), [run.id, run.status]);
  return (
    <figure class="gallery" data-chart="gallery">
      <figcaption>
        <a href={href(`runs/${run.id}`)}>{label}</a>
      </figcaption>
      {samples.error !== undefined && <ErrorNotice error={samples.error} />}
      {!samples.data ? (
        <Loading what="samples" />
      ) : samples.data.items.length === 0 ? (
        <p class="muted">No samples stored.</p>
      ) : (
        <ul class="thumbs">
          {samples.data.items.map((s) => (
            <li key={s.index}>
              <Sparkline values={s.values} color={color} label={`${label}, sample ${s.index}`} />
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}

/** Metrics of the runs one schedule started, over time (e.g. nightly evaluations). */
function MetricHistory() {
  const schedules = useLoad((c) => c.listSchedules(), []);
  const [name, setName] = useState('');
  const chosen = name || schedules.data?.items[0]?.name || '';
  const history = useLoad<ScheduleHistoryEntry[] | undefined>(
    (c) => (chosen ? c.scheduleHistory(chosen) : Promise.resolve(undefined)),
    [chosen],
  );
  // One small chart per metric: FID, IS and critic distances differ by orders of magnitude.
  const chart = useMemo(() => {
    const entries = [...(history.data ?? [])].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const metrics = [...new Set(entries.flatMap((e) => Object.keys(e.metrics ?? {})))].sort();
    const x = entries.map((e) => new Date(e.createdAt).getTime() / 1000);
    const series: LineSeries[] = metrics.map((metric, i) => ({
      label: metric,
      values: entries.map((e) => e.metrics?.[metric] ?? null),
      color: PALETTE[i % PALETTE.length],
      width: 2,
    }));
    return { x, series, runs: entries.length };
  }, [history.data]);

  return (
    <Section title="Metric history across scheduled runs" id="history">
      {schedules.error !== undefined ? (
        <ErrorNotice error={schedules.error} />
      ) : !schedules.data ? (
        <Loading what="schedules" />
      ) : schedules.data.items.length === 0 ? (
        <p class="muted">
          No schedules yet: create one on the <a href="#/schedules">schedules page</a> to follow metrics night
          after night.
        </p>
      ) : (
        <>
          <label for="history-schedule">Schedule</label>{' '}
          <select id="history-schedule" value={chosen} onChange={(e) => setName(e.currentTarget.value)}>
            {schedules.data.items.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name} ({s.cron})
              </option>
            ))}
          </select>
          {history.error !== undefined ? (
            <ErrorNotice error={history.error} feature="Schedule history" />
          ) : !history.data ? (
            <Loading what="the history" />
          ) : chart.runs === 0 ? (
            <p class="muted">This schedule has not started any runs yet.</p>
          ) : chart.series.length === 0 ? (
            <p class="muted">The runs of this schedule have no metrics yet.</p>
          ) : (
            <>
              <p class="muted small">
                {chart.runs} runs started by “{chosen}”, one chart per metric.
              </p>
              <div class="chart-grid">
                {chart.series.map((series) => (
                  <LineChart
                    key={series.label}
                    title={series.label}
                    x={chart.x}
                    time
                    series={[series]}
                    legend={false}
                    points
                    xLabel="run started"
                    summary={`${series.label} of the ${chart.runs} runs started by “${chosen}”.`}
                  />
                ))}
              </div>
            </>
          )}
        </>
      )}
    </Section>
  );
}
