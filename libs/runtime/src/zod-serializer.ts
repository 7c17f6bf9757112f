import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  RequestMethod,
} from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { map, type Observable } from 'rxjs';
import { ZOD_ROUTE_METADATA, type ZodRouteDoc } from './zod-validation';

/**
 * Answers exactly the documented shape: a route's result is read through the zod schema of its status
 * (ZodResponse), so fields the schema does not name (e.g. an entity's teamId) are not sent, and a Date is sent as
 * the ISO string the schema states. A result the schema refuses is sent as it is: the contract test
 * (test/api-contract.test.ts) is where such drift fails, not a client's request.
 */
@Injectable()
export class ZodSerializerInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const doc = Reflect.getMetadata(ZOD_ROUTE_METADATA, context.getHandler()) as ZodRouteDoc | undefined;
    return next.handle().pipe(
      map((result: unknown) => {
        if (!doc || result === undefined) return result;
        // The status Nest sets after the handler: @HttpCode, else 201 for POST and 200 for the rest.
        const handler = context.getHandler();
        const status =
          (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ??
          (Reflect.getMetadata(METHOD_METADATA, handler) === RequestMethod.POST ? 201 : 200);
        const schema = doc.responses.find((response) => response.status === status)?.schema;
        if (!schema) return result;
        const parsed = schema.safeParse(JSON.parse(JSON.stringify(result)));
        return parsed.success ? parsed.data : result;
      }),
    );
  }
}
