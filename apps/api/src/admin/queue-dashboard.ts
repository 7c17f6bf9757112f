import type { NextFunction, Request, Response } from 'express';
import { isAdminKey, presentedKey } from '../auth/api-key.guard';

/**
 * Bull Board is mounted as plain Express routes, outside Nest's guards, so it
 * checks the admin key itself: `x-api-key`, or HTTP Basic with the key as
 * password so a browser can open it.
 */
export function adminOnlyMiddleware(adminKey: string | undefined) {
  return (request: Request, response: Response, next: NextFunction) => {
    let key = presentedKey(request);
    const authorization = request.headers.authorization;
    if (!key && authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
      key = decoded.slice(decoded.indexOf(':') + 1);
    }
    if (key && isAdminKey(key, adminKey)) {
      next();
      return;
    }
    response
      .status(401)
      .setHeader('www-authenticate', 'Basic realm="maskgen queues"')
      .json({ statusCode: 401, message: 'The admin API key is required', error: 'Unauthorized' });
  };
}
