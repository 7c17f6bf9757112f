import { rm } from 'node:fs/promises';
import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
  ServiceUnavailableException,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@maskgen/config';
import type { Request, Response } from 'express';
import { type Observable, finalize } from 'rxjs';

/** Seconds a client is told to wait when every upload slot is taken. */
export const UPLOAD_RETRY_AFTER_SECONDS = 5;

/** An upload as multer's disk storage leaves it: on disk, read back as a stream. */
export interface UploadedFile {
  originalname: string;
  path: string;
  size: number;
}

/**
 * Bounds the uploads in progress (UPLOAD_MAX_CONCURRENT), so the API's memory does not grow with how many
 * large files arrive at once: a request beyond the bound gets 503 with Retry-After before its body is read.
 * Listed before the multipart interceptor, it holds its slot while the files are received and parsed, and
 * deletes the files multer stored once the request is done, whatever the outcome.
 */
@Injectable()
export class UploadSlots implements NestInterceptor {
  private inUse = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    if (this.inUse >= this.config.api.uploadMaxConcurrent) {
      http.getResponse<Response>().setHeader('retry-after', String(UPLOAD_RETRY_AFTER_SECONDS));
      // The refused body is read and dropped, so the client sees the answer instead of a reset.
      request.resume();
      throw new ServiceUnavailableException(
        `${this.config.api.uploadMaxConcurrent} uploads are in progress (UPLOAD_MAX_CONCURRENT); retry shortly`,
      );
    }
    this.inUse++;
    return next.handle().pipe(
      finalize(() => {
        this.inUse--;
        void removeStoredFiles(request);
      }),
    );
  }
}

async function removeStoredFiles(request: Request): Promise<void> {
  const files = (request as Request & { files?: Record<string, UploadedFile[]> | UploadedFile[] }).files;
  const list = Array.isArray(files) ? files : Object.values(files ?? {}).flat();
  await Promise.all(list.map((file) => rm(file.path, { force: true }).catch(() => undefined)));
}
