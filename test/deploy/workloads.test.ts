/**
 * Operational properties of the rendered workloads: probes, graceful shutdown, one job per GPU,
 * autoscaling on the right queue, security context, network isolation, public routes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { QUEUE_NAMES, type QueueName } from '@maskgen/contracts';
import { environmentSchema } from '@maskgen/config';
import type { ZodType } from 'zod';
import { QUEUE_WORKER_OPTIONS } from '../../libs/queues/src/worker-options';
import { dig, isRecord, listFiles } from './support/files';
import { kustomizeBuild } from './support/kustomize';
import type { KubernetesObject } from './support/kubernetes-schema';
import {
  type PodTemplateOwner,
  effectiveEnv,
  findObject,
  maskgenPods,
  podTemplates,
  preStopSeconds,
} from './support/workloads';

const OVERLAYS = { dev: kustomizeBuild('k8s/overlays/dev'), prod: kustomizeBuild('k8s/overlays/prod') };

function envValue(objects: KubernetesObject[], pod: PodTemplateOwner, name: string): string | undefined {
  const value = effectiveEnv(objects, pod.spec.containers[0]).get(name);
  return value?.kind === 'value' ? value.value : undefined;
}

/** Parsed like the application does, with the schema's default when unset. */
function queuesOf(objects: KubernetesObject[], pod: PodTemplateOwner): QueueName[] {
  return environmentSchema.shape.WORKER_QUEUES.parse(envValue(objects, pod, 'WORKER_QUEUES'));
}

function drainMsOf(objects: KubernetesObject[], pod: PodTemplateOwner): number {
  return environmentSchema.shape.WORKER_SHUTDOWN_TIMEOUT_MS.parse(
    envValue(objects, pod, 'WORKER_SHUTDOWN_TIMEOUT_MS'),
  );
}

const isWorker = (pod: PodTemplateOwner) => pod.object.metadata.name.startsWith('maskgen-worker-');

