// What the API handlers share per container: the validated config (secrets fetched), a logger, and
// a query store over the one connected Cassandra client, created on first use and then reused.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { sharedClient } from '../cassandra/client';
import { config } from '../config';
import { type HttpResponse, route } from '../http';
import { createLogger } from '../log';
import { runtimeConfig } from '../secrets';
import { CassandraQueryStore, type QueryStore } from './store';

export interface QueryDeps {
  store: QueryStore;
  cursorSecret: string;
}

let deps: Promise<QueryDeps> | undefined;

function queryDeps(): Promise<QueryDeps> {
  deps ??= runtimeConfig()
    .then(async (cfg) => ({
      store: new CassandraQueryStore(await sharedClient(cfg.cassandra), cfg.cassandra),
      cursorSecret: cfg.api.cursorSecret,
    }))
    .catch((err: unknown) => {
      deps = undefined;
      throw err;
    });
  return deps;
}

/** An HTTP handler for one route; `answer` gets the shared store and cursor secret. */
export function apiHandler<T>(
  fn: string,
  answer: (deps: QueryDeps, event: APIGatewayProxyEventV2) => Promise<T>,
): (event: APIGatewayProxyEventV2) => Promise<HttpResponse> {
  const cfg = config();
  const http = { corsOrigins: cfg.api.corsOrigins, log: createLogger(cfg.logLevel, { fn }) };
  return route(http, async (event) => answer(await queryDeps(), event));
}
