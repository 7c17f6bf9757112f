import { EventEmitter } from 'node:events';
import type { OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isAppEvent, type AppEvent } from './app-event';

export type AppEventListener = (event: AppEvent) => void;

/**
 * Fan-out of progress events from whoever changes a run or model (workers)
 * to whoever streams them (the API's GET /events). Delivery is best effort:
 * Postgres stays the record, events only save clients from polling it.
 */
export abstract class EventBus {
  abstract publish(event: AppEvent): Promise<void>;
  /** Returns the function that unsubscribes. */
  abstract subscribe(listener: AppEventListener): () => void;
  /** Resolves once events published from now on reach this process's subscribers. */
  abstract ready(): Promise<void>;
}

const LOCAL_EVENT = 'event';

function localEmitter(): EventEmitter {
  const emitter = new EventEmitter();
  // One listener per open SSE stream; many streams are normal, not a leak.
  emitter.setMaxListeners(0);
  return emitter;
}

/** Local mode (and the PostgreSQL queue backend): API and worker share one process. */
export class InProcessEventBus extends EventBus {
  private readonly emitter = localEmitter();

  publish(event: AppEvent): Promise<void> {
    this.emitter.emit(LOCAL_EVENT, event);
    return Promise.resolve();
  }

  subscribe(listener: AppEventListener): () => void {
    this.emitter.on(LOCAL_EVENT, listener);
    return () => this.emitter.off(LOCAL_EVENT, listener);
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }
}

/** What a forked worker sends its parent for each event (see {@link ParentRelayEventBus}). */
export interface RelayedEventMessage {
  kind: 'maskgen:event';
  event: AppEvent;
}

export function isRelayedEventMessage(value: unknown): value is RelayedEventMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Partial<RelayedEventMessage>).kind === 'maskgen:event' &&
    isAppEvent((value as Partial<RelayedEventMessage>).event)
  );
}

/**
 * Without Redis, in a process forked with an IPC channel (local mode's worker child): events go to this
 * process's own subscribers and to the parent, which publishes them on its bus (the API's GET /events).
 */
export class ParentRelayEventBus extends InProcessEventBus {
  override async publish(event: AppEvent): Promise<void> {
    await super.publish(event);
    if (process.send && process.connected) {
      const message: RelayedEventMessage = { kind: 'maskgen:event', event };
      // Best effort like every event; a parent that is gone is noticed elsewhere (the worker stops).
      process.send(message, undefined, undefined, () => undefined);
    }
  }
}

/**
 * With Redis, events cross processes over one pub/sub channel per deployment
 * (QUEUE_PREFIX). A process opens its subscriber connection only when the
 * first local listener subscribes, so workers, which only publish, hold one
 * connection.
 */
export class RedisEventBus extends EventBus implements OnApplicationShutdown {
  private readonly emitter = localEmitter();
  private readonly publisher: Redis;
  private subscriber: Redis | undefined;
  private subscribed: Promise<unknown> | undefined;

  constructor(
    private readonly redisUrl: string,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    super();
    this.publisher = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
  }

  async publish(event: AppEvent): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(event));
  }

  subscribe(listener: AppEventListener): () => void {
    this.ensureSubscribed().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'could not subscribe to events'),
    );
    this.emitter.on(LOCAL_EVENT, listener);
    return () => this.emitter.off(LOCAL_EVENT, listener);
  }

  async ready(): Promise<void> {
    await this.ensureSubscribed();
  }

  private ensureSubscribed(): Promise<unknown> {
    if (!this.subscribed) {
      // ioredis re-subscribes by itself after a reconnect.
      const subscriber = new Redis(this.redisUrl, { maxRetriesPerRequest: null });
      subscriber.on('message', (_channel: string, message: string) => {
        let event: unknown;
        try {
          event = JSON.parse(message);
        } catch {
          event = undefined;
        }
        if (isAppEvent(event)) this.emitter.emit(LOCAL_EVENT, event);
        else this.logger.warn({ channel: this.channel }, 'ignored a malformed event');
      });
      subscriber.on('error', (error: Error) => this.logger.warn({ err: error }, 'event subscriber error'));
      this.subscriber = subscriber;
      this.subscribed = subscriber.subscribe(this.channel);
    }
    return this.subscribed;
  }

  /**
   * In the last shutdown phase, not onModuleDestroy: a worker drains its running job in
   * onModuleDestroy (QueueProcessor) and that job still publishes its last progress events.
   */
  async onApplicationShutdown(): Promise<void> {
    this.emitter.removeAllListeners();
    await Promise.all([
      this.publisher.status === 'wait' ? this.publisher.disconnect() : this.publisher.quit(),
      this.subscriber?.quit(),
    ]);
  }
}
