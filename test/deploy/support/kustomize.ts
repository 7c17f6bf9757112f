/**
 * The subset of kustomize (v5 semantics) that k8s/ uses, to render the overlays offline: there is no
 * kustomize on npm. Anything else in a kustomization is refused rather than ignored, so the rendering
 * here cannot silently differ from `kubectl kustomize` by skipping a feature the manifests start using.
 *
 * Supported: `resources` (files and kustomization directories), `namespace`, `images` (with field specs
 * from `configurations`), `replicas`, and `patches` holding JSON 6902 operations (inline or by `path`)
 * with a `target` of kind / name (regex) / labelSelector. Order as in kustomize: patches, namespace,
 * replicas, images. Stricter than kustomize: a patch or replicas entry that matches nothing is an error.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT, dig, isRecord, readYamlDocuments } from './files';
import { type KubernetesObject, isKubernetesObject } from './kubernetes-schema';

const KUSTOMIZATION_KEYS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'images',
  'replicas',
  'patches',
  'configurations',
]);

const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'ClusterTriggerAuthentication',
]);

const REPLICA_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);

interface FieldSpec {
  kind?: string;
  path: string;
}

/** kustomize's built-in image field specs (api/internal/konfig/builtinpluginconsts/images.go). */
const BUILTIN_IMAGE_FIELDS: FieldSpec[] = [
  { path: 'spec/containers[]/image' },
  { path: 'spec/initContainers[]/image' },
  { path: 'spec/template/spec/containers[]/image' },
  { path: 'spec/template/spec/initContainers[]/image' },
  { path: 'spec/jobTemplate/spec/template/spec/containers[]/image' },
  { path: 'spec/jobTemplate/spec/template/spec/initContainers[]/image' },
];

export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

function fail(dir: string, message: string): never {
  throw new KustomizeError(`${path.relative(ROOT, dir) || '.'}: ${message}`);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Renders the kustomization in `dir` (absolute, or relative to the repository root). */
export function kustomizeBuild(dir: string): KubernetesObject[] {
  return build(path.resolve(ROOT, dir)).objects;
}

/** Objects, and the transformer field specs accumulated from this kustomization and its bases. */
function build(dir: string): { objects: KubernetesObject[]; imageFields: FieldSpec[] } {
  const file = path.join(dir, 'kustomization.yaml');
  if (!existsSync(file)) fail(dir, 'no kustomization.yaml');
  const documents = readYamlDocuments(file);
  if (documents.length !== 1 || !isRecord(documents[0].value))
    fail(dir, 'kustomization.yaml must hold one map');
  const k = documents[0].value;
  for (const key of Object.keys(k)) {
    if (!KUSTOMIZATION_KEYS.has(key)) fail(dir, `unsupported kustomization field '${key}'`);
  }
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization') {
    fail(dir, 'expected apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization');
  }

  const fields = readConfigurations(dir, k.configurations);
  let objects: KubernetesObject[] = [];
  for (const entry of list(dir, k.resources, 'resources')) {
    if (typeof entry !== 'string') fail(dir, 'resources entries must be paths');
    const target = path.resolve(dir, entry);
    if (!existsSync(target)) fail(dir, `resource ${entry} does not exist`);
    if (statSync(target).isDirectory()) {
      const base = build(target);
      objects.push(...base.objects);
      fields.push(...base.imageFields);
    } else {
      for (const document of readYamlDocuments(target)) {
        if (!isKubernetesObject(document.value))
          fail(dir, `${entry}: document ${document.index} is not an object`);
        objects.push(clone(document.value));
      }
    }
  }
  checkUnique(dir, objects);

  for (const patch of list(dir, k.patches, 'patches')) objects = applyPatch(dir, objects, patch);
  if (k.namespace !== undefined) applyNamespace(dir, objects, k.namespace);
  for (const entry of list(dir, k.replicas, 'replicas')) applyReplicas(dir, objects, entry);
  for (const entry of list(dir, k.images, 'images'))
    applyImage(dir, objects, entry, [...BUILTIN_IMAGE_FIELDS, ...fields]);
  checkUnique(dir, objects);
  return { objects, imageFields: fields };
}

function list(dir: string, value: unknown, field: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(dir, `${field} must be a list`);
  return value;
}

