import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@maskgen/config';
import { applyZodSchemas } from '@maskgen/runtime';

export function mountOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('maskgen')
      .setDescription(
        'Train time-series generators (TimeVQVAE + MaskGIT + ESS) and run batch generation jobs',
      )
      .setVersion('0.1.0')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
      .build(),
  );
  // Request and response schemas come from libs/contracts (zod), with this deployment's team limits.
  applyZodSchemas(app, document, app.get<AppConfig>(APP_CONFIG).limits);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}
