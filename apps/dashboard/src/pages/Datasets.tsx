import { useMemo, useState } from 'preact/hooks';
import {
  BUILTIN_DATASETS,
  SYNTHETIC_GENERATORS,
  type Dataset,
  type DatasetSeries,
  type SyntheticGenerator,
} from '@maskgen/client';
import { useAction, useClient, useLoad } from '../api';
import { LineChart } from '../components/LineChart';
import { DataTable } from '../components/Table';
import { ErrorNotice, ErrorText, LoadedItems, Loading, Section } from '../components/Notice';
import { NumberField } from '../components/NumberField';
import { formatDate, PALETTE } from '../format';
import { href, navigate } from '../router';

const PREVIEW = 100;
const LINES_PER_CLASS = 10;

export function DatasetsPage({ id }: { id?: string }) {
  const datasets = useLoad((c) => c.listDatasets({ limit: 200 }), []);
  return (
    <>
      <h1>Datasets</h1>
      <div class="columns">
        <Section title="Add a dataset" id="add-dataset">
          <AddDataset onAdded={(d) => (datasets.reload(), navigate(`datasets/${d.id}`))} />
        </Section>
        <Section title="Your datasets" id="dataset-list">
          <LoadedItems list={datasets} what="datasets" empty="No datasets yet.">
            {(items) => (
              <DataTable
                caption="Datasets of your team"
                columns={[
                  'Name',
                  'Source',
                  { label: 'Length', num: true },
                  { label: 'Train / test', num: true },
                  'Classes',
                ]}
              >
                {items.map((d) => (
                  <tr key={d.id} aria-current={d.id === id ? 'true' : undefined}>
                    <td>
                      <a href={href(`datasets/${d.id}`)}>{d.name}</a>
                    </td>
                    <td>{d.sourceKind}</td>
                    <td class="num">{d.seriesLength}</td>
                    <td class="num">
                      {d.trainCount} / {d.testCount}
                    </td>
                    <td>{d.classNames.length}</td>
                  </tr>
                ))}
              </DataTable>
            )}
          </LoadedItems>
        </Section>
      </div>
      {id && <DatasetPreview id={id} onDeleted={() => (datasets.reload(), navigate('datasets'))} />}
    </>
  );
}

