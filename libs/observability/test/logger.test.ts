import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QueryFailedError } from 'typeorm';
import { serializeError } from '../src/logger';

test("a failed query's error is logged with its query and message, without its bound parameters", () => {
  const blob = Buffer.alloc(1_000_000, 7);
  const error = new QueryFailedError('INSERT INTO samples SELECT $1', [blob], new Error('deadlock detected'));
  const serialized = serializeError(error);
  assert.equal(serialized.message, 'deadlock detected');
  assert.equal(serialized.query, 'INSERT INTO samples SELECT $1');
  assert.equal('parameters' in serialized, false);
  assert.ok(JSON.stringify(serialized).length < 10_000);
});