function readConfigurations(dir: string, value: unknown): FieldSpec[] {
  const specs: FieldSpec[] = [];
  for (const entry of list(dir, value, 'configurations')) {
    if (typeof entry !== 'string') fail(dir, 'configurations entries must be paths');
    const parsed: unknown = parse(readFileSync(path.resolve(dir, entry), 'utf8'));
    if (!isRecord(parsed)) fail(dir, `${entry} must hold a map`);
    for (const key of Object.keys(parsed)) {
      if (key !== 'images') fail(dir, `${entry}: unsupported transformer configuration '${key}'`);
    }
    for (const spec of list(dir, parsed.images, `${entry} images`)) {
      if (!isRecord(spec) || typeof spec.path !== 'string')
        fail(dir, `${entry}: image field specs need a path`);
      for (const key of Object.keys(spec)) {
        if (key !== 'path' && key !== 'kind') fail(dir, `${entry}: unsupported field spec key '${key}'`);
      }
      specs.push({ path: spec.path, kind: typeof spec.kind === 'string' ? spec.kind : undefined });
    }
  }
  return specs;
}

function checkUnique(dir: string, objects: readonly KubernetesObject[]): void {
  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${object.apiVersion.split('/').slice(0, -1).join('/')}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    if (seen.has(id)) fail(dir, `duplicate resource ${object.kind}/${object.metadata.name}`);
    seen.add(id);
  }
}

// --- patches --------------------------------------------------------------------------------------------

function matchesTarget(dir: string, object: KubernetesObject, target: Record<string, unknown>): boolean {
  for (const key of Object.keys(target)) {
    if (!['kind', 'name', 'labelSelector'].includes(key))
      fail(dir, `unsupported patch target field '${key}'`);
  }
  if (typeof target.kind === 'string' && object.kind !== target.kind) return false;
  if (typeof target.name === 'string' && !new RegExp(`^(?:${target.name})$`).test(object.metadata.name)) {
    return false;
  }
  if (typeof target.labelSelector === 'string') {
    for (const requirement of target.labelSelector.split(',')) {
      const match = /^\s*([^=!\s]+)\s*==?\s*([^=\s]*)\s*$/.exec(requirement);
      if (!match) fail(dir, `unsupported label selector '${requirement}' (equality only)`);
      if (object.metadata.labels?.[match[1]] !== match[2]) return false;
    }
  }
  return true;
}

function applyPatch(dir: string, objects: KubernetesObject[], entry: unknown): KubernetesObject[] {
  if (!isRecord(entry)) fail(dir, 'patches entries must be maps');
  for (const key of Object.keys(entry)) {
    if (!['patch', 'path', 'target'].includes(key)) fail(dir, `unsupported patches field '${key}'`);
  }
  const text =
    typeof entry.patch === 'string'
      ? entry.patch
      : typeof entry.path === 'string'
        ? readFileSync(path.resolve(dir, entry.path), 'utf8')
        : fail(dir, 'a patch needs `patch` or `path`');
  const operations: unknown = parse(text);
  if (!Array.isArray(operations)) {
    fail(dir, 'only JSON 6902 patches (a list of operations) are supported here, not strategic merge');
  }
  if (!isRecord(entry.target)) fail(dir, 'a JSON 6902 patch needs a target');
  const target = entry.target;
  let matched = 0;
  const result = objects.map((object) => {
    if (!matchesTarget(dir, object, target)) return object;
    matched += 1;
    let patched: unknown = clone(object);
    for (const operation of operations) patched = applyOperation(dir, patched, operation, describe(object));
    if (!isKubernetesObject(patched)) fail(dir, `patch turned ${describe(object)} into a non-object`);
    return patched;
  });
  if (matched === 0) fail(dir, `patch target ${JSON.stringify(target)} matches no resource`);
  return result;
}

function describe(object: KubernetesObject): string {
  return `${object.kind}/${object.metadata.name}`;
}

