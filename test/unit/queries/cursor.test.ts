import { decodeCursor, encodeCursor } from '../../../lib/queries/cursor';

const secret = 'a-test-secret-of-enough-length';

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
    ['an altered payload', flip(cursor, 5), 'listeners', ['Flat 55']],
    ['an altered signature', flip(cursor, cursor.length - 3), 'listeners', ['Flat 55']],
    ['another partition', cursor, 'listeners', ['Other Song']],
    ['another query', cursor, 'user-session-songs', ['Flat 55']],
    ['random text', 'hello', 'listeners', ['Flat 55']],
    ['three parts', `${cursor}.x`, 'listeners', ['Flat 55']],
    ['non-base64 characters', 'ab$cd.ef', 'listeners', ['Flat 55']],
  ])('refuse %s with a 400 naming the cursor', (_case, given, query, key) => {
    expect(() => decodeCursor(secret, query, key, given)).toThrow(
      expect.objectContaining({ statusCode: 400, parameter: 'cursor' }),
    );
  });

  it('refuse a cursor signed with another secret', () => {
    const forged = encodeCursor('some-other-secret-value', 'listeners', ['Flat 55'], 'ff');
    expect(() => decodeCursor(secret, 'listeners', ['Flat 55'], forged)).toThrow(/cursor is malformed/);
  });
});
