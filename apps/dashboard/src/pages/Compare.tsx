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

/** Group letters: A is the baseline every other group is compared with. */
const GROUP_NAMES = ['A', 'B', 'C', 'D', 'E', 'F'];

/**
 * `ids` of the URL: `a,b` (each run its own group) or `a1,a2;b1,b2` (groups of runs, e.g. one run per sampling seed,
 * pooled by the API), as GET /runs/compare reads it.
 */
function groupsOf(raw: string): string[][] {
  const split = (text: string) => text.split(',').filter(Boolean);
  return raw.includes(';')
    ? raw
        .split(';')
        .map(split)
        .filter((g) => g.length > 0)
    : split(raw).map((id) => [id]);
}

export function ComparePage({ query, live }: { query: URLSearchParams; live: LiveUpdates }) {
  const raw = query.get('ids') ?? '';
  const groups = groupsOf(raw);
  const ids = groups.flat();
  const pooled = raw.includes(';');
  const compared = useLoad<RunComparison | undefined>(
    (c) => (ids.length ? c.compareRuns(pooled ? groups : ids) : Promise.resolve(undefined)),
    [raw],
  );
  const active = (compared.data?.runs ?? []).some((r) => r.status === 'queued' || r.status === 'running');
  useLiveRefresh(live, compared.reload, active, ['run']);

  return (
    <>
      <h1>Compare runs</h1>
      {/* Keyed by the URL's ids: the picker starts from the runs being compared. */}
      <RunPicker key={raw} groups={groups} />
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

/**
 * Runs to compare, each in a group (A, B, …). A group of several runs (e.g. the same sampler over three sampling
 * seeds) is pooled; the k-th runs of the groups are paired for the FID difference's bootstrap.
 */
function RunPicker({ groups }: { groups: string[][] }) {
  const recent = useLoad((c) => c.listRuns({ limit: 50 }), []);
  const [chosen, setChosen] = useState<Map<string, number>>(
    () => new Map(groups.flatMap((ids, g) => ids.map((id) => [id, g] as [string, number]))),
  );
  const count = groups.flat().length;
  const toggle = (id: string) =>
    setChosen((current) => {
      const next = new Map(current);
      // A newly chosen run starts in a group of its own.
      if (next.has(id)) next.delete(id);
      else next.set(id, Math.min(GROUP_NAMES.length - 1, new Set(next.values()).size));
      return next;
    });
  const assign = (id: string, group: number) => setChosen((current) => new Map(current).set(id, group));
  const compare = () => {
    const byGroup = GROUP_NAMES.map((_, g) =>
      [...chosen].filter(([, group]) => group === g).map(([id]) => id),
    );
    const used = byGroup.filter((ids) => ids.length > 0);
    const ids = used.every((g) => g.length === 1)
      ? used.map((g) => g[0]).join(',')
      : used.map((g) => g.join(',')).join(';');
    navigate('compare', { ids });
  };
  return (
    <details class="card" open={count < 2}>
      <summary>Choose runs ({count} selected)</summary>
      <p class="muted small">
        Put runs of the same sampler with different sampling seeds in one group to pool them; group A is the
        baseline.
      </p>
      {recent.error !== undefined && <ErrorNotice error={recent.error} />}
      <fieldset class="picker">
        <legend class="visually-hidden">Recent runs</legend>
        {(recent.data?.items ?? []).map((run) => (
          <div key={run.id} class="inline picker-row">
            <label class="inline">
              <input type="checkbox" checked={chosen.has(run.id)} onChange={() => toggle(run.id)} />
              <code>{shortId(run.id)}</code> {samplerLabel(run)} · seed {run.seed} · {run.status}
            </label>
            {chosen.has(run.id) && (
              <select
                aria-label={`Group of run ${shortId(run.id)}`}
                data-run={run.id}
                value={chosen.get(run.id)}
                onChange={(e) => assign(run.id, Number(e.currentTarget.value))}
              >
                {GROUP_NAMES.map((name, g) => (
                  <option key={name} value={g}>
                    group {name}
                  </option>
                ))}
              </select>
            )}
          </div>
        ))}
      </fieldset>
      <button type="button" disabled={chosen.size < 2} onClick={compare}>
        Compare {chosen.size} runs
      </button>
    </details>
  );
}

/** "FID A − B = 5.16 [2.98, 7.43]": the pooled FID per group and each group's difference from A, with its CI. */
function Confidence({ comparison }: { comparison: RunComparison }) {
  const { runs, groups, comparisons, unavailable } = comparison;
  const label = (id: string) => {
    const run = runs.find((r) => r.id === id);
    return run ? comparedRunLabel(run) : shortId(id);
  };
  const name = (g: number) => GROUP_NAMES[g] ?? String(g + 1);
  return (
    <Section title="FID with confidence" id="compare-confidence">
      <p class="muted small">
        FID is lower-is-better. Each group's runs are pooled (e.g. one run per sampling seed); the difference
        FID(A) − FID(other) comes with a 95 % paired bootstrap interval over the samples. A group is better
        only when the interval excludes 0.
      </p>
      {groups.some((g) => g !== null) && (
        <div class="table-wrap">
          <table class="metrics-table" data-table="groups">
            <caption class="visually-hidden">Pooled FID of each group of runs</caption>
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">Runs pooled</th>
                <th scope="col" class="num">
                  Samples
                </th>
                <th scope="col" class="num">
                  FID
                </th>
                <th scope="col" class="num">
                  Mean term
                </th>
                <th scope="col" class="num">
                  Cov term
                </th>
              </tr>
            </thead>
            <tbody>
              {groups.map((group, g) =>
                group === null ? null : (
                  <tr key={g}>
                    <th scope="row">{name(g)}</th>
                    <td>{group.runIds.map(label).join(', ')}</td>
                    <td class="num">{group.samples}</td>
                    <td class="num">{formatNumber(group.fid)}</td>
                    <td class="num">{formatNumber(group.meanTerm)}</td>
                    <td class="num">{formatNumber(group.covarianceTerm)}</td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
      {comparisons.length > 0 && (
        <ul class="fid-differences">
          {comparisons.map((c) => (
            <li key={c.other} data-better={c.better ?? 'none'}>
              FID {name(c.baseline)} − FID {name(c.other)} = <strong>{formatNumber(c.difference)}</strong>,{' '}
              {c.ci.level * 100} % CI [{formatNumber(c.ci.low)}, {formatNumber(c.ci.high)}] ({c.pairedSamples}{' '}
              paired samples, {c.ci.replicates} bootstrap replicates):{' '}
              {c.better === null
                ? 'no difference shown (the interval includes 0)'
                : `group ${name(c.better === 'other' ? c.other : c.baseline)} is better`}
            </li>
          ))}
        </ul>
      )}
      {unavailable !== null && <p class="muted confidence-unavailable">No FID difference: {unavailable}.</p>}
    </Section>
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
      <Confidence comparison={comparison} />
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
                <span class="group-name">{GROUP_NAMES[run.group] ?? run.group + 1}</span>{' '}
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
