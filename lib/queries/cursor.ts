// Opaque pagination cursors: Cassandra's paging state plus what query and partition it belongs to,
// signed with HMAC so a client cannot forge or alter one. A cursor is `<payload>.<signature>`, both
// base64url (the signature is a SHA-256 HMAC: 43 characters). Its shape is public (openapi.yaml's
// `cursor` pattern is CURSOR_PATTERN's source): a cursor of another shape is malformed, a 400. One of
// that shape that does not verify for this query and partition (altered, issued for another listing,
// or signed with a retired secret) names no page of this listing: a 404 naming the cursor, not a 400,
// since the request is well-formed by the contract and only the page it asks for does not exist.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { badRequest, notFound } from '../http';

/** What a well-formed cursor looks like; encodeCursor always writes one. */
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;

interface CursorBody {
  v: 1;
  /** Which query (route) the cursor was issued for. */
  q: string;
  /** Hash of the partition key values, so a cursor cannot be replayed against another partition. */
  k: string;
  /** Cassandra's paging state, hex. */
  p: string;
}

const b64url = (buf: Buffer) => buf.toString('base64url');

function keyHash(key: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(key)).digest('base64url').slice(0, 16);
}

function sign(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

export function encodeCursor(
  secret: string,
  query: string,
  key: readonly unknown[],
  pageState: string,
): string {
  const body: CursorBody = { v: 1, q: query, k: keyHash(key), p: pageState };
  const payload = b64url(Buffer.from(JSON.stringify(body)));
  return `${payload}.${b64url(sign(secret, payload))}`;
}

const malformed = () =>
  badRequest('cursor', 'cursor is malformed: give the nextCursor of a previous page exactly as it was given');

/** A well-formed cursor that names no page of this listing (also used for a paging state Cassandra refuses). */
export const noSuchPage = () =>
  notFound(
    'no such page: the cursor was not issued for this listing (altered, issued for another query or key, or expired); start again without it',
    'cursor',
  );

/**
 * The paging state inside a cursor issued for this query and key; a 400 when the cursor is
 * malformed, a 404 when it is well-formed but was not issued for them.
 */
export function decodeCursor(secret: string, query: string, key: readonly unknown[], cursor: string): string {
  if (!CURSOR_PATTERN.test(cursor)) throw malformed();
  const [payload = '', signature = ''] = cursor.split('.');
  const expected = sign(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw noSuchPage();
  let body: Partial<CursorBody>;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    throw noSuchPage();
  }
  if (
    body.v !== 1 ||
    body.q !== query ||
    body.k !== keyHash(key) ||
    typeof body.p !== 'string' ||
    !/^[0-9a-f]+$/.test(body.p)
  ) {
    throw noSuchPage();
  }
  return body.p;
}
