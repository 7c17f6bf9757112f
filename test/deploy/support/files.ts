import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = path.resolve(__dirname, '../../..');

/** A parsed YAML document and where it came from, for messages that point at the file. */
export interface YamlDocument {
  readonly file: string;
  readonly index: number;
  readonly value: unknown;
}

/** Parses every document of a YAML file; throws naming the file and line on any syntax error or warning. */
export function readYamlDocuments(file: string): YamlDocument[] {
  const text = readFileSync(file, 'utf8');
  const relative = path.relative(ROOT, file);
  const documents = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true, merge: true });
  if (!Array.isArray(documents)) throw new Error(`${relative}: not a YAML stream`);
  const out: YamlDocument[] = [];
  documents.forEach((document, index) => {
    const problems = [...document.errors, ...document.warnings];
    if (problems.length > 0) {
      throw new Error(`${relative}: ${problems.map((problem) => problem.message).join('\n')}`);
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) out.push({ file: relative, index, value });
  });
  return out;
}

/** Every file under `dir` (relative to the repository root) whose name ends with one of `suffixes`. */
export function listFiles(dir: string, suffixes: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (suffixes.some((suffix) => entry.name.endsWith(suffix))) found.push(full);
    }
  };
  walk(path.join(ROOT, dir));
  return found.sort();
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows `keys` into nested objects and arrays; undefined as soon as a step is missing. */
export function dig(value: unknown, ...keys: (string | number)[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof key === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[key];
    } else {
      if (!isRecord(current)) return undefined;
      current = current[key];
    }
  }
  return current;
}
