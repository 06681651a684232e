// Opaque pagination cursors: Cassandra's paging state plus what query and partition it belongs to,
// signed with HMAC so a client cannot forge or alter one. Anything that does not verify is a 400.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { badRequest } from '../http';

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

const invalid = () => badRequest('cursor', 'cursor is malformed, was altered, or belongs to another query');

/** The paging state inside a cursor issued for this query and key; throws a 400 otherwise. */
export function decodeCursor(secret: string, query: string, key: readonly unknown[], cursor: string): string {
  const [payload, signature, extra] = cursor.split('.');
  if (
    !payload ||
    !signature ||
    extra !== undefined ||
    !/^[\w-]+$/.test(payload) ||
    !/^[\w-]+$/.test(signature)
  ) {
    throw invalid();
  }
  const expected = sign(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  let body: Partial<CursorBody>;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    throw invalid();
  }
  if (
    body.v !== 1 ||
    body.q !== query ||
    body.k !== keyHash(key) ||
    typeof body.p !== 'string' ||
    !/^[0-9a-f]+$/.test(body.p)
  ) {
    throw invalid();
  }
  return body.p;
}
