/**
 * Uploads are parsed from disk line by line (parseUcrTrainTestStreams): whatever the chunk boundaries, the result
 * and the errors are those of parsing the whole text.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DatasetParseError, parseUcrTrainTest, parseUcrTrainTestStreams } from '@maskgen/data';

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < bytes.length; start += size) {
    await Promise.resolve();
    yield bytes.subarray(start, start + size);
  }
}

const TRAIN_TSV = '\ufeff1\t1.5\t2\r\n2\t3\t-4e-1\r\n\n1\tNaN\t5\r2\t6\t7\n';
const TEST_TS = '# comment\r\n@problemName Toy\n@classLabel true 1 2\n@data\n1,2:1\r\n4,5:2';

describe('streamed UCR parsing', () => {
  void test('gives the same dataset as the whole text at every chunk size (CRLF, lone CR, BOM, UTF-8)', async () => {
    const options = { missing: 'interpolate' as const, name: 'Toy' };
    const whole = parseUcrTrainTest(
      { content: TRAIN_TSV, sourceName: 'x_TRAIN' },
      { content: TEST_TS, sourceName: 'x_TEST' },
      options,
    );
    const train = new TextEncoder().encode(TRAIN_TSV);
    const testBytes = new TextEncoder().encode(TEST_TS);
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const streamed = await parseUcrTrainTestStreams(
        { content: chunksOf(train, size), sourceName: 'x_TRAIN' },
        { content: chunksOf(testBytes, size), sourceName: 'x_TEST' },
        options,
      );
      assert.deepEqual(streamed, whole, `chunk size ${size}`);
    }
  });

  void test('errors name the same line and field', async () => {
    const bad = '1\t1\t2\n2\t3\tx\n';
    const streamed = await parseUcrTrainTestStreams(
      { content: chunksOf(new TextEncoder().encode(bad), 3), sourceName: 'bad_TRAIN.tsv' },
      { content: chunksOf(new TextEncoder().encode('1\t1\t2\n'), 3), sourceName: 'bad_TEST.tsv' },
    ).then(
      () => assert.fail('expected a DatasetParseError'),
      (error: unknown) => error,
    );
    assert.ok(streamed instanceof DatasetParseError);
    assert.match(streamed.message, /line 2.*field 3|line 2, field 3/);
  });

  void test('a line longer than any valid line fails before it is held whole', async () => {
    async function* endless(): AsyncGenerator<string> {
      for (let i = 0; i < 10_000; i++) {
        await Promise.resolve();
        yield '1'.repeat(1000);
      }
    }
    await assert.rejects(
      parseUcrTrainTestStreams(
        { content: endless(), sourceName: 'long_TRAIN.tsv' },
        { content: endless(), sourceName: 'long_TEST.tsv' },
        { limits: { maxSeriesLength: 10 } },
      ),
      (error: unknown) => error instanceof DatasetParseError && /line longer than/.test(error.message),
    );
  });
});
