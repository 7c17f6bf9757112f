/**
 * Environment variables in the images, compose file and manifests against the real configuration
 * schema (libs/config/src/config.schema.ts, the only place maskgen reads the environment): every
 * variable set for a maskgen process must be one maskgen reads, every process gets the variables its
 * entry point requires, and each process's whole environment passes the application's own validation.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { buildConfig, environmentSchema } from '@maskgen/config';
import { readCompose } from './support/compose';
import { effectiveInstructions, envOf, parseDockerfile, readDockerfile } from './support/dockerfile';
import { ROOT } from './support/files';
import { kustomizeBuild, parseImage } from './support/kustomize';
import { effectiveEnv, maskgenPods } from './support/workloads';

const SCHEMA_VARIABLES = new Set(Object.keys(environmentSchema.shape));

/** Variables read by something other than maskgen, each with its reader. Keep this list short. */
const THIRD_PARTY: Record<string, string> = {
  NODE_ENV: 'Express and other libraries (production behaviour)',
  TF_FORCE_GPU_ALLOW_GROWTH: 'libtensorflow: allocate GPU memory as needed',
  TF_CPP_MIN_LOG_LEVEL: 'libtensorflow: log verbosity',
  CUDA_CACHE_PATH: 'CUDA driver: JIT cache location',
  CUDA_CACHE_MAXSIZE: 'CUDA driver: JIT cache size',
};

type Process = 'api' | 'worker' | 'migrate';

/** What each production entry point cannot start without (DATABASE_URL: requireDatabaseUrl; Redis in production). */
const REQUIRED: Record<Process, string[]> = {
  api: ['DATABASE_URL', 'REDIS_URL'],
  worker: ['DATABASE_URL', 'REDIS_URL'],
  migrate: ['DATABASE_URL'],
};

/** Stand-ins for values that live in a Secret outside the repository (prod). */
const SECRET_SAMPLES: Record<string, string> = {
  DATABASE_URL: 'postgres://maskgen:secret@db.internal:5432/maskgen',
  REDIS_URL: 'rediss://:secret@redis.internal:6380',
};

const { stages } = parseDockerfile(readDockerfile());
const IMAGE_TARGET: Record<string, string> = {
  'maskgen/api': 'api',
  'maskgen/worker': 'worker',
  'maskgen/worker-gpu': 'worker-gpu',
};

function imageEnv(image: string): Map<string, string> {
  const name = parseImage(image).name.replace(/^.*?(maskgen\/)/, '$1');
  const target = IMAGE_TARGET[name];
  assert.ok(target, `${image}: which Dockerfile target builds it?`);
  return envOf(effectiveInstructions(stages, target));
}

interface ProcessEnv {
  where: string;
  process: Process;
  /** Variables set by the deployment file (not the image). */
  declared: string[];
  /** The whole environment the process starts with: image ENV, then the deployment's. */
  env: Record<string, string>;
}

function processOf(command: string[] | undefined, image: string): Process {
  if (command?.some((part) => part.endsWith('migrate.js'))) return 'migrate';
  return /worker/.test(image) ? 'worker' : 'api';
}

function kubernetesProcesses(overlay: string): ProcessEnv[] {
  const objects = kustomizeBuild(`k8s/overlays/${overlay}`);
  return maskgenPods(objects).flatMap((pod) =>
    pod.spec.containers.map((container) => {
      const declared = effectiveEnv(objects, container);
      const env = Object.fromEntries(imageEnv(container.image));
      for (const [name, value] of declared) {
        if (value.kind === 'value') env[name] = value.value;
        else if (!value.optional || SECRET_SAMPLES[name]) env[name] = SECRET_SAMPLES[name] ?? '';
      }
      return {
        where: `k8s/overlays/${overlay}: ${pod.object.kind}/${pod.object.metadata.name}`,
        process: processOf(container.command, container.image),
        declared: [...declared.keys()],
        env,
      };
    }),
  );
}

function composeProcesses(): ProcessEnv[] {
  const { services } = readCompose();
  return Object.entries(services)
    .filter(([, service]) => service.image?.startsWith('maskgen/'))
    .map(([name, service]) => {
      const image = service.image as string;
      const env = Object.fromEntries(imageEnv(image));
      const declared = Object.entries(service.environment ?? {});
      for (const [key, value] of declared) {
        // `${VAR:-default}` interpolation: the default stands in for an unset host variable.
        env[key] = String(value ?? '').replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
      }
      return {
        where: `docker-compose.yml: ${name}`,
        process: processOf(service.command, image),
        declared: declared.map(([key]) => key),
        env,
      };
    });
}

const PROCESSES = [...kubernetesProcesses('dev'), ...kubernetesProcesses('prod'), ...composeProcesses()];

describe('environment variables', () => {
  test('the deployment files cover the API, the workers and the migration', () => {
    const kinds = new Set(PROCESSES.map((p) => `${p.where.split(':')[0]} ${p.process}`));
    for (const source of ['k8s/overlays/dev', 'k8s/overlays/prod', 'docker-compose.yml']) {
      for (const process of ['api', 'worker', 'migrate'])
        assert.ok(kinds.has(`${source} ${process}`), `${source} ${process}`);
    }
  });

  test('every variable set for a maskgen process is one maskgen reads (config.schema.ts)', () => {
    const unknown = new Set<string>();
    for (const { where, declared, env } of PROCESSES) {
      for (const name of [...declared, ...Object.keys(env)]) {
        if (!SCHEMA_VARIABLES.has(name) && !(name in THIRD_PARTY)) unknown.add(`${name} (${where})`);
      }
    }
    assert.deepEqual([...unknown], [], 'not in libs/config/src/config.schema.ts');
  });

  test('the image ENV variables are maskgen configuration or listed third-party ones', () => {
    for (const target of ['api', 'worker', 'worker-gpu']) {
      for (const name of envOf(effectiveInstructions(stages, target)).keys()) {
        assert.ok(SCHEMA_VARIABLES.has(name) || name in THIRD_PARTY, `${target}: ENV ${name}`);
      }
    }
  });

  test('third-party variables are not maskgen configuration', () => {
    for (const name of Object.keys(THIRD_PARTY))
      assert.ok(!SCHEMA_VARIABLES.has(name), `${name} is in the schema now`);
  });

  test('every process gets what its production entry point requires', () => {
    for (const { where, process, env } of PROCESSES) {
      for (const name of REQUIRED[process]) assert.ok(env[name], `${where} (${process}) has no ${name}`);
    }
  });

  test('the entry points do require DATABASE_URL (keeps REQUIRED honest)', () => {
    for (const entry of ['apps/api/src/main.ts', 'apps/worker/src/main.ts', 'apps/api/src/migrate.ts']) {
      assert.match(readFileSync(path.join(ROOT, entry), 'utf8'), /requireDatabaseUrl\(config\)/, entry);
    }
  });

  test("each process's whole environment passes the application's configuration validation", () => {
    for (const { where, env } of PROCESSES) {
      assert.doesNotThrow(
        () => buildConfig(env),
        (error: unknown) => {
          throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
    }
  });

  test('and that validation would catch a bad value', () => {
    const worker = PROCESSES.find((p) => p.process === 'worker');
    assert.ok(worker);
    assert.throws(() => buildConfig({ ...worker.env, WORKER_QUEUES: 'train,render' }), /WORKER_QUEUES/);
  });
});
