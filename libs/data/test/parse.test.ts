import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Dataset,
  DatasetParseError,
  type UcrSource,
  type UcrSplitOptions,
  flattenValues,
  parseUcrSplit,
  parseUcrTrainTest,
} from '@maskgen/data';

const tsv = (content: string, sourceName = 'upload_TRAIN.tsv'): UcrSource => ({ content, sourceName });
const ts = (content: string, sourceName = 'upload_TRAIN.ts'): UcrSource => ({ content, sourceName });

function parseError(fn: () => unknown): DatasetParseError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DatasetParseError, `expected DatasetParseError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a DatasetParseError');
}

function rows(dataset: Dataset): number[][] {
  return dataset.values.map((series) => Array.from(series));
}

function labelsOf(dataset: Dataset): string[] {
  return Array.from(dataset.labels, (k) => dataset.classNames[k]);
}

const TS_HEADER = '@problemName Toy\n@timeStamps false\n@univariate true\n@classLabel true a b\n@data\n';

describe('label mapping', () => {
  void test('negative, zero-based and numeric labels sort numerically', () => {
    const data = parseUcrSplit(tsv('1\t1\t2\n-1\t3\t4\n0\t5\t6\n10\t7\t8\n2\t9\t9\n'));
    assert.deepEqual(data.classNames, ['-1', '0', '1', '2', '10']);
    assert.deepEqual(Array.from(data.labels), [2, 0, 1, 4, 3]);
  });

  void test('string labels sort by code unit and keep their names', () => {
    const data = parseUcrSplit(ts('@data\n1,2:dog\n3,4:cat\n5,6:Zebra\n7,8:cat\n'));
    assert.deepEqual(data.classNames, ['Zebra', 'cat', 'dog']);
    assert.deepEqual(labelsOf(data), ['dog', 'cat', 'Zebra', 'cat']);
  });

  void test('numeric spellings of one value are one class', () => {
    const data = parseUcrSplit(tsv('1.0000000e+00\t1\t2\n1\t3\t4\n2.0\t5\t6\n'));
    assert.deepEqual(data.classNames, ['1', '2']);
    assert.deepEqual(Array.from(data.labels), [0, 0, 1]);
  });

  void test('the mapping is fitted on training labels only and reused for test', () => {
    const data = parseUcrTrainTest(
      tsv('2\t1\t1\n1\t2\t2\n'),
      tsv('1\t3\t3\n2\t4\t4\n1\t5\t5\n', 'up_TEST.tsv'),
    );
    assert.deepEqual(data.classNames, ['1', '2']);
    assert.deepEqual(Array.from(data.test.labels), [0, 1, 0]);
    assert.deepEqual(data.test.classNames, data.train.classNames);
  });

  void test('a test label missing from training is an error at its line and field', () => {
    const error = parseError(() =>
      parseUcrTrainTest(tsv('1\t1\t1\n2\t2\t2\n'), tsv('1\t3\t3\n\n3\t4\t4\n', 'up_TEST.tsv')),
    );
    assert.equal(error.source, 'up_TEST.tsv');
    assert.equal(error.line, 3);
    assert.equal(error.field, 1);
    assert.match(
      error.message,
      /^up_TEST\.tsv line 3, field 1: class label '3' does not occur in the training labels/,
    );
  });

  void test('.ts labels must be among @classLabel', () => {
    const error = parseError(() => parseUcrSplit(ts(`${TS_HEADER}1,2,3:a\n1,2,3:c\n`)));
    assert.equal(error.line, 7);
    assert.equal(error.field, 4);
  });
});

describe('.ts format', () => {
  void test('headers in any order, comments, blank lines and no @seriesLength', () => {
    const text =
      '#comment\n\n@classLabel true 0 1\n\n@univariate true\n#more\n@problemName Toy\n@DATA\n1,2,3:0\n\n4,5,6:1\n';
    const data = parseUcrSplit(ts(text));
    assert.equal(data.name, 'Toy');
    assert.equal(data.length, 3);
    assert.deepEqual(rows(data), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  void test('@seriesLength with @equalLength true is enforced', () => {
    const error = parseError(() => parseUcrSplit(ts('@equalLength true\n@seriesLength 4\n@data\n1,2,3:a\n')));
    assert.equal(error.line, 4);
    assert.equal(error.field, 4);
    assert.match(error.reason, /series has 3 values but @seriesLength has 4/);
  });

  const rejected: [string, string, RegExp][] = [
    ['@univariate false', '@univariate false\n@data\n1:a\n', /multivariate/],
    ['two dimensions in a case', '@data\n1,2:3,4:a\n', /multivariate/],
    ['@dimensions 3', '@dimensions 3\n@data\n1:a\n', /multivariate/],
    ['time stamps', '@timeStamps true\n@data\n(0,1):a\n', /time-stamped/],
    ['regression', '@targetLabel true\n@data\n1:0.5\n', /regression/],
    ['unlabelled', '@classLabel false\n@data\n1,2\n', /unlabelled/],
    ['no @data', '@problemName x\n', /no @data/],
    ['data before header', '1,2:a\n@data\n', /expected a @header/],
    ['missing label', '@data\n1,2,3\n', /missing ':<label>'/],
    ['empty label', '@data\n1,2,3:\n', /empty class label/],
    ['no values', '@data\n:a\n', /no values/],
    ['empty value', '@data\n1,,3:a\n', /empty value/],
    ['bad boolean', '@missing maybe\n@data\n1:a\n', /must be true or false/],
    ['bad length', '@seriesLength -3\n@data\n1:a\n', /positive integer/],
    ['header only', '@problemName x\n@data\n', /no series found/],
  ];
  for (const [title, text, pattern] of rejected) {
    void test(`rejects ${title}`, () => {
      const error = parseError(() => parseUcrSplit(ts(text, 'bad.ts')));
      assert.equal(error.source, 'bad.ts');
      assert.match(error.message, pattern);
    });
  }
});

describe('.tsv format and hostile values', () => {
  void test('accepts Buffer input with a BOM and CRLF line ends', () => {
    const data = parseUcrSplit({
      content: Buffer.from('\uFEFF1\t0.5\t-2\r\n2\t3e2\t+4\r\n'),
      sourceName: 'b.tsv',
    });
    assert.deepEqual(rows(data), [
      [0.5, -2],
      [300, 4],
    ]);
    assert.deepEqual(data.classNames, ['1', '2']);
  });

  void test('detects the format from the name, else from the content', () => {
    assert.equal(parseError(() => parseUcrSplit({ content: '1\t2\n', sourceName: 'x.ts' })).line, 1);
    assert.equal(parseUcrSplit({ content: '@data\n1,2:a\n', sourceName: 'x' }).length, 2);
    assert.equal(parseUcrSplit({ content: 'a\t1\t2\t3\n', sourceName: 'x' }).length, 3);
  });

  const rejected: [string, string, number | undefined, number | undefined, RegExp][] = [
    ['empty input', '', undefined, undefined, /no series found/],
    ['only blank lines', '\n \n\t\n', undefined, undefined, /no series found/],
    ['a line with only a label', '1\t1\t2\n2\n', 2, 1, /class label but no values/],
    ['Infinity', '1\t1\tInfinity\n', 1, 3, /not a number: 'Infinity'/],
    ['hex numbers', '1\t0x10\n', 1, 2, /not a number/],
    ['overflowing numbers', '1\t1\t2\t1e999\n', 1, 4, /outside the float32 range/],
    ['values beyond float32', '1\t-1e39\n', 1, 2, /outside the float32 range/],
    ['words', '1\t1\tabc\n', 1, 3, /not a number: 'abc'/],
    ['an empty field', '1\t1\t\t2\n', 1, 3, /empty value/],
    ['a series of only NaN', '1\tNaN\tNaN\n', 1, 2, /all NaN/],
  ];
  for (const [title, text, line, field, pattern] of rejected) {
    void test(`rejects ${title}`, () => {
      const error = parseError(() => parseUcrSplit(tsv(text, 'up.tsv')));
      assert.equal(error.line, line);
      assert.equal(error.field, field);
      assert.match(error.message, pattern);
    });
  }

  void test('keeps values near the float32 limit', () => {
    const data = parseUcrSplit(tsv('1\t3.4e38\t-3.4e38\t1e-50\n'));
    assert.deepEqual(rows(data), [[Math.fround(3.4e38), Math.fround(-3.4e38), 0]]);
  });
});

describe('missing values', () => {
  void test('rejected by default, naming source, line and field', () => {
    const error = parseError(() => parseUcrSplit(tsv('1\t1\t2\t3\n2\t1\tNaN\t3\n', 'Mine_TRAIN.tsv')));
    assert.equal(error.message.startsWith('Mine_TRAIN.tsv line 2, field 3: missing value'), true);
    const tsError = parseError(() => parseUcrSplit(ts('@data\n1,2,?,4:a\n', 'Mine_TRAIN.ts')));
    assert.equal(tsError.line, 2);
    assert.equal(tsError.field, 3);
  });

  void test('interpolated linearly inside, held at the edges', () => {
    const options = { missing: 'interpolate' } as const;
    assert.deepEqual(rows(parseUcrSplit(ts('@data\n?,?,2,?,?,?,6,?:a\n'), options)), [
      [2, 2, 2, 3, 4, 5, 6, 6],
    ]);
    assert.deepEqual(rows(parseUcrSplit(tsv('a\tnan\t1\t?\t-1\n'), options)), [[1, 1, 0, -1]]);
  });

  void test('a series with no known value cannot be interpolated', () => {
    const error = parseError(() => parseUcrSplit(ts('@data\n?,?:a\n'), { missing: 'interpolate' }));
    assert.match(error.reason, /every value of the series is missing/);
  });
});

describe('variable length', () => {
  const ragged = '1\t0\t1\t2\t3\n1\t0\t3\tNaN\tNaN\n2\t5\t5\t5\t5\n2\t0\t1\t2\t3\t4\t5\t6\n';

  void test('rejected by default, naming the first deviating line and field', () => {
    const error = parseError(() => parseUcrSplit(tsv(ragged, 'R_TRAIN.tsv')));
    assert.equal(error.line, 2);
    assert.equal(error.field, 4);
    assert.match(
      error.message,
      /^R_TRAIN\.tsv line 2, field 4: series has 2 values but the first series \(line 1\) has 4/,
    );
  });

  void test('resampled linearly to the most common length by default', () => {
    const data = parseUcrSplit(tsv(ragged), { length: 'resample' });
    assert.equal(data.length, 4);
    assert.deepEqual(rows(data), [
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [5, 5, 5, 5],
      [0, 2, 4, 6],
    ]);
  });

  void test('ties in the most common length go to the longer one; targetLength overrides', () => {
    const tie = parseUcrSplit(tsv('1\t0\t2\n1\t0\t1\t2\n'), { length: 'resample' });
    assert.equal(tie.length, 3);
    assert.deepEqual(rows(tie)[0], [0, 1, 2]);
    const explicit = parseUcrSplit(tsv('1\t0\t3\n'), { length: 'resample', targetLength: 7 });
    assert.deepEqual(rows(explicit)[0], [0, 0.5, 1, 1.5, 2, 2.5, 3]);
  });

  void test('test series must match the training length, or are resampled to it', () => {
    const train = tsv('1\t0\t1\t2\n');
    const test = tsv('1\t0\t4\n', 'R_TEST.tsv');
    const error = parseError(() => parseUcrTrainTest(train, test));
    assert.match(
      error.message,
      /^R_TEST\.tsv line 1, field 4: series has 2 values but the training split has 3/,
    );
    const data = parseUcrTrainTest(train, test, { length: 'resample' });
    assert.deepEqual(rows(data.test), [[0, 2, 4]]);
  });

  void test('missing values are filled before resampling', () => {
    const data = parseUcrSplit(ts('@data\n0,?,4:a\n0,1,2,3,4:a\n0,2,4:a\n'), {
      missing: 'interpolate',
      length: 'resample',
    });
    assert.equal(data.length, 3);
    assert.deepEqual(rows(data), [
      [0, 2, 4],
      [0, 2, 4],
      [0, 2, 4],
    ]);
  });
});

describe('size guards', () => {
  const guarded = (text: string, options: UcrSplitOptions) =>
    parseError(() => parseUcrSplit(tsv(text), options));

  void test('maxRows', () => {
    const error = guarded('1\t1\n'.repeat(5), { limits: { maxRows: 4 } });
    assert.equal(error.line, 5);
    assert.match(error.reason, /more than the limit of 4 series/);
  });

  void test('maxSeriesLength stops before splitting a huge line', () => {
    const error = guarded(`1\t${'0\t'.repeat(1_000_000)}0\n`, { limits: { maxSeriesLength: 1000 } });
    assert.equal(error.field, 1002);
    assert.match(error.reason, /longer than the limit of 1000/);
  });

  void test('maxTotalValues and maxClasses', () => {
    assert.match(
      guarded('1\t1\t2\t3\n'.repeat(4), { limits: { maxTotalValues: 10 } }).reason,
      /values in total/,
    );
    const error = guarded('a\t1\nb\t1\nc\t1\n', { limits: { maxClasses: 2 } });
    assert.equal(error.line, 3);
  });

  void test('invalid options are a RangeError, not a parse error', () => {
    assert.throws(() => parseUcrSplit(tsv('1\t1\n'), { limits: { maxRows: 0 } }), RangeError);
    assert.throws(() => parseUcrSplit(tsv('1\t1\n'), { length: 'resample', targetLength: 0 }), RangeError);
  });
});

test('flattenValues is row-major [series, time]', () => {
  const data = parseUcrSplit(tsv('1\t1\t2\n2\t3\t4\n'));
  assert.deepEqual(Array.from(flattenValues(data)), [1, 2, 3, 4]);
});