for (const [overlay, objects] of Object.entries(OVERLAYS)) {
  const pods = maskgenPods(objects);
  const workers = pods.filter(isWorker);
  const api = pods.find((pod) => pod.object.metadata.name === 'maskgen-api');

  describe(`${overlay}: probes and shutdown`, () => {
    test('API and long-running workers probe /health/ready and /health/live on the HTTP port', () => {
      const port = Number(dig(findObject(objects, 'ConfigMap', 'maskgen-config'), 'data', 'PORT'));
      for (const pod of pods.filter((p) => p.object.kind === 'Deployment')) {
        const [container] = pod.spec.containers;
        const http = container.ports?.find((p) => p.name === 'http');
        assert.equal(http?.containerPort, port, `${pod.object.metadata.name}: port http is not PORT`);
        assert.equal(container.readinessProbe?.httpGet?.path, '/health/ready', pod.object.metadata.name);
        assert.equal(container.livenessProbe?.httpGet?.path, '/health/live', pod.object.metadata.name);
        for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
          if (probe) assert.equal(probe.httpGet?.port, 'http');
        }
      }
    });

    test('every grace period outlasts preStop plus WORKER_SHUTDOWN_TIMEOUT_MS', () => {
      for (const pod of pods.filter((p) => p.object.kind !== 'Job')) {
        const drainMs = drainMsOf(objects, pod);
        const preStopMs = preStopSeconds(pod.spec.containers[0]) * 1000;
        const graceMs = (pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
        assert.ok(
          graceMs >= preStopMs + drainMs + 10_000,
          `${pod.object.metadata.name}: grace ${graceMs} ms < preStop ${preStopMs} + drain ${drainMs} + 10 s margin`,
        );
      }
    });

    test('the API waits for endpoint removal before shutting down', () => {
      assert.ok(api && preStopSeconds(api.spec.containers[0]) >= 5);
    });
  });

  describe(`${overlay}: workers and autoscaling`, () => {
    test('every queue is consumed, each worker workload consumes exactly one queue', () => {
      const consumed = workers.map((pod) => queuesOf(objects, pod));
      for (const queues of consumed) assert.equal(queues.length, 1, `a worker consumes ${queues.join(',')}`);
      assert.deepEqual(consumed.flat().sort(), [...QUEUE_NAMES].sort());
    });

    test('one job at a time per worker process (and so per GPU)', () => {
      for (const pod of workers) {
        for (const queue of queuesOf(objects, pod))
          assert.equal(QUEUE_WORKER_OPTIONS[queue].concurrency, 1, queue);
        const gpus = pod.spec.containers[0].resources?.limits?.['nvidia.com/gpu'];
        if (gpus !== undefined) assert.equal(gpus, 1);
      }
    });

    test('training runs as a KEDA ScaledJob on the train queue, never deleted by a rollout', () => {
      const train = workers.filter((pod) => queuesOf(objects, pod).includes('train'));
      assert.deepEqual(
        train.map((pod) => pod.object.kind),
        ['ScaledJob'],
      );
      const scaledJob = train[0].object;
      assert.equal(dig(scaledJob, 'spec', 'rollout', 'strategy'), 'gradual');
      assert.equal(dig(scaledJob, 'spec', 'jobTargetRef', 'backoffLimit'), 0, 'BullMQ owns retries');
      assert.equal(train[0].spec.restartPolicy, 'Never');
      assert.equal(train[0].object.metadata.name, 'maskgen-worker-train');
    });

    test('each worker Deployment is scaled by a ScaledObject on its own queue, from zero', () => {
      const namespace = findObject(objects, 'Namespace', 'maskgen').metadata.name;
      for (const pod of workers.filter((p) => p.object.kind === 'Deployment')) {
        const name = pod.object.metadata.name;
        const [queue] = queuesOf(objects, pod);
        assert.equal(dig(pod.object, 'spec', 'replicas'), undefined, `${name}: KEDA owns replicas`);
        const scalers = objects.filter(
          (o) => o.kind === 'ScaledObject' && dig(o, 'spec', 'scaleTargetRef', 'name') === name,
        );
        assert.equal(scalers.length, 1, `${name}: ${scalers.length} ScaledObjects`);
        assert.equal(dig(scalers[0], 'spec', 'minReplicaCount'), 0);
        const query = String(dig(scalers[0], 'spec', 'triggers', 0, 'metadata', 'query'));
        assertQueueQuery(query, namespace, queue, ['waiting', 'prioritized', 'active']);
      }
      const trainQuery = String(
        dig(
          findObject(objects, 'ScaledJob', 'maskgen-worker-train'),
          'spec',
          'triggers',
          0,
          'metadata',
          'query',
        ),
      );
      // Running training jobs have their own Kubernetes Job already: count only those not yet taken.
      assertQueueQuery(trainQuery, namespace, 'train', ['waiting', 'prioritized']);
    });

    test('every KEDA trigger is a complete Prometheus trigger that fails loudly on missing data', () => {
      for (const scaler of objects.filter((o) => o.kind === 'ScaledObject' || o.kind === 'ScaledJob')) {
        const triggers = dig(scaler, 'spec', 'triggers') as {
          type: string;
          metadata: Record<string, string>;
        }[];
        assert.equal(triggers.length, 1);
        const [{ type, metadata }] = triggers;
        assert.equal(type, 'prometheus');
        assert.match(metadata.serverAddress, /^https?:\/\//);
        assert.equal(metadata.threshold, '1', 'one job per worker');
        assert.equal(metadata.ignoreNullValues, 'false');
      }
    });
  });

  describe(`${overlay}: security and resources`, () => {
    test('every container runs as non-root, read-only, without privileges, with requests and limits', () => {
      for (const pod of podTemplates(objects)) {
        const podSecurity = pod.spec.securityContext ?? {};
        assert.equal(podSecurity.runAsNonRoot, true, pod.object.metadata.name);
        assert.deepEqual(podSecurity.seccompProfile, { type: 'RuntimeDefault' });
        for (const container of pod.spec.containers) {
          const where = `${pod.object.metadata.name}/${container.name}`;
          const security = container.securityContext ?? {};
          assert.equal(security.allowPrivilegeEscalation, false, where);
          assert.equal(security.readOnlyRootFilesystem, true, where);
          assert.deepEqual(dig(security, 'capabilities', 'drop'), ['ALL'], where);
          assert.ok(
            container.resources?.requests?.cpu && container.resources.requests.memory,
            `${where}: requests`,
          );
          assert.ok(container.resources.limits?.memory, `${where}: memory limit`);
        }
      }
    });

    test('no service account token is mounted into maskgen pods', () => {
      for (const pod of maskgenPods(objects)) {
        const template = pod.spec as unknown as Record<string, unknown>;
        assert.equal(template.automountServiceAccountToken, false, pod.object.metadata.name);
      }
    });
  });

  describe(`${overlay}: network policy`, () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const selects = (policy: KubernetesObject, labels: Record<string, string>) => {
      const selector = dig(policy, 'spec', 'podSelector');
      if (!isRecord(selector)) return false;
      const matchLabels = (selector.matchLabels ?? {}) as Record<string, string>;
      const expressions = (selector.matchExpressions ?? []) as {
        key: string;
        operator: string;
        values: string[];
      }[];
      return (
        Object.entries(matchLabels).every(([k, v]) => labels[k] === v) &&
        expressions.every((e) => e.operator === 'In' && e.values.includes(labels[e.key]))
      );
    };
    const rulesFor = (labels: Record<string, string>, direction: 'ingress' | 'egress') =>
      policies
        .filter((policy) => selects(policy, labels))
        .flatMap(
          (policy) =>
            (dig(policy, 'spec', direction) ?? []) as { ports?: { port: number; protocol: string }[] }[],
        );

    test('everything is denied by default, both ways', () => {
      const deny = findObject(objects, 'NetworkPolicy', 'maskgen-default-deny');
      assert.deepEqual(dig(deny, 'spec', 'podSelector'), {});
      assert.deepEqual(dig(deny, 'spec', 'policyTypes'), ['Ingress', 'Egress']);
      assert.equal(dig(deny, 'spec', 'ingress'), undefined);
      assert.equal(dig(deny, 'spec', 'egress'), undefined);
    });

    test('only the API accepts connections among maskgen pods', () => {
      for (const pod of maskgenPods(objects)) {
        const ingress = rulesFor(pod.labels, 'ingress');
        if (pod.object.metadata.name === 'maskgen-api') {
          assert.deepEqual(
            ingress.flatMap((rule) => rule.ports?.map((p) => p.port)),
            [3000],
          );
        } else {
          assert.deepEqual(ingress, [], `${pod.object.metadata.name} accepts connections`);
        }
      }
    });

    test('maskgen pods reach only DNS, PostgreSQL and Redis', () => {
      for (const pod of maskgenPods(objects)) {
        const egress = rulesFor(pod.labels, 'egress');
        const ports = new Set(
          egress.flatMap((rule) =>
            (rule.ports ?? [{ port: -1, protocol: 'any' }]).map((p) => `${p.protocol}/${p.port}`),
          ),
        );
        assert.deepEqual(
          [...ports].sort(),
          ['TCP/53', 'TCP/5432', 'TCP/6379', 'UDP/53'],
          pod.object.metadata.name,
        );
      }
    });
  });
}

