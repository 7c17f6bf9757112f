/**
 * k8s/: every YAML parses, every object passes the API schema of its kind (JSON schema plus unknown
 * fields, see support/kubernetes-schema.ts), every file is part of an overlay, and the validator and the
 * kustomize renderer reject what they must.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ROOT, listFiles, readYamlDocuments } from './support/files';
import { KustomizeError, kustomizeBuild } from './support/kustomize';
import {
  type KubernetesObject,
  describeObject,
  isKubernetesObject,
  validateKubernetesObjects,
} from './support/kubernetes-schema';
import { findObject } from './support/workloads';

const OVERLAYS = ['dev', 'prod'] as const;
const rendered = Object.fromEntries(
  OVERLAYS.map((name) => [name, kustomizeBuild(`k8s/overlays/${name}`)]),
) as Record<(typeof OVERLAYS)[number], KubernetesObject[]>;

function problemsOf(objects: KubernetesObject[]): string[] {
  return validateKubernetesObjects(objects).map(
    (problem) => `${describeObject(objects[problem.index])}: ${problem.message}`,
  );
}

function copy(object: KubernetesObject): KubernetesObject {
  return structuredClone(object);
}

describe('k8s manifests', () => {
  const files = listFiles('k8s', ['.yaml', '.yml']);

  test('every YAML file parses and holds Kubernetes objects or kustomize configuration', () => {
    assert.ok(files.length >= 10, `expected the base and overlays, found ${files.length} files`);
    for (const file of files) {
      const documents = readYamlDocuments(file);
      assert.ok(documents.length > 0, `${path.relative(ROOT, file)} is empty`);
      const name = path.basename(file);
      if (name === 'kustomization.yaml' || name === 'kustomizeconfig.yaml') continue;
      for (const document of documents) {
        assert.ok(
          isKubernetesObject(document.value),
          `${document.file} #${document.index} is not a Kubernetes object`,
        );
      }
    }
  });

  for (const overlay of OVERLAYS) {
    test(`the ${overlay} overlay renders and every object passes its kind's schema`, () => {
      assert.deepEqual(problemsOf(rendered[overlay]), []);
    });
  }

  test('every object in k8s/ is deployed by at least one overlay', () => {
    const deployed = new Set(
      OVERLAYS.flatMap((overlay) => rendered[overlay].map((o) => `${o.kind}/${o.metadata.name}`)),
    );
    for (const file of files) {
      for (const document of readYamlDocuments(file)) {
        if (!isKubernetesObject(document.value)) continue;
        const id = `${document.value.kind}/${document.value.metadata.name}`;
        assert.ok(deployed.has(id), `${document.file}: ${id} is in no overlay`);
      }
    }
  });
});

describe('the schema validator rejects broken manifests', () => {
  const objects = rendered.prod;
  const deployment = findObject(objects, 'Deployment', 'maskgen-api');
  const scaledObject = findObject(objects, 'ScaledObject', 'maskgen-worker-generate');
  const scaledJob = findObject(objects, 'ScaledJob', 'maskgen-worker-train');

  /** A copy of `object` with one field of its spec set (to a wrong value, or one the schema has no place for). */
  const withSpecField = (object: KubernetesObject, field: string, value: unknown) => () => {
    const broken = copy(object);
    (broken.spec as Record<string, unknown>)[field] = value;
    return broken;
  };
  /** A copy of the API deployment with its first container edited. */
  const withContainer = (edit: (container: Record<string, unknown>) => void) => () => {
    const broken = copy(deployment);
    const spec = broken.spec as { template: { spec: { containers: Record<string, unknown>[] } } };
    edit(spec.template.spec.containers[0]);
    return broken;
  };

  const cases: [string, () => KubernetesObject, RegExp][] = [
    [
      'a misspelled container field',
      withContainer((container) => {
        container.readinesProbe = container.readinessProbe;
      }),
      /spec\.template\.spec\.containers\.0.*readinesProbe/,
    ],
    [
      'a field at the wrong level',
      withSpecField(deployment, 'terminationGracePeriodSeconds', 30),
      /terminationGracePeriodSeconds/,
    ],
    ['a number given as text', withSpecField(deployment, 'replicas', 'three'), /replicas/],
    [
      'a container without an image name',
      withContainer((container) => {
        delete container.name;
      }),
      /name/,
    ],
    [
      'an unknown ScaledObject field (KEDA CRD schema)',
      withSpecField(scaledObject, 'minReplicas', 0),
      /minReplicas/,
    ],
    [
      'a ScaledJob count of the wrong type (KEDA CRD schema)',
      withSpecField(scaledJob, 'maxReplicaCount', 'four'),
      /maxReplicaCount/,
    ],
    [
      'a kind without a schema',
      () => ({ ...copy(deployment), apiVersion: 'apps/v1', kind: 'Deploymnet' }),
      /no schema for apps\/v1 Deploymnet/,
    ],
  ];

  for (const [what, make, expected] of cases) {
    test(what, () => {
      const problems = problemsOf([make()]);
      assert.ok(problems.length > 0, `accepted ${what}`);
      assert.match(problems.join('\n'), expected);
    });
  }
});

describe('the kustomize renderer refuses what it does not implement', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'maskgen-kustomize-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const base = path.relative(dir, path.join(ROOT, 'k8s/base'));

  function buildWith(kustomization: string): KubernetesObject[] {
    writeFileSync(path.join(dir, 'kustomization.yaml'), kustomization);
    return kustomizeBuild(dir);
  }
  const header = `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: ['${base}']\n`;

  test('a feature it does not support', () => {
    assert.throws(() => buildWith(`${header}commonLabels: {a: b}\n`), KustomizeError);
  });
  test('a strategic merge patch', () => {
    const patch = `patches:\n  - target: {kind: Deployment}\n    patch: |-\n      spec: {replicas: 1}\n`;
    assert.throws(() => buildWith(header + patch), /JSON 6902/);
  });
  test('a patch whose target matches nothing', () => {
    const patch = `patches:\n  - target: {kind: Deployment, name: nope}\n    patch: |-\n      - {op: remove, path: /spec/replicas}\n`;
    assert.throws(() => buildWith(header + patch), /matches no resource/);
  });
  test('removing a field that is not there', () => {
    const patch = `patches:\n  - target: {kind: Deployment, name: maskgen-api}\n    patch: |-\n      - {op: remove, path: /spec/template/spec/nodeSelector}\n`;
    assert.throws(() => buildWith(header + patch), /no such field/);
  });
  test('and applies what it does support', () => {
    const objects = buildWith(
      `${header}namespace: elsewhere\nreplicas: [{name: maskgen-api, count: 7}]\n` +
        `images: [{name: maskgen/api, newName: r.example/api, newTag: '9'}]\n`,
    );
    const api = findObject(objects, 'Deployment', 'maskgen-api');
    assert.equal(api.metadata.namespace, 'elsewhere');
    assert.equal((api.spec as { replicas: number }).replicas, 7);
    assert.match(JSON.stringify(api), /"image":"r\.example\/api:9"/);
  });
});
