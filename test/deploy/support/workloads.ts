/** Pod templates, containers and their effective environment, from rendered Kubernetes objects. */
import { dig, isRecord } from './files';
import type { KubernetesObject } from './kubernetes-schema';

export interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string };
  };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
  nodeSelector?: Record<string, string>;
  tolerations?: Record<string, unknown>[];
  restartPolicy?: string;
  volumes?: { name: string }[];
}

export interface PodTemplateOwner {
  object: KubernetesObject;
  labels: Record<string, string>;
  spec: PodSpec;
}

/** Where each workload kind keeps its pod template. */
const TEMPLATE_PATHS: Record<string, string[]> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  ScaledJob: ['spec', 'jobTargetRef', 'template'],
};

export function podTemplates(objects: readonly KubernetesObject[]): PodTemplateOwner[] {
  const out: PodTemplateOwner[] = [];
  for (const object of objects) {
    const templatePath = TEMPLATE_PATHS[object.kind];
    if (!templatePath) continue;
    const template = dig(object, ...templatePath);
    if (!isRecord(template) || !isRecord(template.spec))
      throw new Error(`${object.kind}/${object.metadata.name}: no pod template`);
    const labels = dig(template, 'metadata', 'labels');
    out.push({
      object,
      labels: isRecord(labels) ? (labels as Record<string, string>) : {},
      spec: template.spec as unknown as PodSpec,
    });
  }
  return out;
}

/** maskgen's own containers (its images), as opposed to third-party ones such as the dev datastores. */
export function isMaskgenImage(image: string): boolean {
  return /(^|\/)maskgen\/(api|worker|worker-gpu)(:|@|$)/.test(image);
}

export function maskgenPods(objects: readonly KubernetesObject[]): PodTemplateOwner[] {
  return podTemplates(objects).filter((pod) => pod.spec.containers.some((c) => isMaskgenImage(c.image)));
}

export function findObject(
  objects: readonly KubernetesObject[],
  kind: string,
  name: string,
): KubernetesObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name}`);
  return found;
}

/** A variable's value, or where it comes from when it is a secret reference. */
export type EnvValue =
  { kind: 'value'; value: string } | { kind: 'secret'; secret: string; key: string; optional: boolean };

/**
 * The environment a container starts with: envFrom ConfigMaps first, then `env` (which wins), as the
 * kubelet does. Secret references stay references unless the Secret is among `objects` (dev).
 */
export function effectiveEnv(
  objects: readonly KubernetesObject[],
  container: Container,
): Map<string, EnvValue> {
  const env = new Map<string, EnvValue>();
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      const data = dig(findObject(objects, 'ConfigMap', source.configMapRef.name), 'data');
      for (const [key, value] of Object.entries(isRecord(data) ? data : {}))
        env.set(key, { kind: 'value', value: String(value) });
    }
    if (source.secretRef)
      throw new Error(`${container.name}: envFrom a Secret hides which variables it sets; use secretKeyRef`);
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      env.set(variable.name, { kind: 'value', value: variable.value });
    } else if (variable.valueFrom?.secretKeyRef) {
      const { name, key, optional = false } = variable.valueFrom.secretKeyRef;
      const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
      const data = dig(secret, 'stringData', key);
      env.set(
        variable.name,
        typeof data === 'string'
          ? { kind: 'value', value: data }
          : { kind: 'secret', secret: name, key, optional },
      );
    } else if (variable.valueFrom?.configMapKeyRef) {
      const { name, key } = variable.valueFrom.configMapKeyRef;
      env.set(variable.name, {
        kind: 'value',
        value: String(dig(findObject(objects, 'ConfigMap', name), 'data', key)),
      });
    } else {
      throw new Error(`${container.name}: unsupported env source for ${variable.name}`);
    }
  }
  return env;
}

/** Seconds a `sleep N` preStop hook takes (0 without one). */
export function preStopSeconds(container: Container): number {
  const command = container.lifecycle?.preStop?.exec?.command;
  if (!command) return 0;
  if (command[0] !== 'sleep' || command.length !== 2)
    throw new Error(`${container.name}: unexpected preStop ${command.join(' ')}`);
  return Number(command[1]);
}
