/**
 * The Node version maskgen declares (package.json `engines.node`, what CI and the machines run) against
 * every locked package's own `engines.node`: a package that wants a newer Node makes `npm ci` print
 * EBADENGINE warnings and may use APIs this Node lacks. Pin a version that supports ours (or an `overrides`
 * entry for a transitive one) rather than widening this test.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import semver from 'semver';
import { ROOT } from './support/files';

interface LockedPackage {
  version?: string;
  engines?: Record<string, string> | string[];
}

interface Manifest {
  engines?: { node?: string };
}

/**
 * Packages no version of which both supports our Node and fits the tree, each with why. Keep this empty
 * when possible; the test fails once an entry is no longer needed, so it cannot go stale.
 */
const CANNOT_PIN: Record<string, string> = {};

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as T;
}

test('every locked package accepts the Node versions package.json declares', () => {
  const declared = readJson<Manifest>('package.json').engines?.node;
  assert.ok(declared, 'package.json declares engines.node');
  const oldest = semver.minVersion(declared);
  assert.ok(oldest, `engines.node ${declared} is a valid range`);
  // The oldest declared version and the one running the tests (CI's) must both be admitted.
  const versions = [oldest.version, process.versions.node];

  const lock = readJson<{ packages: Record<string, LockedPackage> }>('package-lock.json');
  const refused: string[] = [];
  const excused = new Set<string>();
  for (const [location, pkg] of Object.entries(lock.packages)) {
    // Old packages wrote engines as an array of strings, which npm ignores.
    const range = pkg.engines && !Array.isArray(pkg.engines) ? pkg.engines.node : undefined;
    if (location === '' || range === undefined) continue;
    const name = location.replace(/^.*node_modules\//, '');
    for (const version of versions) {
      if (semver.satisfies(version, range, { includePrerelease: true })) continue;
      if (name in CANNOT_PIN) excused.add(name);
      else refused.push(`${name}@${pkg.version} wants node ${range}, not ${version}`);
    }
  }
  assert.deepEqual(
    Object.keys(CANNOT_PIN).filter((name) => !excused.has(name)),
    [],
    'CANNOT_PIN entries that now support our Node: remove them',
  );
  assert.deepEqual(refused, []);
});
