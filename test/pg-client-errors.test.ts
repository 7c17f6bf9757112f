/**
 * Issue 21 fault suite: terminating worker backends (pg_terminate_backend) killed both worker processes with an
 * uncaught 'error' event of a pg client. TypeORM's query runner releases itself on a connection's first error and
 * removes its listener, and pg-pool keeps none on a checked-out client, so the second error of the dying connection
 * had nobody to hear it. Every client of the data source now has a listener of its own (ListenedClient).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client, Pool, PoolClient } from 'pg';
import { useTestDataSource } from './support/database';

const database = useTestDataSource('pg-client-errors', { migrated: false });

test("a connection's second error after its query runner released itself does not throw", async () => {
  const runner = database.dataSource.createQueryRunner();
  await runner.connect();
  await runner.query('SELECT 1');
  // The pg client the runner holds (TypeORM keeps it as databaseConnection).
  const client = (runner as unknown as { databaseConnection: Client }).databaseConnection;
  const terminated = Object.assign(new Error('terminating connection due to administrator command'), {
    code: '57P01',
  });
  // First error: the runner releases itself (and drops its listener); the pool discards the client.
  client.emit('error', terminated);
  assert.equal(runner.isReleased, true);
  // Second error of the same dying connection (the socket closing): without a listener, emit throws it.
  assert.doesNotThrow(() => client.emit('error', new Error('Connection terminated unexpectedly')));
  // The data source still works on a fresh connection.
  assert.deepEqual(await database.dataSource.query('SELECT 1 AS one'), [{ one: 1 }]);
});

test('a checked-out client has an error listener of its own (pg-pool keeps none on it)', async () => {
  const pool = (database.dataSource.driver as unknown as { master: Pool }).master;
  const client: PoolClient = await pool.connect();
  try {
    // Whoever checked it out has not listened yet: an error now, e.g. a FATAL from pg_terminate_backend, had no
    // listener and was thrown by emit as an uncaught exception.
    assert.doesNotThrow(() =>
      client.emit('error', new Error('terminating connection due to administrator command')),
    );
  } finally {
    client.release(true);
  }
});
