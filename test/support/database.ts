import { after, before } from 'node:test';
import { createDataSource } from '@maskgen/persistence';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from './services';
import { createMigratedDatabase } from './worker-app';

/*
 * Hooks that give the enclosing describe block (or file) a database of its own: made in a `before` hook, dropped in
 * an `after` hook. Call them ahead of the block's own hooks that use them (hooks run in the order they are
 * registered); what they return can be read once those hooks run, not while the block is being declared.
 */

export interface DatabaseOptions {
  /** Every migration applied (the schema the apps run on), or an empty database. */
  readonly migrated: boolean;
}

function makeDatabase(label: string, options: DatabaseOptions): Promise<TestDatabase> {
  return options.migrated ? createMigratedDatabase(label) : createTestDatabase(label);
}

function madeBy<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is read before the before hook that makes it ran`);
  return value;
}

/** A fresh database for the enclosing block. */
export function useTestDatabase(label: string, options: DatabaseOptions): TestDatabase {
  let db: TestDatabase | undefined;
  before(async () => {
    db = await makeDatabase(label, options);
  });
  after(async () => {
    await db?.drop();
  });
  const made = () => madeBy(db, `the test database ${label}`);
  return {
    get url() {
      return made().url;
    },
    get name() {
      return made().name;
    },
    drop: () => made().drop(),
  };
}

/** A fresh database for the enclosing block and a DataSource open on it, closed before the database is dropped. */
export function useTestDataSource(
  label: string,
  options: DatabaseOptions,
): { readonly dataSource: DataSource } {
  let db: TestDatabase | undefined;
  let dataSource: DataSource | undefined;
  before(async () => {
    db = await makeDatabase(label, options);
    dataSource = createDataSource({ url: db.url, applicationName: 'maskgen-test' });
    await dataSource.initialize();
  });
  after(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });
  return {
    get dataSource() {
      return madeBy(dataSource, `the data source of ${label}`);
    },
  };
}
