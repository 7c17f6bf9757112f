import { QUEUE_NAMES } from '@maskgen/contracts';
import { z } from 'zod';

export const TENSOR_BACKENDS = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const;
/** `auto` (unset): ONNX Runtime where onnxruntime-node loads, else tfjs with a warning. */
export const INFERENCE_ENGINES = ['auto', 'ort', 'tfjs'] as const;
/** `auto`: CUDA where ORT's CUDA provider is installed and an NVIDIA device exists, else CPU. */
export const INFERENCE_DEVICES = ['auto', 'cpu', 'cuda'] as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const ROLES = ['api', 'worker'] as const;

const port = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((raw, ctx) => {
      const value = Number(raw);
      if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(value) || value < 1 || value > 65535) {
        ctx.addIssue({
          code: 'custom',
          message: `must be an integer port between 1 and 65535, got "${raw}"`,
        });
        return z.NEVER;
      }
      return value;
    });

const positiveInt = (fallback: number, max = Number.MAX_SAFE_INTEGER, min = 1) =>
  z
    .string()
    .default(String(fallback))
    .transform((raw, ctx) => {
      const value = Number(raw);
      if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
        ctx.addIssue({
          code: 'custom',
          message: `must be an integer between ${min} and ${max}, got "${raw}"`,
        });
        return z.NEVER;
      }
      return value;
    });

/** Unset (or empty) means "use the built-in default", which may differ per queue. */
const optionalPositiveInt = (max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z
      .string()
      .optional()
      .transform((raw, ctx) => {
        if (raw === undefined) return undefined;
        const value = Number(raw);
        if (!/^\d+$/.test(raw.trim()) || value < 1 || value > max) {
          ctx.addIssue({ code: 'custom', message: `must be an integer between 1 and ${max}, got "${raw}"` });
          return z.NEVER;
        }
        return value;
      }),
  );

/** A URL with one of these schemes ('redis:', …). */
const urlWithScheme = (...schemes: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (raw) => {
        try {
          return schemes.includes(new URL(raw).protocol);
        } catch {
          return false;
        }
      },
      `must be a ${schemes.map((scheme) => `${scheme}//`).join(' or ')} URL`,
    );

const postgresUrl = urlWithScheme('postgres:', 'postgresql:');
const redisUrl = urlWithScheme('redis:', 'rediss:');

const emptyAsUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const commaList = <T extends readonly [string, ...string[]]>(allowed: T, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((raw, ctx) => {
      const items = raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
      const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
      if (items.length === 0 || unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a comma-separated list of ${allowed.join(', ')}; got "${raw}"`,
        });
        return z.NEVER;
      }
      return [...new Set(items)] as T[number][];
    });

/**
 * Every environment variable maskgen reads. Keys are the variable names, so a
 * validation error can name the variable exactly.
 */
export const environmentSchema = z.object({
  PORT: port(3000),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  DATABASE_URL: z.preprocess(emptyAsUndefined, postgresUrl.optional()),
  // At least 2: a shard's completing transaction holds one connection while its progress is written on another.
  DATABASE_POOL_SIZE: positiveInt(10, 1000, 2),
  REDIS_URL: z.preprocess(emptyAsUndefined, redisUrl.optional()),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
    .default('maskgen'),
  BULLMQ_PG_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .default('bullmq'),
  WORKER_QUEUES: commaList(QUEUE_NAMES, QUEUE_NAMES.join(',')),
  WORKER_EXIT_WHEN_IDLE_MS: z
    .string()
    .default('0')
    .transform((raw, ctx) => {
      const value = Number(raw);
      if (!/^\d+$/.test(raw.trim()) || value > 86_400_000) {
        ctx.addIssue({
          code: 'custom',
          message: `must be 0 (off) or milliseconds up to 86400000, got "${raw}"`,
        });
        return z.NEVER;
      }
      return value;
    }),
  WORKER_SHUTDOWN_TIMEOUT_MS: positiveInt(30_000, 3_600_000),
  WORKER_LOCK_DURATION_MS: optionalPositiveInt(3_600_000),
  WORKER_STALLED_INTERVAL_MS: optionalPositiveInt(3_600_000),
  WORKER_MODEL_CACHE_SIZE: positiveInt(2, 64),
  WORKER_RECONCILE_INTERVAL_MS: positiveInt(30_000, 3_600_000),
  EVENTS_KEEPALIVE_MS: positiveInt(15_000, 3_600_000),
  ADMIN_API_KEY: z.preprocess(
    emptyAsUndefined,
    z.string().min(24, 'must be at least 24 characters').optional(),
  ),
  UPLOAD_MAX_BYTES: positiveInt(50 * 1024 * 1024, 1024 * 1024 * 1024),
  UPLOAD_MAX_CONCURRENT: positiveInt(2, 1000),
  TEAM_MAX_ACTIVE_RUNS: positiveInt(4, 10_000),
  TEAM_MAX_SAMPLES_PER_RUN: positiveInt(1_000_000, 100_000_000),
  SCHEDULE_MIN_INTERVAL_SECONDS: positiveInt(60, 31_536_000),
  TENSOR_BACKEND: z.enum(TENSOR_BACKENDS).default('auto'),
  INFERENCE_ENGINE: z.preprocess(emptyAsUndefined, z.enum(INFERENCE_ENGINES).default('auto')),
  INFERENCE_THREADS: optionalPositiveInt(1024),
  INFERENCE_DEVICE: z.preprocess(emptyAsUndefined, z.enum(INFERENCE_DEVICES).default('auto')),
  TRAINING_THREADS: optionalPositiveInt(1024),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  MASKGEN_DATA_DIR: z.string().trim().min(1).default('.data'),
  EMBEDDED_PG_PORT: port(54329),
});

export type Environment = z.input<typeof environmentSchema>;
export type ParsedEnvironment = z.output<typeof environmentSchema>;
export type TensorBackendPreference = (typeof TENSOR_BACKENDS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];
