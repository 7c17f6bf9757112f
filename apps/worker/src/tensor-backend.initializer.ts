import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@maskgen/config';
import { ROOT_LOGGER } from '@maskgen/observability';
import { initTensorBackend, type TensorBackendInfo } from '@maskgen/tensor';
import type { Logger } from 'pino';

/** Chooses the tfjs backend once, before any processor takes a job, and logs what is in use. */
@Injectable()
export class TensorBackendInitializer implements OnModuleInit {
  info: TensorBackendInfo | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const log = this.logger.child({ component: 'tensor-backend' });
    this.info = await initTensorBackend(this.config.tensor.backend, {
      log: (message, context) => log.info(context ?? {}, message),
    });
    log.info(
      { backend: this.info.backend, threads: this.info.threads, simd: this.info.simd },
      `tensor backend ${this.info.backend} with ${this.info.threads} thread(s)`,
    );
  }
}
