import { useState } from 'preact/hooks';
import {
  SYNTHETIC_GENERATORS,
  SYNTHETIC_LENGTH,
  type Schedule,
  type SyntheticGenerator,
} from '@maskgen/client';
import { useAction, useClient, useLoad } from '../api';
import { ErrorNotice, ErrorText, LoadedItems, Loading, Section, StatusBadge } from '../components/Notice';
import { DataTable } from '../components/Table';
import { formatDate, formatNumber, shortId } from '../format';
import { href, navigate } from '../router';

function describeRun(schedule: Schedule): string {
  const sampler = schedule.run?.sampler;
  if (!sampler) return '–';
  const what =
    sampler.kind === 'model'
      ? `${sampler.method} · model ${shortId(sampler.modelId)}`
      : `${sampler.generator} · length ${sampler.length}`;
  return `${schedule.run.numSamples.toLocaleString('en')} samples, ${what}`;
}

export function SchedulesPage({ name }: { name?: string }) {
  const client = useClient();
  const schedules = useLoad((c) => c.listSchedules(), []);
  const deletion = useAction();
  const remove = async (schedule: string) => {
    if (!confirm(`Delete schedule ${schedule}?`)) return;
    await deletion.run(async () => {
      await client.deleteSchedule(schedule);
      schedules.reload();
      if (name === schedule) navigate('schedules');
    });
  };
  return (
    <>
      <h1>Schedules</h1>
      <div class="columns">
        <Section title="Create or replace a schedule" id="new-schedule">
          <ScheduleForm onSaved={() => schedules.reload()} />
        </Section>
        <Section title="Your schedules" id="schedule-list">
          <ErrorText text={deletion.error} />
          <LoadedItems list={schedules} what="schedules" empty="No schedules yet.">
            {(items) => (
              <DataTable
                caption="Schedules of your team"
                columns={['Name', 'Cron', 'Next run', 'Run', { label: 'Actions', hidden: true }]}
              >
                {items.map((s) => (
                  <tr key={s.name}>
                    <td>
                      <a href={href(`schedules/${s.name}`)}>{s.name}</a>
                    </td>
                    <td>
                      <code>{s.cron}</code> ({s.timezone})
                    </td>
                    <td>{formatDate(s.nextRunAt)}</td>
                    <td>{describeRun(s)}</td>
                    <td>
                      <button
                        type="button"
                        class="danger small"
                        onClick={() => void remove(s.name)}
                        aria-label={`Delete schedule ${s.name}`}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </DataTable>
            )}
          </LoadedItems>
        </Section>
      </div>
      {name && <History name={name} />}
    </>
  );
}

function ScheduleForm({ onSaved }: { onSaved: () => void }) {
  const client = useClient();
  const [form, setForm] = useState({
    name: 'nightly',
    cron: '0 2 * * *',
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
    generator: 'cbf' as SyntheticGenerator,
    length: 128,
    numSamples: 1000,
  });
  const { error, run } = useAction();
  const [saved, setSaved] = useState<string | null>(null);
  const submit = (event: Event) => {
    event.preventDefault();
    setSaved(null);
    return run(async () => {
      await client.putSchedule(form.name, {
        cron: form.cron,
        timezone: form.timezone,
        run: {
          sampler: { kind: 'synthetic', generator: form.generator, length: form.length },
          numSamples: form.numSamples,
        },
      });
      setSaved(`Saved schedule ${form.name}.`);
      onSaved();
    });
  };
  const field = (key: keyof typeof form) => (e: Event) => {
    const target = e.currentTarget as HTMLInputElement;
    setForm({ ...form, [key]: target.type === 'number' ? Number(target.value) : target.value });
  };
  return (
    <form class="grid-form" onSubmit={(e) => void submit(e)} aria-label="Schedule">
      <div>
        <label for="sched-name">Name</label>
        <input
          id="sched-name"
          value={form.name}
          onInput={field('name')}
          pattern="[a-z0-9][a-z0-9-]{0,62}"
          required
          aria-describedby="sched-name-help"
        />
        <small id="sched-name-help">lower-case letters, digits and -; an existing name is replaced</small>
      </div>
      <div>
        <label for="sched-cron">Cron pattern</label>
        <input id="sched-cron" value={form.cron} onInput={field('cron')} required />
      </div>
      <div>
        <label for="sched-tz">Time zone</label>
        <input id="sched-tz" value={form.timezone} onInput={field('timezone')} required />
      </div>
      <div>
        <label for="sched-generator">Generator</label>
        <select id="sched-generator" value={form.generator} onChange={field('generator')}>
          {SYNTHETIC_GENERATORS.map((generator) => (
            <option key={generator} value={generator}>
              {generator}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="sched-length">Series length</label>
        <input
          id="sched-length"
          type="number"
          min={SYNTHETIC_LENGTH.min}
          max={SYNTHETIC_LENGTH.max}
          value={form.length}
          onInput={field('length')}
        />
      </div>
      <div>
        <label for="sched-samples">Samples per run</label>
        <input
          id="sched-samples"
          type="number"
          min={1}
          value={form.numSamples}
          onInput={field('numSamples')}
        />
      </div>
      <div class="actions">
        <button type="submit">Save schedule</button>
      </div>
      <ErrorText text={error} />
      {saved && (
        <p class="notice" role="status">
          {saved}
        </p>
      )}
    </form>
  );
}

function History({ name }: { name: string }) {
  const history = useLoad((c) => c.scheduleHistory(name), [name]);
  const metrics = [...new Set((history.data ?? []).flatMap((e) => Object.keys(e.metrics ?? {})))].sort();
  return (
    <Section title={`Runs started by ${name}`} id="schedule-history">
      {history.error !== undefined ? (
        <ErrorNotice error={history.error} feature="Schedule history" />
      ) : !history.data ? (
        <Loading what="history" />
      ) : history.data.length === 0 ? (
        <p class="muted">No runs yet.</p>
      ) : (
        <>
          <p>
            <a
              href={href('compare', {
                ids: history.data
                  .slice(0, 6)
                  .map((e) => e.runId)
                  .join(','),
              })}
            >
              Compare the latest runs
            </a>{' '}
            (the comparison page also charts this history).
          </p>
          <DataTable
            caption="Runs started by this schedule"
            columns={['Run', 'Started', 'Status', ...metrics.map((m) => ({ label: m, num: true }))]}
          >
            {history.data.map((e) => (
              <tr key={e.runId}>
                <td>
                  <a href={href(`runs/${e.runId}`)}>
                    <code>{shortId(e.runId)}</code>
                  </a>
                </td>
                <td>{formatDate(e.createdAt)}</td>
                <td>
                  <StatusBadge status={e.status} />
                </td>
                {metrics.map((m) => (
                  <td key={m} class="num">
                    {e.metrics?.[m] === undefined ? '–' : formatNumber(e.metrics[m])}
                  </td>
                ))}
              </tr>
            ))}
          </DataTable>
        </>
      )}
    </Section>
  );
}
