// Builds the handler of one API route: what the handlers share per container (the validated config
// with its secrets fetched, a logger, and a query store over the one connected Cassandra client,
// created on first use and then reused), the caller's token and scope checked first, the error mapping of routes over Cassandra, and each
// request's metrics (its latency and whether it failed, by route: lib/metrics.ts).
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { authenticator, type Scope } from '../auth';
import { sharedClient } from '../cassandra/client';
import { isTransient } from '../cassandra/retry';
import { apiAuth, apiCursorSecret, config } from '../config';
import { type HttpOptions, type HttpResponse, route } from '../http';
import { createLogger, type Logger } from '../log';
import { functionMetrics, recordRequest } from '../metrics';
import { configWithSecrets } from '../secrets';
import { QUERY_METHODS } from './routes';
import { CassandraQueryStore, type QueryStore } from './store';

export interface QueryDeps {
  store: QueryStore;
  cursorSecret: string;
}

let deps: Promise<QueryDeps> | undefined;

function queryDeps(): Promise<QueryDeps> {
  deps ??= configWithSecrets()
    .then(async (cfg) => ({
      store: new CassandraQueryStore(await sharedClient(cfg.cassandra, 'queries'), cfg.cassandra),
      cursorSecret: apiCursorSecret(cfg),
    }))
    .catch((err: unknown) => {
      deps = undefined;
      throw err;
    });
  return deps;
}

/** The error mapping of routes over Cassandra, and the methods they serve (others are a 405). */
export function apiHttpOptions(corsOrigins: readonly string[], log: Logger): HttpOptions {
  // Timeouts, overload, unavailable replicas and no reachable host: a 503 the client may retry.
  return { corsOrigins, log, isUnavailable: isTransient, methods: QUERY_METHODS };
}

/**
 * An HTTP handler for one route: the caller's token must carry `scope` (lib/auth.ts) before anything
 * else happens; `answer` then gets the shared store and cursor secret.
 */
export function apiHandler<T>(
  fn: string,
  scope: Scope,
  answer: (deps: QueryDeps, event: APIGatewayProxyEventV2) => Promise<T>,
): (event: APIGatewayProxyEventV2) => Promise<HttpResponse> {
  const cfg = config();
  const http = apiHttpOptions(cfg.api.corsOrigins, createLogger(cfg.logLevel, { fn }));
  const authenticate = authenticator(apiAuth(cfg));
  const handle = route(http, async (event) => {
    await authenticate(event, scope);
    return answer(await queryDeps(), event);
  });
  const metrics = functionMetrics(cfg);
  return async (event) => {
    const started = performance.now();
    const response = await handle(event);
    recordRequest(metrics, fn, response.statusCode, performance.now() - started);
    return response;
  };
}
