import { useState } from 'preact/hooks';
import {
  SAMPLER_METHODS,
  SYNTHETIC_GENERATORS,
  SYNTHETIC_LENGTH,
  type CreateRunRequest,
  type Model,
  type Run,
  type SamplerMethod,
  type SyntheticGenerator,
} from '@maskgen/client';
import { useAction, useClient, useLoad } from '../api';
import { ErrorText } from '../components/Notice';
import { NumberField } from '../components/NumberField';

/** What the choices say beside their value. */
const GENERATOR_LABELS: Record<SyntheticGenerator, string> = {
  cbf: 'cbf (cylinder, bell, funnel)',
  'synthetic-control': 'synthetic-control',
};
const METHOD_LABELS: Record<SamplerMethod, string> = {
  naive: 'naive iterative decoding',
  ess: 'ESS (enhanced sampling)',
};

/** Starts a generation run: the synthetic reference sampler, or a trained model (naive or ESS). */
export function NewRunForm({ onCreated }: { onCreated: (run: Run) => void }) {
  const client = useClient();
  const models = useLoad((c) => c.listModels({ status: 'ready', limit: 100 }), []);
  const readyModels: Model[] = models.data?.items ?? [];
  const [kind, setKind] = useState<'synthetic' | 'model'>('synthetic');
  const [generator, setGenerator] = useState<SyntheticGenerator>('cbf');
  const [length, setLength] = useState(128);
  const [modelId, setModelId] = useState('');
  const [method, setMethod] = useState<SamplerMethod>('ess');
  const [numSamples, setNumSamples] = useState(1000);
  const [shardSize, setShardSize] = useState(250);
  const [seed, setSeed] = useState('');
  const { error, busy, run } = useAction();

  const submit = (event: Event) => {
    event.preventDefault();
    const chosenModel = modelId || readyModels[0]?.id;
    return run(async () => {
      const request: CreateRunRequest = {
        sampler:
          kind === 'model'
            ? { kind: 'model', modelId: chosenModel ?? '', method, classes: 'balanced' }
            : { kind: 'synthetic', generator, length },
        numSamples,
        shardSize,
        ...(seed.trim() ? { seed: Number(seed) } : {}),
      };
      onCreated(await client.createRun(request));
    });
  };

  return (
    <form class="grid-form" onSubmit={(event) => void submit(event)} aria-label="New run">
      <fieldset>
        <legend>Sampler</legend>
        <label class="inline">
          <input
            type="radio"
            name="sampler-kind"
            checked={kind === 'synthetic'}
            onChange={() => setKind('synthetic')}
          />
          Synthetic reference
        </label>
        <label class="inline">
          <input
            type="radio"
            name="sampler-kind"
            checked={kind === 'model'}
            onChange={() => setKind('model')}
            disabled={readyModels.length === 0}
          />
          Trained model{readyModels.length === 0 ? ' (none ready)' : ''}
        </label>
      </fieldset>
      {kind === 'synthetic' ? (
        <>
          <div>
            <label for="run-generator">Generator</label>
            <select
              id="run-generator"
              value={generator}
              onChange={(e) => setGenerator(e.currentTarget.value as typeof generator)}
            >
              {SYNTHETIC_GENERATORS.map((g) => (
                <option key={g} value={g}>
                  {GENERATOR_LABELS[g]}
                </option>
              ))}
            </select>
          </div>
          <NumberField
            id="run-length"
            label="Series length"
            min={SYNTHETIC_LENGTH.min}
            max={SYNTHETIC_LENGTH.max}
            value={length}
            onValue={setLength}
          />
        </>
      ) : (
        <>
          <div>
            <label for="run-model">Model</label>
            <select
              id="run-model"
              value={modelId || readyModels[0]?.id}
              onChange={(e) => setModelId(e.currentTarget.value)}
            >
              {readyModels.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} ({m.profile})
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="run-method">Method</label>
            <select
              id="run-method"
              value={method}
              onChange={(e) => setMethod(e.currentTarget.value as typeof method)}
            >
              {SAMPLER_METHODS.map((m) => (
                <option key={m} value={m}>
                  {METHOD_LABELS[m]}
                </option>
              ))}
            </select>
          </div>
        </>
      )}
      <NumberField id="run-samples" label="Samples" min={1} value={numSamples} onValue={setNumSamples} />
      <NumberField id="run-shard" label="Shard size" min={1} value={shardSize} onValue={setShardSize} />
      <NumberField
        id="run-seed"
        label="Seed (optional)"
        min={0}
        value={seed}
        onValue={(_, text) => setSeed(text)}
      />
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Starting…' : 'Start run'}
        </button>
      </div>
      <ErrorText text={error} />
    </form>
  );
}
