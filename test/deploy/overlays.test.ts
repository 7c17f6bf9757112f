/** What each overlay must change relative to the base, checked on the rendered output. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dig } from './support/files';
import { kustomizeBuild, parseImage } from './support/kustomize';
import { findObject, isMaskgenImage, maskgenPods, podTemplates } from './support/workloads';

const dev = kustomizeBuild('k8s/overlays/dev');
const prod = kustomizeBuild('k8s/overlays/prod');

function maskgenImages(objects: typeof dev): string[] {
  return podTemplates(objects).flatMap((pod) =>
    pod.spec.containers.map((c) => c.image).filter(isMaskgenImage),
  );
}

describe('both overlays', () => {
  for (const [name, objects] of [
    ['dev', dev],
    ['prod', prod],
  ] as const) {
    test(`${name}: every namespaced object lands in the overlay's namespace`, () => {
      const namespace = findObject(objects, 'Namespace', 'maskgen').metadata.name;
      for (const object of objects) {
        if (object.kind === 'Namespace') continue;
        assert.equal(object.metadata.namespace, namespace, `${object.kind}/${object.metadata.name}`);
      }
    });

    test(`${name}: every maskgen image is pinned to a tag by the overlay`, () => {
      const images = maskgenImages(objects);
      assert.ok(images.length >= 5);
      for (const image of images) {
        const { tag, digest } = parseImage(image);
        assert.ok((tag && tag !== 'latest') || digest, `${image} is not pinned`);
      }
    });

    test(`${name}: the namespace enforces the restricted Pod Security Standard`, () => {
      const labels = findObject(objects, 'Namespace', 'maskgen').metadata.labels ?? {};
      assert.equal(labels['pod-security.kubernetes.io/enforce'], 'restricted');
    });
  }
});

describe('dev overlay', () => {
  test('runs the CPU images with the wasm backend and no GPU', () => {
    for (const pod of maskgenPods(dev)) {
      for (const container of pod.spec.containers) {
        assert.doesNotMatch(container.image, /worker-gpu/, `${pod.object.metadata.name} uses the GPU image`);
        assert.equal(container.resources?.limits?.['nvidia.com/gpu'], undefined);
      }
      assert.equal(pod.spec.nodeSelector, undefined, `${pod.object.metadata.name} has a nodeSelector`);
      assert.equal(pod.spec.tolerations, undefined, `${pod.object.metadata.name} has tolerations`);
    }
    assert.equal(dig(findObject(dev, 'ConfigMap', 'maskgen-config'), 'data', 'TENSOR_BACKEND'), 'wasm');
  });

  test('one API replica, in-cluster datastores and a development Secret', () => {
    assert.equal(dig(findObject(dev, 'Deployment', 'maskgen-api'), 'spec', 'replicas'), 1);
    findObject(dev, 'StatefulSet', 'postgres');
    findObject(dev, 'StatefulSet', 'redis');
    findObject(dev, 'Secret', 'maskgen-secrets');
  });

  test('dev Redis is configured as BullMQ needs it (noeviction, AOF)', () => {
    const redis = podTemplates(dev).find((pod) => pod.object.metadata.name === 'redis');
    const args = (dig(redis?.spec, 'containers', 0, 'args') as string[]).join(' ');
    assert.match(args, /--maxmemory-policy noeviction/);
    assert.match(args, /--appendonly yes/);
  });
});

describe('prod overlay', () => {
  test('GPU workers request exactly one GPU and are placed on GPU nodes', () => {
    const gpuPods = maskgenPods(prod).filter((pod) => pod.object.metadata.name.startsWith('maskgen-worker-'));
    assert.equal(gpuPods.length, 3);
    for (const pod of gpuPods) {
      const [container] = pod.spec.containers;
      assert.match(container.image, /\/maskgen\/worker-gpu:/);
      assert.equal(container.resources?.limits?.['nvidia.com/gpu'], 1, pod.object.metadata.name);
      assert.equal(pod.spec.nodeSelector?.['nvidia.com/gpu.present'], 'true');
      assert.ok(pod.spec.tolerations?.some((t) => t.key === 'nvidia.com/gpu' && t.effect === 'NoSchedule'));
    }
    assert.equal(dig(findObject(prod, 'ConfigMap', 'maskgen-config'), 'data', 'TENSOR_BACKEND'), 'node-gpu');
  });

  test('API and workers run one release: the same tag everywhere', () => {
    const tags = new Set(maskgenImages(prod).map((image) => parseImage(image).tag));
    assert.equal(tags.size, 1, [...tags].join(', '));
  });

  test('a highly available API: several replicas and a disruption budget', () => {
    assert.ok(Number(dig(findObject(prod, 'Deployment', 'maskgen-api'), 'spec', 'replicas')) >= 2);
    assert.equal(dig(findObject(prod, 'PodDisruptionBudget', 'maskgen-api'), 'spec', 'maxUnavailable'), 1);
  });

  test('no credentials in the manifests: the Secret is created out of band', () => {
    assert.equal(prod.filter((o) => o.kind === 'Secret').length, 0);
  });

  test('datastore egress goes to address ranges, not in-cluster pods', () => {
    const egress = dig(findObject(prod, 'NetworkPolicy', 'maskgen-datastore-egress'), 'spec', 'egress') as {
      to: Record<string, unknown>[];
    }[];
    for (const rule of egress) for (const peer of rule.to) assert.deepEqual(Object.keys(peer), ['ipBlock']);
  });
});