function AddDataset({ onAdded }: { onAdded: (dataset: Dataset) => void }) {
  const client = useClient();
  const { error, busy, run } = useAction();
  const add = (event: Event, create: () => Promise<Dataset>) => {
    event.preventDefault();
    return run(async () => onAdded(await create()));
  };
  const [builtin, setBuiltin] = useState('GunPoint');
  const [synthetic, setSynthetic] = useState({
    name: 'cbf-synthetic',
    generator: 'cbf' as SyntheticGenerator,
    perClass: 30,
    seed: 0,
  });

  return (
    <>
      <form
        onSubmit={(e) => void add(e, () => client.builtinDataset({ dataset: builtin }))}
        class="inline-form"
        aria-label="Import a built-in dataset"
      >
        <label for="builtin-name">Built-in UCR dataset</label>
        <select id="builtin-name" value={builtin} onChange={(e) => setBuiltin(e.currentTarget.value)}>
          {BUILTIN_DATASETS.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
        <button type="submit" disabled={busy}>
          Import
        </button>
      </form>
      <form
        onSubmit={(e) =>
          void add(e, () =>
            client.syntheticDataset({
              name: synthetic.name,
              generator: synthetic.generator,
              trainPerClass: synthetic.perClass,
              testPerClass: synthetic.perClass,
              seed: synthetic.seed,
            }),
          )
        }
        class="grid-form"
        aria-label="Create a synthetic dataset"
      >
        <div>
          <label for="syn-name">Synthetic dataset name</label>
          <input
            id="syn-name"
            value={synthetic.name}
            onInput={(e) => setSynthetic({ ...synthetic, name: e.currentTarget.value })}
          />
        </div>
        <div>
          <label for="syn-generator">Generator</label>
          <select
            id="syn-generator"
            value={synthetic.generator}
            onChange={(e) =>
              setSynthetic({ ...synthetic, generator: e.currentTarget.value as SyntheticGenerator })
            }
          >
            {SYNTHETIC_GENERATORS.map((generator) => (
              <option key={generator} value={generator}>
                {generator}
              </option>
            ))}
          </select>
        </div>
        <NumberField
          id="syn-per-class"
          label="Series per class"
          min={1}
          value={synthetic.perClass}
          onValue={(perClass) => setSynthetic({ ...synthetic, perClass })}
        />
        <NumberField
          id="syn-seed"
          label="Seed"
          min={0}
          value={synthetic.seed}
          onValue={(seed) => setSynthetic({ ...synthetic, seed })}
        />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Create
          </button>
        </div>
      </form>
      <form
        onSubmit={(e) => {
          const form = new FormData(e.currentTarget);
          void add(e, () => client.uploadDataset(form));
        }}
        class="grid-form"
        aria-label="Upload a UCR dataset"
      >
        <div>
          <label for="upload-name">Upload: name</label>
          <input id="upload-name" name="name" required />
        </div>
        <div>
          <label for="upload-train">Train file (.tsv or .ts)</label>
          <input id="upload-train" name="train" type="file" accept=".tsv,.ts,.txt" required />
        </div>
        <div>
          <label for="upload-test">Test file (.tsv or .ts)</label>
          <input id="upload-test" name="test" type="file" accept=".tsv,.ts,.txt" required />
        </div>
        <div class="actions">
          <button type="submit" disabled={busy}>
            Upload
          </button>
        </div>
      </form>
      <ErrorText text={error} />
    </>
  );
}

function DatasetPreview({ id, onDeleted }: { id: string; onDeleted: () => void }) {
  const client = useClient();
  const dataset = useLoad((c) => c.getDataset(id), [id]);
  const [split, setSplit] = useState<'train' | 'test'>('train');
  const series = useLoad((c) => c.datasetSeries(id, { split, limit: PREVIEW }), [id, split]);
  const deletion = useAction();
  const plots = useMemo(() => {
    const groups = new Map<number, DatasetSeries[]>();
    for (const s of series.data?.items ?? [])
      groups.set(s.classIndex, [...(groups.get(s.classIndex) ?? []), s]);
    return [...groups.entries()].sort(([a], [b]) => a - b);
  }, [series.data]);
  if (!dataset.data)
    return dataset.error !== undefined ? (
      <ErrorNotice error={dataset.error} />
    ) : (
      <Loading what="the dataset" />
    );
  const d = dataset.data;
  return (
    <Section title={`Preview: ${d.name}`} id="preview">
      <p class="muted">
        {d.sourceKind} · length {d.seriesLength} · {d.trainCount} train / {d.testCount} test · classes{' '}
        {d.classNames.join(', ')} · added {formatDate(d.createdAt)}
      </p>
      <div class="filters">
        <label for="preview-split">Split</label>
        <select
          id="preview-split"
          value={split}
          onChange={(e) => setSplit(e.currentTarget.value as 'train' | 'test')}
        >
          <option value="train">train</option>
          <option value="test">test</option>
        </select>
        <button
          type="button"
          class="danger"
          onClick={() => {
            if (!confirm(`Delete dataset ${d.name}?`)) return;
            void deletion.run(async () => {
              await client.deleteDataset(d.id);
              onDeleted();
            });
          }}
        >
          Delete dataset
        </button>
      </div>
      <ErrorText text={deletion.error} />
      {series.error !== undefined && <ErrorNotice error={series.error} />}
      {!series.data ? (
        <Loading what="series" />
      ) : (
        <div class="chart-grid">
          {plots.map(([classIndex, items]) => (
            <LineChart
              key={classIndex}
              title={d.classNames[classIndex] ?? `class ${classIndex}`}
              series={items.slice(0, LINES_PER_CLASS).map((s) => ({
                label: `#${s.index}`,
                values: s.values,
                color: PALETTE[classIndex % PALETTE.length],
                width: 1,
              }))}
              legend={false}
              xLabel="time step"
              summary={`${Math.min(items.length, LINES_PER_CLASS)} ${split} series of class ${d.classNames[classIndex] ?? classIndex}.`}
            />
          ))}
        </div>
      )}
    </Section>
  );
}
