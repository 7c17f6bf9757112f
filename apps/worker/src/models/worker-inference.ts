import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@maskgen/config';
import { type InferenceEngine, createInferenceEngine } from '@maskgen/inference';
import { ROOT_LOGGER } from '@maskgen/observability';
import type { Logger } from 'pino';

/**
 * The worker's inference engine (INFERENCE_ENGINE, INFERENCE_THREADS, INFERENCE_DEVICE), chosen once at boot and
 * logged, so every model the worker loads samples on the same engine. A forced `ort` that cannot load stops the
 * boot with the reason; the default falls back to tfjs with one warning.
 */
@Injectable()
export class WorkerInference implements OnApplicationShutdown {
  readonly engine: InferenceEngine;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(ROOT_LOGGER) logger: Logger) {
    const log = logger.child({ component: 'inference' });
    this.engine = createInferenceEngine({
      preference: config.inference.engine,
      threads: config.inference.threads,
      device: config.inference.device,
      warn: (message) => log.warn(message),
    });
    const { engine, threads, device, version } = this.engine.info;
    log.info(
      this.engine.info,
      `inference engine ${engine}${version ? ` ${version}` : ''} (${device}, ${threads} thread(s))`,
    );
  }

  /** After every module is destroyed: the processors drain their jobs (which may still sample) before that. */
  async onApplicationShutdown(): Promise<void> {
    await this.engine.close();
  }
}
