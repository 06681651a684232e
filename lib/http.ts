// HTTP responses and the one place errors become status codes. 4xx messages are shown to the
// client; anything else is a generic 500 whose details only go to the log; a database that is
// down, overloaded or slow is a 503 with Retry-After; a method a path does not serve is a 405 with
// Allow (RFC 9110 requires it). Every response is JSON with a content type.
// Which errors mean "the database is unavailable" is given by the routes that use the database
// (lib/queries/api-handler.ts passes the driver's classification), so this module does not load
// cassandra-driver and a function that never queries (notFound) does not bundle it.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CORS_EXPOSED_HEADERS } from './cors';
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
    /** Headers the status needs (Allow on a 405, WWW-Authenticate on a 401). */
    readonly headers: Readonly<Record<string, string>> = {},
    /** What went wrong on our side, for the log only (a 5xx). */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'HttpError';
  }
}

export const badRequest = (parameter: string, message: string) =>
  new HttpError(400, 'bad_request', message, parameter);
/** A 404; `parameter` when a parameter's value names nothing (a cursor for no page of this listing). */
export const notFound = (message: string, parameter?: string) =>
  new HttpError(404, 'not_found', message, parameter);
export const methodNotAllowed = (method: string, allowed: readonly string[]) =>
  new HttpError(
    405,
    'method_not_allowed',
    `${method} is not allowed here; use ${allowed.join(' or ')}`,
    undefined,
    { allow: allowed.join(', ') },
  );

export interface HttpOptions {
  /** Allowed CORS origins; '*' allows any, none (empty) no other origin. */
  corsOrigins: readonly string[];
  log: Logger;
  /**
   * True for errors that mean the database is down, overloaded or slow (a 503 with Retry-After);
   * routes over Cassandra pass isTransient from lib/cassandra/retry.ts. Without it, nothing is.
   */
  isUnavailable?: (err: unknown) => boolean;
  /**
   * The methods the route serves; any other is a 405 with Allow before the route runs. API Gateway
   * hands a route only its own method, but serverless offline (hapi) also hands a GET route HEAD.
   */
  methods?: readonly string[];
}

function corsHeaders(
  event: APIGatewayProxyEventV2 | undefined,
  origins: readonly string[],
): Record<string, string> {
  const expose = { 'access-control-expose-headers': CORS_EXPOSED_HEADERS.join(', ') };
  if (origins.includes('*')) return { 'access-control-allow-origin': '*', ...expose };
  const origin = event?.headers?.origin ?? event?.headers?.Origin;
  return origin && origins.includes(origin)
    ? { 'access-control-allow-origin': origin, vary: 'Origin', ...expose }
    : {};
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

/** The request's method, upper-case (payload 2.0 puts it in the request context). */
export function requestMethod(event: APIGatewayProxyEventV2): string {
  return (event.requestContext?.http?.method ?? 'GET').toUpperCase();
}

/** Maps any error to a response; the only place that decides status codes for failures. */
function errorResponse(err: unknown, event: APIGatewayProxyEventV2, opts: HttpOptions): HttpResponse {
  const requestId = event.requestContext?.requestId;
  if (err instanceof HttpError) {
    if (err.statusCode >= 500) opts.log.warn('request failed', { err, requestId, path: event.rawPath });
    const error = {
      code: err.code,
      message: err.message,
      ...(err.parameter ? { parameter: err.parameter } : {}),
    };
    return json(err.statusCode, { error }, event, opts, { ...err.headers });
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
      const method = requestMethod(event);
      if (opts.methods && !opts.methods.includes(method)) throw methodNotAllowed(method, opts.methods);
      return json(200, await answer(event), event, opts);
    } catch (err: unknown) {
      return errorResponse(err, event, opts);
    }
  };
}
