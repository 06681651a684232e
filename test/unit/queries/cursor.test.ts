import fc from 'fast-check';
import { CURSOR_PATTERN, decodeCursor, encodeCursor } from '../../../lib/queries/cursor';
import { parameterSchema } from '../../support/openapi';

const secret = 'a-test-secret-of-enough-length';
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

describe('pagination cursors', () => {
  const cursor = encodeCursor(secret, 'listeners', ['Flat 55'], '0004000000fe');

  it('round-trip the paging state for the same query and partition', () => {
    expect(decodeCursor(secret, 'listeners', ['Flat 55'], cursor)).toBe('0004000000fe');
  });

  it('are opaque URL-safe tokens', () => {
    expect(cursor).toMatch(/^[\w-]+\.[\w-]+$/);
  });

  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

  it.each([
    ['random text', 'hello'],
    ['three parts', `${cursor}.x`],
    ['non-base64 characters', 'ab$cd.ef'],
    ['a short signature', cursor.slice(0, -1)],
    ['a long signature', `${cursor}A`],
    ['no payload', cursor.slice(cursor.indexOf('.'))],
    ['a trailing newline', `${cursor}\n`],
    ['padding', `${cursor}=`],
  ])('refuse %s as malformed: a 400 naming the cursor', (_case, given) => {
    expect(CURSOR_PATTERN.test(given)).toBe(false);
    expect(() => decodeCursor(secret, 'listeners', ['Flat 55'], given)).toThrow(
      expect.objectContaining({ statusCode: 400, parameter: 'cursor' }),
    );
  });

  it.each([
    ['an altered payload', flip(cursor, 5), 'listeners', ['Flat 55']],
    ['an altered signature', flip(cursor, cursor.length - 3), 'listeners', ['Flat 55']],
    ['another partition', cursor, 'listeners', ['Other Song']],
    ['another query', cursor, 'user-session-songs', ['Flat 55']],
    ['made-up text of the right shape', `abc.${'x'.repeat(43)}`, 'listeners', ['Flat 55']],
  ])(
    'answer %s, well-formed but not issued for this listing, with a 404 naming the cursor',
    (_case, given, query, key) => {
      expect(CURSOR_PATTERN.test(given)).toBe(true);
      expect(() => decodeCursor(secret, query, key, given)).toThrow(
        expect.objectContaining({ statusCode: 404, code: 'not_found', parameter: 'cursor' }),
      );
    },
  );

  it('answer a cursor signed with another secret with a 404', () => {
    const forged = encodeCursor('some-other-secret-value', 'listeners', ['Flat 55'], 'ff');
    expect(() => decodeCursor(secret, 'listeners', ['Flat 55'], forged)).toThrow(/no such page/);
  });

  it("have the contract's cursor pattern, so the contract says what a cursor is", () => {
    expect(parameterSchema('getListeners', 'cursor').pattern).toBe(CURSOR_PATTERN.source);
  });

  it('always match that pattern and round-trip, for any query, key and paging state', () => {
    const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    fc.assert(
      fc.property(
        fc.constantFrom('listeners', 'user-session-songs'),
        // A title of any characters (non-BMP included), or a user and session id.
        fc.oneof(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 1000 })), fc.tuple(int32, int32)),
        // Cassandra's paging states are a few bytes to a few kilobytes (a long title in the key).
        fc.uint8Array({ minLength: 1, maxLength: 4000 }).map((b) => Buffer.from(b).toString('hex')),
        (query, key, pageState) => {
          const issued = encodeCursor(secret, query, key, pageState);
          expect(issued).toMatch(CURSOR_PATTERN);
          expect(decodeCursor(secret, query, key, issued)).toBe(pageState);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuse anything of the right shape that they did not issue with a 404, never a 400 or a crash', () => {
    const base64url = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
    fc.assert(
      fc.property(
        fc.string({ unit: base64url, minLength: 1, maxLength: 200 }),
        fc.string({ unit: base64url, minLength: 43, maxLength: 43 }),
        (payload, signature) => {
          const given = `${payload}.${signature}`;
          expect(given).toMatch(CURSOR_PATTERN);
          expect(() => decodeCursor(secret, 'listeners', ['Flat 55'], given)).toThrow(
            expect.objectContaining({ statusCode: 404, parameter: 'cursor' }),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});