describe('public routes', () => {
  const ingress = findObject(OVERLAYS.prod, 'Ingress', 'maskgen-api');
  const paths = (
    dig(ingress, 'spec', 'rules', 0, 'http', 'paths') as { path: string; backend: unknown }[]
  ).map((p) => p.path);
  const INTERNAL = ['health', 'metrics'];

  test('the Ingress routes every API controller except health and metrics, and never those two', () => {
    const controllers = listFiles('apps/api/src', ['.controller.ts']).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/@Controller\(\s*'([^']*)'/g)].map((m) => m[1].split('/')[0]),
    );
    for (const controller of controllers.filter((c) => !INTERNAL.includes(c))) {
      assert.ok(paths.includes(`/${controller}`), `/${controller} is not routed by the Ingress`);
    }
    assert.ok(paths.includes('/docs'));
    for (const p of paths) assert.ok(!INTERNAL.some((internal) => p.startsWith(`/${internal}`)), p);
  });

  test('the Ingress body limit fits two uploads of UPLOAD_MAX_BYTES', (t) => {
    // Looked up by name: the variable is being added to the schema alongside the upload endpoint.
    const setting = (environmentSchema.shape as Record<string, ZodType | undefined>).UPLOAD_MAX_BYTES;
    if (!setting) {
      t.skip('UPLOAD_MAX_BYTES is not in libs/config/src/config.schema.ts');
      return;
    }
    const limit = String(
      dig(ingress, 'metadata', 'annotations', 'nginx.ingress.kubernetes.io/proxy-body-size'),
    );
    const match = /^(\d+)m$/.exec(limit);
    assert.ok(match, limit);
    const uploadMax = Number(
      setting.parse(
        dig(findObject(OVERLAYS.prod, 'ConfigMap', 'maskgen-config'), 'data', 'UPLOAD_MAX_BYTES'),
      ),
    );
    assert.ok(Number(match[1]) * 1024 * 1024 > 2 * uploadMax, `${limit} < 2 x ${uploadMax} bytes`);
  });
});

function assertQueueQuery(query: string, namespace: string, queue: string, states: string[]): void {
  assert.match(query, /maskgen_queue_jobs\{/);
  assert.match(query, new RegExp(`namespace="${namespace}"`), `${query}: wrong namespace`);
  assert.match(query, new RegExp(`queue="${queue}"`), `${query}: wrong queue`);
  const stateMatch = /state=~"([^"]+)"/.exec(query);
  assert.ok(stateMatch, query);
  assert.deepEqual(stateMatch[1].split('|').sort(), [...states].sort(), query);
  // Every API replica reports the same numbers: take one of them, never the sum over replicas.
  assert.match(query, /^sum\(max by \(state\) \(/);
}
