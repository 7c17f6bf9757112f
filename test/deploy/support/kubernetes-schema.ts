/**
 * Offline validation of Kubernetes objects against the API schemas, from npm packages:
 *
 * 1. JSON schema (`kubernetes-models` for the built-in kinds, `@kubernetes-models/keda` for KEDA's CRDs,
 *    generated from the upstream OpenAPI and CRD schemas): types, required fields, enums, formats.
 * 2. Unknown fields, which those JSON schemas allow (they have no `additionalProperties: false`) and
 *    which are the usual manifest bug (`readinessprobe:`, a field at the wrong level). Each object is
 *    type-checked as an object literal against the same packages' TypeScript interfaces, so the
 *    compiler's excess-property check names every field the API does not have, at any depth.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ROOT, isRecord } from './files';

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & Record<string, unknown>;
  [key: string]: unknown;
}

export function isKubernetesObject(value: unknown): value is KubernetesObject {
  return (
    isRecord(value) &&
    typeof value.apiVersion === 'string' &&
    typeof value.kind === 'string' &&
    isRecord(value.metadata) &&
    typeof value.metadata.name === 'string'
  );
}

/** API groups whose models come from a package other than kubernetes-models. */
const CRD_PACKAGES: Record<string, string> = {
  'keda.sh': '@kubernetes-models/keda',
};

interface ModelLocation {
  /** Module specifier of the kind's model (types resolve through the package's `exports`). */
  specifier: string;
  /** The same file on disk, for loading the compiled validator. */
  file: string;
}

function locateModel(apiVersion: string, kind: string): ModelLocation {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const pkg = CRD_PACKAGES[group] ?? 'kubernetes-models';
  const subpath = group === '' ? `${version}/${kind}` : `${group}/${version}/${kind}`;
  const file = path.join(ROOT, 'node_modules', pkg, `${subpath}.js`);
  if (!/^[A-Za-z0-9]+$/.test(kind) || !existsSync(file)) {
    throw new Error(`no schema for ${apiVersion} ${kind} (looked for ${path.relative(ROOT, file)})`);
  }
  return { specifier: `${pkg}/${subpath}`, file };
}

type ModelClass = new (data: unknown) => { validate(): void };

/**
 * The model packages are ES modules whose `exports` offer only an `import` condition, which this
 * CommonJS test code cannot resolve; Node (>= 20.19) loads an ES module file required by its path.
 */
function loadModelClass(location: ModelLocation, kind: string): ModelClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(location.file) as Record<string, unknown>;
  const model = loaded[kind];
  if (typeof model !== 'function') throw new Error(`${location.specifier} exports no ${kind}`);
  return model as ModelClass;
}

export interface SchemaProblem {
  /** Index into the validated list. */
  index: number;
  message: string;
}

function jsonSchemaProblems(objects: readonly KubernetesObject[]): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  objects.forEach((object, index) => {
    try {
      const Model = loadModelClass(locateModel(object.apiVersion, object.kind), object.kind);
      new Model(object).validate();
    } catch (error) {
      problems.push({ index, message: error instanceof Error ? error.message : String(error) });
    }
  });
  return problems;
}

function unknownFieldProblems(objects: readonly KubernetesObject[]): SchemaProblem[] {
  const dir = path.join(ROOT, 'test', 'deploy', '.virtual');
  const sources = new Map<string, { index: number; text: string }>();
  objects.forEach((object, index) => {
    let specifier: string;
    try {
      specifier = locateModel(object.apiVersion, object.kind).specifier;
    } catch {
      return; // reported by the JSON schema pass
    }
    const text =
      `import type { I${object.kind} as T } from '${specifier}';\n` +
      `export const object: T = ${JSON.stringify(object, null, 1)};\n`;
    sources.set(path.join(dir, `object${index}.ts`), { index, text });
  });

  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.fileExists = (name) => sources.has(name) || fileExists(name);
  host.readFile = (name) => sources.get(name)?.text ?? readFile(name);
  host.getSourceFile = (name, language, onError, create) => {
    const source = sources.get(name);
    return source
      ? ts.createSourceFile(name, source.text, language, true)
      : getSourceFile(name, language, onError, create);
  };
  const program = ts.createProgram([...sources.keys()], options, host);

  const problems: SchemaProblem[] = [];
  for (const [name, { index }] of sources) {
    const sourceFile = program.getSourceFile(name);
    if (!sourceFile) throw new Error(`type check did not load ${name}`);
    const diagnostics = [
      ...program.getSyntacticDiagnostics(sourceFile),
      ...program.getSemanticDiagnostics(sourceFile),
    ];
    for (const diagnostic of diagnostics) {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
      const where =
        diagnostic.start === undefined
          ? ''
          : fieldPathAt(sourceFile, diagnostic.start, diagnostic.length ?? 0);
      problems.push({ index, message: `${where ? `${where}: ` : ''}${message}` });
    }
  }
  return problems;
}

/** The JSON path of the object-literal property a diagnostic points at, e.g. `spec.template.spec`. */
function fieldPathAt(sourceFile: ts.SourceFile, start: number, length: number): string {
  let found: ts.Node | undefined;
  const visit = (node: ts.Node) => {
    if (node.getStart(sourceFile) <= start && start + length <= node.getEnd()) {
      found = node;
      ts.forEachChild(node, visit);
    }
  };
  visit(sourceFile);
  const keys: string[] = [];
  for (let node = found; node; node = node.parent) {
    if (ts.isPropertyAssignment(node) && ts.isStringLiteral(node.name)) keys.unshift(node.name.text);
    if (node.parent && ts.isArrayLiteralExpression(node.parent) && ts.isExpression(node)) {
      keys.unshift(String(node.parent.elements.indexOf(node)));
    }
  }
  return keys.join('.');
}

/**
 * Validates every object; an empty list means all are valid. Objects of a kind without a schema
 * are reported, never skipped.
 */
export function validateKubernetesObjects(objects: readonly KubernetesObject[]): SchemaProblem[] {
  return [...jsonSchemaProblems(objects), ...unknownFieldProblems(objects)].sort((a, b) => a.index - b.index);
}

export function describeObject(object: KubernetesObject): string {
  return `${object.kind}/${object.metadata.name}`;
}
