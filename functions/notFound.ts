// Every other route: a JSON 404 instead of the gateway's own plain answer.
import { notFound, route } from '../lib/http';
import { apiRuntime } from '../lib/queries/runtime';

const rt = apiRuntime('notFound');

export const handler = route(rt.http, async (event) => {
  throw notFound(`no route for ${event.requestContext?.http?.method ?? 'GET'} ${event.rawPath ?? '/'}`);
});
