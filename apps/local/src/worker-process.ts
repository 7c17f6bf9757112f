import { type ChildProcess, fork } from 'node:child_process';
import type { Logger } from 'pino';

export interface WorkerProcessOptions {
  /** The worker's entry module (apps/worker/src/main). */
  readonly entry: string;
  /** The child's environment, made for each start (each start gets a fresh health port). */
  readonly env: () => Promise<NodeJS.ProcessEnv>;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Messages the child sends over its IPC channel (its progress events). */
  readonly onMessage?: (message: unknown) => void;
  /** After SIGTERM the child gets this long (its own WORKER_SHUTDOWN_TIMEOUT_MS plus a margin), then SIGKILL. */
  readonly killAfterMs: number;
  /** Restart delays: doubling from `initialMs` up to `maxMs`; a child that lived `stableMs` resets them. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number; readonly stableMs: number };
}

const DEFAULT_BACKOFF = { initialMs: 1000, maxMs: 30_000, stableMs: 60_000 };

/**
 * Local mode's worker, in a child process so that training and sampling never hold up the API's event
 * loop (and use the machine's other cores). It is restarted with backoff when it dies, and stopped with
 * SIGTERM, then SIGKILL, when the API stops.
 */
export class WorkerProcess {
  private child: ChildProcess | undefined;
  private childExited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private failures = 0;
  private restarts = 0;
  private readonly backoff: NonNullable<WorkerProcessOptions['backoff']>;

  constructor(private readonly options: WorkerProcessOptions) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    // Last resort if the parent exits without stop() (an uncaught error, a shutdown timeout).
    process.once('exit', () => this.child?.kill('SIGKILL'));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.stopping) return;
    const env = await this.options.env();
    if (this.stopping) return;
    const startedAt = Date.now();
    const child = fork(this.options.entry, [], {
      env,
      stdio: 'inherit',
      // The parent's --require hooks (TypeScript in development) apply to the child too; a debugger port would clash.
      execArgv: process.execArgv.filter((arg) => !arg.startsWith('--inspect')),
    });
    this.child = child;
    this.childExited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve();
        if (this.child === child) this.child = undefined;
        this.onExit(code, signal, Date.now() - startedAt);
      });
    });
    child.once('spawn', () =>
      this.options.logger.info({ pid: child.pid, restarts: this.restarts }, 'worker process started'),
    );
    const { onMessage } = this.options;
    if (onMessage) child.on('message', (message) => onMessage(message));
    child.on('error', (error) => this.options.logger.error({ err: error }, 'worker process error'));
  }

  /** SIGTERM, then SIGKILL after `killAfterMs`; resolves when the child is gone. Never restarts it again. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.options.logger.warn(
        { pid: child.pid, ms: this.options.killAfterMs },
        'worker process did not stop; killing it',
      );
      child.kill('SIGKILL');
    }, this.options.killAfterMs);
    await this.childExited;
    clearTimeout(timer);
  }

  /** SIGKILL at once (the database it would drain into is gone). */
  async kill(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.child?.kill('SIGKILL');
    await this.childExited;
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, livedMs: number): void {
    if (this.stopping) {
      this.options.logger.info({ code, signal }, 'worker process stopped');
      return;
    }
    if (livedMs >= this.backoff.stableMs) this.failures = 0;
    const delayMs = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.failures);
    this.failures += 1;
    this.restarts += 1;
    this.options.logger.warn(
      { code, signal, livedMs, restartInMs: delayMs, restarts: this.restarts },
      'worker process exited; restarting it',
    );
    this.restartTimer = setTimeout(() => {
      this.start().catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'could not restart the worker process');
      });
    }, delayMs);
  }
}
