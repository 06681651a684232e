// The API's paths, spelled as API Gateway route keys spell them, and the methods each serves. The
// query functions answer those methods; the catch-all function answers every other method on these
// paths (its `ANY <path>` routes) with a 405 whose Allow lists them. Kept free of imports so the
// catch-all bundles no Cassandra driver. openapi.yaml and serverless.yml must say the same; the unit
// tests compare them (test/unit/queries/routes.test.ts).

/** What every query route serves. HEAD is not implied: API Gateway routes it like any other method. */
export const QUERY_METHODS: readonly string[] = ['GET'];

export const API_ROUTES: Readonly<Record<string, readonly string[]>> = {
  '/sessions/{sessionId}/items/{itemInSession}': QUERY_METHODS,
  '/users/{userId}/sessions/{sessionId}/songs': QUERY_METHODS,
  '/listeners': QUERY_METHODS,
  '/ingests': QUERY_METHODS,
};

/** The API's scopes (lib/auth.ts checks them): one reads the three questions, one is the operators'. */
export const SCOPES = { read: 'tracklog/read', ingests: 'tracklog/ingests' } as const;
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

/** The scope each path's token must carry; serverless.yml's route authorizers say the same (deploy tests). */
export const ROUTE_SCOPES: Readonly<Record<string, Scope>> = {
  '/sessions/{sessionId}/items/{itemInSession}': SCOPES.read,
  '/users/{userId}/sessions/{sessionId}/songs': SCOPES.read,
  '/listeners': SCOPES.read,
  '/ingests': SCOPES.ingests,
};

/**
 * The methods served on the path of an `ANY <path>` route key (the catch-all's per-path routes);
 * undefined for `$default` (no such path) or anything else.
 */
export function allowedMethods(routeKey: string | undefined): readonly string[] | undefined {
  const path = routeKey?.startsWith('ANY ') ? routeKey.slice('ANY '.length) : undefined;
  return path !== undefined && Object.hasOwn(API_ROUTES, path) ? API_ROUTES[path] : undefined;
}
