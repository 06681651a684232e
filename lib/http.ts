// HTTP responses and the one place errors become status codes. 4xx messages are shown to the
// client; anything else is a generic 500 whose details only go to the log; a database that is
// down, overloaded or slow is a 503 with Retry-After. Every response is JSON with a content type.
// Which errors mean "the database is unavailable" is given by the routes that use the database
// (lib/queries/api-handler.ts passes the driver's classification), so this module does not load
// cassandra-driver and a function that never queries (notFound) does not bundle it.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Logger } from './log';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly parameter?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (parameter: string, message: string) =>
  new HttpError(400, 'bad_request', message, parameter);
export const notFound = (message: string) => new HttpError(404, 'not_found', message);

export interface HttpOptions {
  /** Allowed CORS origins; '*' allows any. */
  corsOrigins: readonly string[];
  log: Logger;
  /**
   * True for errors that mean the database is down, overloaded or slow (a 503 with Retry-After);
   * routes over Cassandra pass isTransient from lib/cassandra/retry.ts. Without it, nothing is.
   */
  isUnavailable?: (err: unknown) => boolean;
}

function corsHeaders(
  event: APIGatewayProxyEventV2 | undefined,
  origins: readonly string[],
): Record<string, string> {
  if (origins.includes('*')) return { 'access-control-allow-origin': '*' };
  const origin = event?.headers?.origin ?? event?.headers?.Origin;
  return origin && origins.includes(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
}

export function json(
  statusCode: number,
  body: unknown,
  event?: APIGatewayProxyEventV2,
  opts?: Pick<HttpOptions, 'corsOrigins'>,
  extraHeaders: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...corsHeaders(event, opts?.corsOrigins ?? []),
      ...extraHeaders,
    },
    body: JSON.stringify(body),
  };
}

const RETRY_AFTER_SECONDS = '2';

/** Maps any error to a response; the only place that decides status codes for failures. */
function errorResponse(err: unknown, event: APIGatewayProxyEventV2, opts: HttpOptions): HttpResponse {
  const requestId = event.requestContext?.requestId;
  if (err instanceof HttpError) {
    const error = {
      code: err.code,
      message: err.message,
      ...(err.parameter ? { parameter: err.parameter } : {}),
    };
    return json(err.statusCode, { error }, event, opts);
  }
  if (opts.isUnavailable?.(err)) {
    opts.log.warn('database unavailable', { err, requestId, path: event.rawPath });
    return json(
      503,
      { error: { code: 'unavailable', message: 'the database is unavailable; retry shortly', requestId } },
      event,
      opts,
      { 'retry-after': RETRY_AFTER_SECONDS },
    );
  }
  opts.log.error('request failed', { err, requestId, path: event.rawPath });
  return json(500, { error: { code: 'internal', message: 'internal error', requestId } }, event, opts);
}

/** Wraps a route: its result becomes a 200, its errors go through errorResponse. */
export function route<T>(
  opts: HttpOptions,
  answer: (event: APIGatewayProxyEventV2) => Promise<T>,
): (event: APIGatewayProxyEventV2) => Promise<HttpResponse> {
  return async (event) => {
    try {
      return json(200, await answer(event), event, opts);
    } catch (err: unknown) {
      return errorResponse(err, event, opts);
    }
  };
}
