// Every other route: a JSON 404 instead of the gateway's own plain answer.

import { config } from '../lib/config';
import { notFound, route } from '../lib/http';
import { createLogger } from '../lib/log';

const cfg = config();

export const handler = route(
  { corsOrigins: cfg.api.corsOrigins, log: createLogger(cfg.logLevel, { fn: 'notFound' }) },
  async (event) => {
    throw notFound(`no route for ${event.requestContext?.http?.method ?? 'GET'} ${event.rawPath ?? '/'}`);
  },
);
