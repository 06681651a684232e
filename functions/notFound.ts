// The catch-all: every other method on the API's paths (their `ANY` routes) is a JSON 405 with
// Allow, and every other path (the `$default` route) a JSON 404, instead of the gateway's plain
// answers. It reads no database, so its role holds nothing but its logs.

import { config } from '../lib/config';
import { methodNotAllowed, notFound, requestMethod, route } from '../lib/http';
import { createLogger } from '../lib/log';
import { allowedMethods } from '../lib/queries/routes';

const cfg = config();

export const handler = route(
  { corsOrigins: cfg.api.corsOrigins, log: createLogger(cfg.logLevel, { fn: 'notFound' }) },
  async (event) => {
    const method = requestMethod(event);
    const allowed = allowedMethods(event.routeKey);
    if (allowed) throw methodNotAllowed(method, allowed);
    throw notFound(`no route for ${method} ${event.rawPath ?? '/'}`);
  },
);
