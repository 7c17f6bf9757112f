import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import seedrandom from 'seedrandom';
import {
  type Dataset,
  DatasetParseError,
  type UcrParseOptions,
  findUcrDataset,
  parseUcrSplit,
  parseUcrTrainTest,
} from '@maskgen/data';

const random = seedrandom('maskgen-data-fuzz');
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];

function firstLines(file: string, count: number): Buffer {
  const text = readFileSync(file, 'latin1');
  return Buffer.from(text.split('\n').slice(0, count).join('\n'), 'latin1');
}

function vendored(name: string): { train: string; test: string } {
  const files = findUcrDataset(name);
  assert.ok(files, `vendored ${name} missing`);
  return { train: files.trainPath, test: files.testPath };
}

// Small real files keep a few thousand parses well under the time budget.
const SEEDS: readonly Buffer[] = [
  readFileSync(vendored('ItalyPowerDemand').train),
  firstLines(vendored('GunPoint').train, 30),
  firstLines(vendored('ECG200').train, 25),
  firstLines(vendored('CBF').test, 20),
];

const TOKENS = [
  '@data',
  '@problemName x',
  '@univariate true',
  '@univariate false',
  '@classLabel true 1 2',
  '@classLabel',
  '@seriesLength 3',
  '@seriesLength 99999999999',
  '@equalLength true',
  '@missing true',
  '@timeStamps true',
  '#c',
  '1',
  '-1',
  '0',
  '2',
  '0.5',
  '1e38',
  '3.5e38',
  '1e999',
  '-0',
  'NaN',
  'nan',
  '?',
  'Infinity',
  '-Infinity',
  '0x1F',
  '1.2.3',
  'e5',
  '.',
  '+',
  '',
  ',',
  ':',
  '::',
  '\t',
  '\t\t',
  '\n',
  '\r\n',
  '\r',
  ' ',
  '(1,2)',
  'a',
  '\u0000',
  '\uFFFD',
  '\uFEFF',
  'é',
  '𝄞',
];

function tokenSoup(): string {
  const parts: string[] = [];
  const count = int(60);
  for (let i = 0; i < count; i++) parts.push(pick(TOKENS));
  return parts.join(pick(['', ' ', ',', '\t', '\n']));
}

function randomBytes(): Buffer {
  const bytes = Buffer.alloc(int(600));
  for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
  return bytes;
}

function mutate(seed: Buffer): Buffer {
  let bytes = Buffer.from(seed);
  const edits = 1 + int(2);
  for (let e = 0; e < edits; e++) {
    const at = int(bytes.length + 1);
    switch (int(7)) {
      case 0: {
        // Half the truncations end on a line break, leaving a shorter but valid file.
        const lineEnd = bytes.indexOf(10, at);
        bytes = bytes.subarray(0, random() < 0.5 && lineEnd !== -1 ? lineEnd : at);
        break;
      }
      case 1:
        if (at < bytes.length) bytes[at] = int(256);
        break;
      case 2:
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(pick(TOKENS)), bytes.subarray(at)]);
        break;
      case 3:
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + int(200)))]);
        break;
      case 4: {
        const from = int(bytes.length + 1);
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          bytes.subarray(from, from + int(300)),
          bytes.subarray(at),
        ]);
        break;
      }
      case 5: {
        // Swap one value for a missing marker or an edge-case number so policies get exercised.
        let seen = 0;
        const target = int(400);
        const text = bytes
          .toString('latin1')
          .replace(/-?\d+\.\d+/g, (value) =>
            seen++ === target ? pick(['NaN', '?', '1e999', '3e38', '']) : value,
          );
        bytes = Buffer.from(text, 'latin1');
        break;
      }
      default:
        bytes = Buffer.from(
          bytes.toString('latin1').replace(/[,\t]/g, () => pick([',', '\t', ':', ' ', ',,'])),
          'latin1',
        );
    }
  }
  return bytes;
}

function randomOptions(): UcrParseOptions {
  return {
    format: random() < 0.7 ? undefined : pick(['ts', 'tsv'] as const),
    missing: pick(['reject', 'interpolate'] as const),
    length: pick(['reject', 'resample'] as const),
    limits:
      random() < 0.2
        ? { maxRows: 1 + int(20), maxSeriesLength: 1 + int(50), maxClasses: 1 + int(3) }
        : undefined,
  };
}

function checkDataset(dataset: Dataset): void {
  assert.ok(dataset.length >= 1);
  assert.equal(dataset.labels.length, dataset.values.length);
  for (const series of dataset.values) {
    assert.equal(series.length, dataset.length);
    assert.ok(series.every(Number.isFinite), 'non-finite value in a parsed dataset');
  }
  for (const label of dataset.labels) assert.ok(label >= 0 && label < dataset.classNames.length);
}

test('parsers throw only DatasetParseError on random, truncated and mutated input', (t) => {
  const cases = 5000;
  let parsed = 0;
  const started = performance.now();
  for (let i = 0; i < cases; i++) {
    const kind = i % 3;
    const content: Buffer | string =
      kind === 0 ? randomBytes() : kind === 1 ? tokenSoup() : mutate(pick(SEEDS));
    const options = randomOptions();
    try {
      if (random() < 0.3) {
        const data = parseUcrTrainTest(
          { content: random() < 0.5 ? pick(SEEDS) : mutate(pick(SEEDS)), sourceName: 'fuzz_TRAIN' },
          { content, sourceName: 'fuzz_TEST' },
          options,
        );
        checkDataset(data.train);
        checkDataset(data.test);
      } else {
        checkDataset(parseUcrSplit({ content, sourceName: 'fuzz' }, options));
      }
      parsed++;
    } catch (error) {
      if (!(error instanceof DatasetParseError)) {
        const preview = JSON.stringify(content.toString().slice(0, 300));
        assert.fail(`case ${i} threw ${String(error)} for ${preview} with ${JSON.stringify(options)}`);
      }
      assert.ok(error.message.startsWith(error.source));
    }
  }
  t.diagnostic(
    `${cases} cases, ${parsed} parsed, ${cases - parsed} rejected, ${(performance.now() - started).toFixed(0)} ms`,
  );
});
