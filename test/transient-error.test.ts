import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  QueryRunnerAlreadyReleasedError,
  QueryRunnerProviderAlreadyReleasedError,
  TypeORMError,
} from 'typeorm';
import { isTransientDbError } from '@maskgen/persistence';

test('a transaction whose connection was cut (TypeORM released its query runner) is transient; a plain bug is not', () => {
  // What a shard's insert transaction throws after pg_terminate_backend (seen in the fault suite).
  assert.equal(isTransientDbError(new QueryRunnerAlreadyReleasedError()), true);
  // A query on such a runner (a shard completion's transaction in the fault suite, failing its run).
  assert.equal(isTransientDbError(new QueryRunnerProviderAlreadyReleasedError()), true);
  assert.equal(
    isTransientDbError(Object.assign(new Error('terminating connection'), { code: '57P01' })),
    true,
  );
  assert.equal(isTransientDbError(new TypeORMError('No metadata for "X" was found.')), false);
  assert.equal(isTransientDbError(Object.assign(new Error('duplicate key'), { code: '23505' })), false);
});
