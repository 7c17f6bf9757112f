/**
 * The README's configuration table against what the code reads: every key of the configuration schema
 * (libs/config, read once at boot) and every variable read from the environment anywhere else in apps/
 * and libs/ (the CLI's own settings) has a row, and every row names a variable something reads.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { environmentSchema } from '@maskgen/config';

const ROOT = path.resolve(__dirname, '..');

/** The `variable` column of the table under README's "## Configuration" heading. */
function readmeVariables(): Set<string> {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = /^## Configuration\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  assert.ok(section, 'README.md has a "## Configuration" section');
  const names = [...section.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/gm)].map((m) => m[1]);
  assert.ok(names.length > 0, 'the Configuration section has a table of variables');
  return new Set(names);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return ['node_modules', 'test', 'datasets'].includes(entry.name) ? [] : sourceFiles(full);
    }
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/**
 * Variables read outside the schema: `process.env.X`, `process.env['X']`, destructuring from
 * process.env, and the CLI's `environment.X` (it is handed process.env).
 */
function variablesReadInSource(): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [
    /\bprocess\.env\.([A-Z][A-Z0-9_]*)/g,
    /\bprocess\.env\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\]/g,
    /\benvironment\.([A-Z][A-Z0-9_]*)/g,
    /\benvironment\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\]/g,
  ];
  for (const file of ['apps', 'libs'].flatMap((dir) => sourceFiles(path.join(ROOT, dir)))) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern)) found.set(match[1], path.relative(ROOT, file));
    }
    for (const match of text.matchAll(/\{([^{}]*)\}\s*=\s*process\.env\b/g)) {
      for (const name of match[1].match(/\b[A-Z][A-Z0-9_]*\b/g) ?? []) {
        found.set(name, path.relative(ROOT, file));
      }
    }
  }
  return found;
}

test('every environment variable the code reads has a row in the README configuration table', () => {
  const documented = readmeVariables();
  const schema = Object.keys(environmentSchema.shape);
  assert.ok(schema.length > 10, 'the schema is found');
  const read = new Map<string, string>(schema.map((name) => [name, 'libs/config/src/config.schema.ts']));
  for (const [name, file] of variablesReadInSource()) if (!read.has(name)) read.set(name, file);

  const missing = [...read].filter(([name]) => !documented.has(name)).map(([n, f]) => `${n} (${f})`);
  assert.deepEqual(missing, [], 'variables the code reads that README.md does not list');
  const stale = [...documented].filter((name) => !read.has(name));
  assert.deepEqual(stale, [], 'README.md rows for variables nothing reads');
});
