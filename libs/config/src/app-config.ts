import os from 'node:os';
import path from 'node:path';
import type { QueueName } from '@maskgen/contracts';
import {
  type INFERENCE_DEVICES,
  type INFERENCE_ENGINES,
  environmentSchema,
  type LogLevel,
  type TensorBackendPreference,
} from './config.schema';

/** The validated configuration every process is built from. Built once at boot. */
export interface AppConfig {
  readonly http: { readonly host: string; readonly port: number };
  readonly database: {
    /** Absent only in local mode, where an embedded PostgreSQL provides it. */
    readonly url: string | undefined;
    readonly poolSize: number;
  };
  readonly queue: {
    /** With a Redis URL BullMQ runs on Redis; without one, on BullMQ's PostgreSQL backend. */
    readonly redisUrl: string | undefined;
    readonly postgresSchema: string;
    /** Key prefix of every queue, so several deployments can share one Redis. */
    readonly prefix: string;
  };
  readonly worker: {
    readonly queues: readonly QueueName[];
    readonly shutdownTimeoutMs: number;
    /** When > 0 the worker exits (code 0) after its queues were empty this long: for run-to-completion pods. */
    readonly exitWhenIdleMs: number;
    /**
     * Overrides of every queue's lock duration and stalled-job check interval (defaults per queue in
     * libs/queues/src/worker-options.ts). A killed worker's job is picked up again after about
     * lockDurationMs + 2 × stalledIntervalMs.
     */
    readonly lockDurationMs: number | undefined;
    readonly stalledIntervalMs: number | undefined;
    /** Trained models a worker keeps loaded (least recently used evicted); each holds its tensors in memory. */
    readonly modelCacheSize: number;
    /** How often one generate worker looks for runs no job is left to run (and how old their flow must be). */
    readonly reconcileIntervalMs: number;
  };
  readonly api: {
    /** Manages teams and API keys, and opens the queue dashboard. Admin endpoints are off without it. */
    readonly adminApiKey: string | undefined;
    readonly uploadMaxBytes: number;
    /** Uploads received and parsed at once; more get 503 (each can hold its parsed series in memory). */
    readonly uploadMaxConcurrent: number;
    /** Interval of the `: keepalive` comments on GET /events, so proxies keep idle streams open. */
    readonly eventsKeepaliveMs: number;
  };
  readonly limits: {
    /** Runs a team may have queued or running at once; more is refused with 429. */
    readonly activeRunsPerTeam: number;
    readonly samplesPerRun: number;
    /** Shortest time a schedule's cron may leave between two firings; faster patterns are refused. */
    readonly scheduleMinIntervalSeconds: number;
  };
  readonly tensor: { readonly backend: TensorBackendPreference };
  readonly training: {
    /** Replica threads of data-parallel training (stage 1, prior): TRAINING_THREADS, else the available parallelism. */
    readonly threads: number;
  };
  /** How sampling and the critic run (libs/inference); training always runs on tfjs. */
  readonly inference: {
    readonly engine: (typeof INFERENCE_ENGINES)[number];
    /** ORT intra-op threads; undefined: the machine's available parallelism. */
    readonly threads: number | undefined;
    readonly device: (typeof INFERENCE_DEVICES)[number];
  };
  readonly log: { readonly level: LogLevel };
  readonly local: {
    /** Where local mode keeps its embedded PostgreSQL cluster. */
    readonly dataDir: string;
    readonly postgresPort: number;
  };
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((problem) => `  ${problem.variable}: ${problem.message}`).join('\n')}`,
    );
    this.name = 'ConfigValidationError';
  }
}

/** Turns environment variables into an {@link AppConfig}, or throws naming every bad variable. */
export function buildConfig(
  env: Readonly<Record<string, string | undefined>>,
  cwd = process.cwd(),
): AppConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigValidationError(
      parsed.error.issues.map((issue) => ({
        variable: issue.path.map(String).join('.') || '(environment)',
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
  return {
    http: { host: e.HOST, port: e.PORT },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    queue: { redisUrl: e.REDIS_URL, postgresSchema: e.BULLMQ_PG_SCHEMA, prefix: e.QUEUE_PREFIX },
    worker: {
      queues: e.WORKER_QUEUES,
      shutdownTimeoutMs: e.WORKER_SHUTDOWN_TIMEOUT_MS,
      exitWhenIdleMs: e.WORKER_EXIT_WHEN_IDLE_MS,
      lockDurationMs: e.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
      modelCacheSize: e.WORKER_MODEL_CACHE_SIZE,
      reconcileIntervalMs: e.WORKER_RECONCILE_INTERVAL_MS,
    },
    api: {
      adminApiKey: e.ADMIN_API_KEY,
      uploadMaxBytes: e.UPLOAD_MAX_BYTES,
      uploadMaxConcurrent: e.UPLOAD_MAX_CONCURRENT,
      eventsKeepaliveMs: e.EVENTS_KEEPALIVE_MS,
    },
    limits: {
      activeRunsPerTeam: e.TEAM_MAX_ACTIVE_RUNS,
      samplesPerRun: e.TEAM_MAX_SAMPLES_PER_RUN,
      scheduleMinIntervalSeconds: e.SCHEDULE_MIN_INTERVAL_SECONDS,
    },
    tensor: { backend: e.TENSOR_BACKEND },
    training: { threads: e.TRAINING_THREADS ?? os.availableParallelism() },
    inference: { engine: e.INFERENCE_ENGINE, threads: e.INFERENCE_THREADS, device: e.INFERENCE_DEVICE },
    log: { level: e.LOG_LEVEL },
    local: { dataDir: path.resolve(cwd, e.MASKGEN_DATA_DIR), postgresPort: e.EMBEDDED_PG_PORT },
  };
}

/**
 * The one place that reads process.env. On a bad value it prints which
 * variable is wrong and exits with code 1, before anything else starts.
 */
export function loadConfigOrExit(): AppConfig {
  try {
    return buildConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * This process's environment with `overrides` on top, for a child process that builds its own config from
 * it (local mode's worker): the child validates the same variables, plus the ones its parent resolved.
 */
export function environmentWith(overrides: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}

/** Variables that a given process shape cannot run without. */
export function requireDatabaseUrl(config: AppConfig): string {
  if (!config.database.url) {
    process.stderr.write(
      'Invalid configuration:\n  DATABASE_URL: is required for this entry point (use `npm start` for the embedded local mode)\n',
    );
    process.exit(1);
  }
  return config.database.url;
}
