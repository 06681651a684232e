// Request parameters, validated: ids are integers in Cassandra's int range, `limit` is 1..1000,
// `song` is present. Query strings are read with form semantics ('+' is a space, %2B a plus), the
// way URLSearchParams, curl --data-urlencode and most HTTP clients write them.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { INT32_MAX, INT32_MIN, MAX_TEXT_LENGTH } from '../events/event';
import { badRequest } from '../http';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

function intValue(
  name: string,
  raw: string | undefined,
  range: [number, number] = [INT32_MIN, INT32_MAX],
): number {
  if (raw === undefined || raw === '') throw badRequest(name, `${name} is required`);
  const n = /^[+-]?\d{1,11}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < range[0] || n > range[1]) {
    throw badRequest(
      name,
      `${name} must be an integer between ${range[0]} and ${range[1]}, got "${raw.slice(0, 40)}"`,
    );
  }
  return n;
}

export function pathInt(event: APIGatewayProxyEventV2, name: string): number {
  return intValue(name, event.pathParameters?.[name]);
}

/** Query parameters from the raw query string, so decoding is the same on API Gateway and offline. */
export function queryParams(event: APIGatewayProxyEventV2): URLSearchParams {
  if (event.rawQueryString !== undefined) return new URLSearchParams(event.rawQueryString);
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {}))
    if (v !== undefined) params.set(k, v);
  return params;
}

export interface PageRequest {
  limit: number;
  cursor: string | undefined;
}

export function pageRequest(query: URLSearchParams): PageRequest {
  const rawLimit = query.get('limit');
  const limit = rawLimit === null ? DEFAULT_LIMIT : intValue('limit', rawLimit, [1, MAX_LIMIT]);
  const cursor = query.get('cursor');
  if (cursor === '') throw badRequest('cursor', 'cursor is empty');
  return { limit, cursor: cursor ?? undefined };
}

export function songParam(query: URLSearchParams): string {
  const song = query.get('song');
  if (song === null || song.trim() === '') throw badRequest('song', 'song is required and must not be empty');
  if (song.length > MAX_TEXT_LENGTH)
    throw badRequest('song', `song must be at most ${MAX_TEXT_LENGTH} characters`);
  return song;
}
