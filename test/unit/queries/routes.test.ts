// The API's routes in three places that must agree: the contract (openapi.yaml), the code's table
// (lib/queries/routes.ts, which the catch-all's 405 reads its Allow from), and the gateway's routes
// (serverless.yml: each query function on its GET route, the catch-all on `ANY` of each path and on
// `$default`). Then the catch-all itself: a 405 with Allow on a known path, a 404 elsewhere.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { handler as notFoundHandler } from '../../../functions/notFound';
import { API_ROUTES, allowedMethods } from '../../../lib/queries/routes';
import { componentResponseErrors, contractResponse, contractRoutes } from '../../support/openapi';
import { httpEvent } from './fakes';

interface HttpApiEvent {
  httpApi: string | { method: string; path: string };
}

const serverless = parse(readFileSync(join(__dirname, '..', '..', '..', 'serverless.yml'), 'utf8'), {
  logLevel: 'error',
}) as { functions: Record<string, { events?: (HttpApiEvent | Record<string, unknown>)[] }> };

/** A function's HTTP routes as API Gateway route keys (`*` as method is ANY; bare `*` is $default). */
function routeKeys(fn: string): string[] {
  return (serverless.functions[fn]?.events ?? [])
    .filter((e): e is HttpApiEvent => 'httpApi' in e)
    .map(({ httpApi }) =>
      typeof httpApi === 'string'
        ? httpApi === '*'
          ? '$default'
          : httpApi
        : `${httpApi.method === '*' ? 'ANY' : httpApi.method.toUpperCase()} ${httpApi.path}`,
    );
}

const QUERY_FUNCTIONS: Record<string, string> = {
  getSessionItem: '/sessions/{sessionId}/items/{itemInSession}',
  getUserSessionSongs: '/users/{userId}/sessions/{sessionId}/songs',
  getListeners: '/listeners',
  getIngests: '/ingests',
};

describe('the API routes', () => {
  it('are the paths and methods of the contract', () => {
    expect(API_ROUTES).toEqual(contractRoutes());
  });

  it('give each query function the GET route of its path, and nothing else', () => {
    expect(Object.values(QUERY_FUNCTIONS).sort()).toEqual(Object.keys(API_ROUTES).sort());
    for (const [fn, path] of Object.entries(QUERY_FUNCTIONS)) expect(routeKeys(fn)).toEqual([`GET ${path}`]);
  });

  it('give the catch-all every other method of each path (ANY) and every other path ($default)', () => {
    expect(routeKeys('notFound').sort()).toEqual(
      [...Object.keys(API_ROUTES).map((path) => `ANY ${path}`), '$default'].sort(),
    );
  });

  it('read the methods a path serves from its ANY route key only', () => {
    expect(allowedMethods('ANY /listeners')).toEqual(['GET']);
    expect(allowedMethods('$default')).toBeUndefined();
    expect(allowedMethods('ANY /elsewhere')).toBeUndefined();
    expect(allowedMethods('ANY toString')).toBeUndefined();
    expect(allowedMethods(undefined)).toBeUndefined();
  });
});

describe('the catch-all function', () => {
  function call(method: string, rawPath: string, routeKey: string) {
    const event = httpEvent(rawPath);
    event.routeKey = routeKey;
    event.requestContext.routeKey = routeKey;
    event.requestContext.http.method = method;
    return notFoundHandler(event);
  }
  const body = (res: { body?: string }) => JSON.parse(res.body ?? 'null');

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'QUERY'])(
    'answers %s on a known path with a JSON 405 and Allow: GET, as the contract documents',
    async (method) => {
      for (const path of Object.keys(API_ROUTES)) {
        const res = await call(method, path.replace(/\{\w+\}/g, '7'), `ANY ${path}`);
        expect(res.statusCode).toBe(405);
        expect(res.headers).toMatchObject({
          allow: 'GET',
          'content-type': 'application/json; charset=utf-8',
        });
        // CORS_ORIGINS is unset here: no origin is allowed, so no CORS header.
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(body(res)).toEqual({
          error: { code: 'method_not_allowed', message: `${method} is not allowed here; use GET` },
        });
        expect(componentResponseErrors('MethodNotAllowed', body(res))).toEqual([]);
      }
    },
  );

  it('documents the Allow header of that 405', () => {
    expect(contractResponse('MethodNotAllowed').headers).toEqual({
      Allow: { required: true, schema: { type: 'string', const: 'GET' } },
    });
  });

  it.each(['GET', 'POST'])('answers %s on an unknown path with a JSON 404', async (method) => {
    const res = await call(method, '/no/such/route', '$default');
    expect(res.statusCode).toBe(404);
    expect(res.headers.allow).toBeUndefined();
    expect(body(res)).toEqual({
      error: { code: 'not_found', message: `no route for ${method} /no/such/route` },
    });
  });
});