function pointer(dir: string, raw: unknown): string[] {
  if (typeof raw !== 'string' || (raw !== '' && !raw.startsWith('/')))
    fail(dir, `bad JSON pointer ${String(raw)}`);
  return raw
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902 add / remove / replace: remove and replace require the target to exist. */
function applyOperation(dir: string, document: unknown, operation: unknown, what: string): unknown {
  if (!isRecord(operation)) fail(dir, 'a patch operation must be a map');
  const { op } = operation;
  const tokens = pointer(dir, operation.path);
  if (tokens.length === 0) {
    if (op === 'replace' || op === 'add') return clone(operation.value);
    fail(dir, `${what}: cannot ${String(op)} the whole document`);
  }
  const parent = dig(document, ...tokens.slice(0, -1).map((t) => (/^\d+$/.test(t) ? Number(t) : t)));
  const last = tokens[tokens.length - 1];
  const where = `${what} ${String(operation.path)}`;
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) fail(dir, `${where}: bad index`);
    if (op === 'add') parent.splice(index, 0, clone(operation.value));
    else if (index >= parent.length) fail(dir, `${where}: no such element`);
    else if (op === 'remove') parent.splice(index, 1);
    else if (op === 'replace') parent[index] = clone(operation.value);
    else fail(dir, `${where}: unsupported op ${String(op)}`);
  } else if (isRecord(parent)) {
    if (op === 'add') parent[last] = clone(operation.value);
    else if (!(last in parent)) fail(dir, `${where}: no such field`);
    else if (op === 'remove') delete parent[last];
    else if (op === 'replace') parent[last] = clone(operation.value);
    else fail(dir, `${where}: unsupported op ${String(op)}`);
  } else {
    fail(dir, `${where}: parent does not exist`);
  }
  return document;
}

// --- namespace, replicas, images ------------------------------------------------------------------------

function applyNamespace(dir: string, objects: KubernetesObject[], namespace: unknown): void {
  if (typeof namespace !== 'string') fail(dir, 'namespace must be a string');
  for (const object of objects) {
    if (object.kind === 'Namespace') {
      // kustomize's handling of Namespace objects has changed between versions; avoid depending on it.
      if (object.metadata.name !== namespace)
        fail(dir, `Namespace ${object.metadata.name} differs from ${namespace}`);
    } else if (!CLUSTER_SCOPED_KINDS.has(object.kind)) {
      object.metadata.namespace = namespace;
    }
  }
}

function applyReplicas(dir: string, objects: KubernetesObject[], entry: unknown): void {
  if (!isRecord(entry) || typeof entry.name !== 'string' || typeof entry.count !== 'number') {
    fail(dir, 'replicas entries need a name and a count');
  }
  const targets = objects.filter((o) => REPLICA_KINDS.has(o.kind) && o.metadata.name === entry.name);
  if (targets.length === 0) fail(dir, `replicas: no workload named ${entry.name}`);
  for (const target of targets) {
    if (!isRecord(target.spec)) fail(dir, `${describe(target)} has no spec`);
    target.spec.replicas = entry.count;
  }
}

/** Splits `registry:5000/repo/name:tag@sha256:…` into name, tag and digest. */
export function parseImage(image: string): { name: string; tag?: string; digest?: string } {
  const [withTag, digest] = image.split('@');
  const slash = withTag.lastIndexOf('/');
  const colon = withTag.lastIndexOf(':');
  if (colon > slash) return { name: withTag.slice(0, colon), tag: withTag.slice(colon + 1), digest };
  return { name: withTag, digest };
}

function applyImage(dir: string, objects: KubernetesObject[], entry: unknown, fields: FieldSpec[]): void {
  if (!isRecord(entry) || typeof entry.name !== 'string') fail(dir, 'images entries need a name');
  for (const key of Object.keys(entry)) {
    if (!['name', 'newName', 'newTag', 'digest'].includes(key))
      fail(dir, `unsupported images field '${key}'`);
  }
  const rewrite = (image: string): string => {
    const parsed = parseImage(image);
    if (parsed.name !== entry.name) return image;
    const name = typeof entry.newName === 'string' ? entry.newName : parsed.name;
    if (typeof entry.digest === 'string') return `${name}@${entry.digest}`;
    const tag = typeof entry.newTag === 'string' ? entry.newTag : parsed.tag;
    return `${name}${tag ? `:${tag}` : ''}${parsed.digest && entry.newTag === undefined ? `@${parsed.digest}` : ''}`;
  };
  for (const object of objects) {
    for (const field of fields) {
      if (field.kind !== undefined && field.kind !== object.kind) continue;
      visitField(object, field.path.split('/'), rewrite);
    }
  }
}

function visitField(node: unknown, steps: string[], rewrite: (value: string) => string): void {
  if (steps.length === 0 || !isRecord(node)) return;
  const [step, ...rest] = steps;
  const isList = step.endsWith('[]');
  const key = isList ? step.slice(0, -2) : step;
  const value = node[key];
  if (rest.length === 0) {
    if (typeof value === 'string') node[key] = rewrite(value);
    return;
  }
  if (isList) {
    if (Array.isArray(value)) for (const item of value) visitField(item, rest, rewrite);
  } else {
    visitField(value, rest, rewrite);
  }
}
