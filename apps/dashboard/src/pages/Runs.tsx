import { useState } from 'preact/hooks';
import { FINISHED_RUN_STATUSES, RUN_STATUSES, type Run } from '@maskgen/client';
import { useLoad } from '../api';
import { ErrorNotice, Loading, Section, StatusBadge } from '../components/Notice';
import { DataTable } from '../components/Table';
import { formatDate, formatDuration, samplerLabel, shortId } from '../format';
import { useLiveRefresh, type LiveUpdates } from '../live';
import { href, navigate } from '../router';
import { NewRunForm } from './NewRunForm';

const PAGE = 25;

export function RunProgress({ run }: { run: Run }) {
  const percent = Math.round(run.progress * 100);
  return (
    <span class="progress">
      <progress max={100} value={percent} aria-label={`run ${shortId(run.id)} progress`} />
      <span>
        {run.shards.succeeded}/{run.shards.total} shards · {percent}%
      </span>
    </span>
  );
}

export function RunsPage({ live, query }: { live: LiveUpdates; query: URLSearchParams }) {
  const status = query.get('status') ?? '';
  const kind = query.get('kind') ?? '';
  const offset = Number(query.get('offset') ?? 0) || 0;
  const runs = useLoad(
    (client) => client.listRuns({ status, kind, offset, limit: PAGE }),
    [status, kind, offset],
  );
  const [selected, setSelected] = useState<string[]>([]);
  const [showForm, setShowForm] = useState(false);
  const active = (runs.data?.items ?? []).some((run) => !FINISHED_RUN_STATUSES.includes(run.status));
  useLiveRefresh(live, runs.reload, active, ['run']);

  const setFilter = (changes: Record<string, string | undefined>) =>
    navigate('runs', { status, kind, ...changes, offset: changes.offset ?? undefined });
  const toggle = (id: string) =>
    setSelected((current) => (current.includes(id) ? current.filter((x) => x !== id) : [...current, id]));

  return (
    <>
      <div class="page-head">
        <h1>Runs</h1>
        <button
          type="button"
          onClick={() => setShowForm((v) => !v)}
          aria-expanded={showForm}
          aria-controls="new-run"
        >
          {showForm ? 'Close' : 'New run'}
        </button>
      </div>
      {showForm && (
        <Section title="New run" id="new-run">
          <NewRunForm
            onCreated={(run) => {
              setShowForm(false);
              runs.reload();
              navigate(`runs/${run.id}`);
            }}
          />
        </Section>
      )}
      <form class="filters" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label for="filter-status">Status</label>
        <select
          id="filter-status"
          value={status}
          onChange={(e) => setFilter({ status: e.currentTarget.value })}
        >
          <option value="">any</option>
          {RUN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label for="filter-kind">Kind</label>
        <select id="filter-kind" value={kind} onChange={(e) => setFilter({ kind: e.currentTarget.value })}>
          <option value="">any</option>
          <option value="generate">generate</option>
          <option value="train">train</option>
          <option value="evaluate">evaluate</option>
        </select>
        <button
          type="button"
          disabled={selected.length < 2}
          onClick={() => navigate('compare', { ids: selected.join(',') })}
          title="Select two or more runs in the table"
        >
          Compare selected ({selected.length})
        </button>
      </form>
      {runs.error !== undefined && <ErrorNotice error={runs.error} />}
      {!runs.data ? (
        runs.error === undefined && <Loading what="runs" />
      ) : runs.data.items.length === 0 ? (
        <p class="muted">
          No runs{status || kind ? ' match these filters' : ' yet: start one with “New run”'}.
        </p>
      ) : (
        <DataTable
          caption="Runs of your team, newest first; updates live"
          columns={[
            { label: 'Select for comparison', hidden: true },
            'Run',
            'Status',
            'Sampler',
            'Progress',
            'Samples',
            'Created',
            'Duration',
          ]}
          class="runs-table"
        >
          {runs.data.items.map((run) => (
            <tr key={run.id} data-run-id={run.id} data-status={run.status}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select run ${shortId(run.id)} for comparison`}
                  checked={selected.includes(run.id)}
                  onChange={() => toggle(run.id)}
                />
              </td>
              <td>
                <a href={href(`runs/${run.id}`)}>
                  <code>{shortId(run.id)}</code>
                </a>
              </td>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td>{samplerLabel(run)}</td>
              <td>
                <RunProgress run={run} />
              </td>
              <td>{run.samplesStored.toLocaleString('en')}</td>
              <td>{formatDate(run.timings.createdAt)}</td>
              <td>{formatDuration(run.timings.durationMs)}</td>
            </tr>
          ))}
        </DataTable>
      )}
      {runs.data && runs.data.total > PAGE && (
        <nav class="pager" aria-label="Pages of runs">
          <button
            type="button"
            disabled={offset === 0}
            onClick={() => setFilter({ offset: String(Math.max(0, offset - PAGE)) })}
          >
            Newer
          </button>
          <span>
            {offset + 1}–{Math.min(offset + PAGE, runs.data.total)} of {runs.data.total}
          </span>
          <button
            type="button"
            disabled={offset + PAGE >= runs.data.total}
            onClick={() => setFilter({ offset: String(offset + PAGE) })}
          >
            Older
          </button>
        </nav>
      )}
    </>
  );
}
