// Request parameters, validated as openapi.yaml describes them: ids are integers in Cassandra's int
// range, `limit` is 1..1000, `song` is present and not blank, `source` is an s3:// URL as the ingest
// names its objects. Query strings are read with form semantics ('+' is a space, %2B a plus), the
// way URLSearchParams, curl --data-urlencode and most HTTP clients write them. An optional parameter
// given empty (`?limit=`, as an HTML form sends an empty field) is absent (the contract says
// `allowEmptyValue`); a parameter given twice is a 400, since which of the two values was meant is a
// guess.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { INT32_MAX, INT32_MIN, MAX_TEXT_LENGTH } from '../events/event';
import { badRequest } from '../http';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/**
 * A character that is not white space as String.prototype.trim sees it (Unicode Zs, tab, vertical
 * tab, form feed, line terminators, BOM). A title without one is blank: the ingest never stores it
 * (lib/events/classify.ts trims), so the API refuses it. openapi.yaml's `song` pattern is this
 * source, written out rather than as \S because regex engines disagree on what \s means.
 */
export const NOT_BLANK = /[^\t-\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

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

/** The one value of a query parameter: undefined when absent, a 400 when given more than once. */
function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw badRequest(name, `${name} is given ${values.length} times; give it once`);
  return values[0];
}

/** An optional parameter: absent when not given or given empty. */
function optional(query: URLSearchParams, name: string): string | undefined {
  const value = single(query, name);
  return value === '' ? undefined : value;
}

export interface PageRequest {
  limit: number;
  cursor: string | undefined;
}

export function pageRequest(query: URLSearchParams): PageRequest {
  const rawLimit = optional(query, 'limit');
  const limit = rawLimit === undefined ? DEFAULT_LIMIT : intValue('limit', rawLimit, [1, MAX_LIMIT]);
  return { limit, cursor: optional(query, 'cursor') };
}

export function songParam(query: URLSearchParams): string {
  const song = single(query, 'song');
  if (song === undefined || !NOT_BLANK.test(song))
    throw badRequest('song', 'song is required and must not be blank');
  // Counted in code points, as the contract's maxLength counts; the ingest's limit counts UTF-16
  // units, so every title it stores (at most as many code points) can be asked for.
  if ([...song].length > MAX_TEXT_LENGTH)
    throw badRequest('song', `song must be at most ${MAX_TEXT_LENGTH} characters`);
  return song;
}

/**
 * An ingest's source as the ingest names an S3 object (lib/ingest/sources.ts `s3Source`):
 * `s3://<bucket>/<key>`, the bucket by S3's naming rules (3 to 63 lowercase letters, digits, dots and
 * hyphens, a letter or digit at each end) and the key as S3 holds it, decoded (any characters, at
 * least one). openapi.yaml's `source` pattern is this string; it needs no `$`, since whatever
 * follows the bucket's slash is the key.
 */
export const S3_SOURCE_PATTERN = '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[\\s\\S]';
const S3_SOURCE = new RegExp(S3_SOURCE_PATTERN);

/**
 * `s3://`, the longest bucket name (63), `/` and the longest key (1,024 bytes of UTF-8, so at most
 * 1,024 code points): no source the ingest records is longer.
 */
export const MAX_SOURCE_LENGTH = 's3://'.length + 63 + 1 + 1024;

export function sourceParam(query: URLSearchParams): string {
  const source = single(query, 'source');
  if (source === undefined || source === '') throw badRequest('source', 'source is required');
  // Counted in code points, as the contract's maxLength counts.
  if ([...source].length > MAX_SOURCE_LENGTH)
    throw badRequest('source', `source must be at most ${MAX_SOURCE_LENGTH} characters`);
  if (!S3_SOURCE.test(source)) {
    throw badRequest(
      'source',
      `source must be an S3 object as s3://<bucket>/<key>, got "${source.slice(0, 80)}"`,
    );
  }
  return source;
}
