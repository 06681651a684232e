import { errors, types } from 'cassandra-driver';
import { route } from '../../../lib/http';
import { createLogger } from '../../../lib/log';
import { apiHttpOptions } from '../../../lib/queries/api-handler';
import { getListeners } from '../../../lib/queries/listeners';
import { getSessionItem } from '../../../lib/queries/session-item';
import { getUserSessionSongs } from '../../../lib/queries/user-session';
import { openApiErrors } from '../../support/openapi';
import { FakeStore, httpEvent } from './fakes';

const secret = 'unit-test-cursor-secret';
const logged: string[] = [];
// The options the three API routes run with (lib/queries/api-handler.ts), driver error classification included.
const http = apiHttpOptions(
  ['*'],
  createLogger('debug', {}, (line) => logged.push(line)),
);

function api(store: FakeStore) {
  return {
    q1: route(http, (e) => getSessionItem(store, e)),
    q2: route(http, (e) => getUserSessionSongs(store, secret, e)),
    q3: route(http, (e) => getListeners(store, secret, e)),
  };
}

const body = (res: { body?: string }) => JSON.parse(res.body ?? 'null');

function storeWithData() {
  const store = new FakeStore();
  store.plays.set('338/4', {
    artist: 'Faithless',
    song: 'Music Matters (Mark Knight Dub)',
    length: 495.3073,
  });
  store.sessions.set('10/182', {
    firstName: 'Sylvie',
    lastName: 'Cruz',
    songs: Array.from({ length: 5 }, (_, i) => ({ itemInSession: i, artist: `A${i}`, song: `S${i}` })),
  });
  store.listenersBySong.set('All Hands Against His Own', [
    { userId: 29, firstName: 'Jacqueline', lastName: 'Lynch' },
    { userId: 80, firstName: 'Tegan', lastName: 'Levine' },
  ]);
  return store;
}

describe('GET /sessions/{sessionId}/items/{itemInSession}', () => {
  const { q1 } = api(storeWithData());
  const get = (sessionId: string, itemInSession: string) =>
    q1(
      httpEvent(`/sessions/${sessionId}/items/${itemInSession}`, {
        pathParameters: { sessionId, itemInSession },
      }),
    );

  it('answers 200 with the play as JSON', async () => {
    const res = await get('338', '4');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(body(res)).toEqual({
      sessionId: 338,
      itemInSession: 4,
      artist: 'Faithless',
      song: 'Music Matters (Mark Knight Dub)',
      length: 495.3073,
    });
  });

  it('answers 404 when there is no such play', async () => {
    const res = await get('338', '5');
    expect(res.statusCode).toBe(404);
    expect(body(res)).toEqual({
      error: { code: 'not_found', message: 'no play at sessionId 338, itemInSession 5' },
    });
  });

  it.each([
    ['sessionId', 'abc', '4'],
    ['sessionId', '2147483648', '4'],
    ['itemInSession', '338', '1.5'],
    ['itemInSession', '338', '-2147483649'],
    ['itemInSession', '338', '99999999999999999999'],
  ])(
    'answers 400 naming %s for sessionId=%s itemInSession=%s',
    async (parameter, sessionId, itemInSession) => {
      const res = await get(sessionId, itemInSession);
      expect(res.statusCode).toBe(400);
      expect(body(res).error).toMatchObject({ code: 'bad_request', parameter });
    },
  );
});

describe('GET /users/{userId}/sessions/{sessionId}/songs', () => {
  const store = storeWithData();
  const { q2 } = api(store);
  const get = (userId: string, sessionId: string, rawQueryString = '') =>
    q2(
      httpEvent(`/users/${userId}/sessions/${sessionId}/songs`, {
        pathParameters: { userId, sessionId },
        rawQueryString,
      }),
    );

  it('answers the songs in order with the user name, one page when they fit', async () => {
    const res = await get('10', '182');
    expect(body(res)).toEqual({
      userId: 10,
      sessionId: 182,
      firstName: 'Sylvie',
      lastName: 'Cruz',
      songs: [0, 1, 2, 3, 4].map((i) => ({ itemInSession: i, artist: `A${i}`, song: `S${i}` })),
      nextCursor: null,
    });
  });

  it('pages with limit and cursor, returning every song exactly once', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = `limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = body(await get('10', '182', qs));
      seen.push(...page.songs.map((s: { itemInSession: number }) => s.itemInSession));
      expect(page.firstName).toBe('Sylvie');
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(pages).toBe(3);
  });

  it('answers 404 when the user has no such session', async () => {
    expect((await get('10', '183')).statusCode).toBe(404);
  });

  it('answers a cursor issued for another session with a 404 naming the cursor (no such page)', async () => {
    store.sessions.set('10/183', {
      firstName: 'S',
      lastName: 'C',
      songs: [
        { itemInSession: 0, artist: 'a', song: 's' },
        { itemInSession: 1, artist: 'a', song: 's' },
      ],
    });
    const other = body(await get('10', '183', 'limit=1')).nextCursor as string;
    const res = await get('10', '182', `cursor=${encodeURIComponent(other)}`);
    expect(res.statusCode).toBe(404);
    expect(body(res).error).toMatchObject({ code: 'not_found', parameter: 'cursor' });
    expect(openApiErrors('getUserSessionSongs', 404, body(res))).toEqual([]);
  });

  it('answers a malformed cursor with a 400 naming it', async () => {
    const res = await get('10', '182', 'cursor=0');
    expect(res.statusCode).toBe(400);
    expect(body(res).error).toMatchObject({ code: 'bad_request', parameter: 'cursor' });
  });

  it.each(['0', '1001', 'ten', '-1', '%20', '5&limit=6'])('answers 400 for limit=%s', async (limit) => {
    const res = await get('10', '182', `limit=${limit}`);
    expect(res.statusCode).toBe(400);
    expect(body(res).error).toMatchObject({ parameter: 'limit' });
  });

  it.each(['limit=', 'cursor=', 'limit=&cursor='])(
    'treats empty optional parameters as absent (%s)',
    async (qs) => {
      const page = body(await get('10', '182', qs));
      expect(page.songs).toHaveLength(5);
      expect(page.nextCursor).toBeNull();
    },
  );

  it('uses a default page of 100', async () => {
    store.sessions.set('1/1', {
      firstName: 'L',
      lastName: 'P',
      songs: Array.from({ length: 150 }, (_, i) => ({ itemInSession: i, artist: 'a', song: 's' })),
    });
    const page = body(await get('1', '1'));
    expect(page.songs).toHaveLength(100);
    expect(page.nextCursor).toEqual(expect.any(String));
  });
});

describe('GET /listeners?song=', () => {
  const store = storeWithData();
  const { q3 } = api(store);
  const get = (rawQueryString: string) => q3(httpEvent('/listeners', { rawQueryString }));

  it('answers the listeners of a song', async () => {
    const res = await get('song=All%20Hands%20Against%20His%20Own');
    expect(body(res)).toEqual({
      song: 'All Hands Against His Own',
      listeners: [
        { userId: 29, firstName: 'Jacqueline', lastName: 'Lynch' },
        { userId: 80, firstName: 'Tegan', lastName: 'Levine' },
      ],
      nextCursor: null,
    });
  });

  it.each([
    ['spaces written as +', 'song=All+Hands+Against+His+Own', 'All Hands Against His Own'],
    ['a plus written as %2B', 'song=1%2B1%3D2', '1+1=2'],
    [
      'reserved characters and non-ASCII',
      `song=${encodeURIComponent(`Ça / va? #1 100% & "you" 'n me`)}`,
      `Ça / va? #1 100% & "you" 'n me`,
    ],
  ])('decodes %s', async (_case, qs, song) => {
    store.listenersBySong.set(song, [{ userId: 1, firstName: 'A', lastName: 'B' }]);
    expect(body(await get(qs)).song).toBe(song);
  });

  it('answers 200 with no listeners for a song nobody played', async () => {
    expect(body(await get('song=Unknown'))).toEqual({ song: 'Unknown', listeners: [], nextCursor: null });
  });

  it.each(['', 'song=', 'song=%20%20', `song=${'x'.repeat(1001)}`])(
    'answers 400 naming song for "%s"',
    async (qs) => {
      const res = await get(qs);
      expect(res.statusCode).toBe(400);
      expect(body(res).error.parameter).toBe('song');
    },
  );
});

describe('methods other than GET', () => {
  it.each(['HEAD', 'POST', 'DELETE'])(
    'are a 405 with Allow: GET before the store is asked (offline hands HEAD to GET routes): %s',
    async (method) => {
      const store = storeWithData();
      store.failWith = new Error('the store must not be asked');
      const res = await api(store).q1(
        httpEvent('/sessions/338/items/4', {
          pathParameters: { sessionId: '338', itemInSession: '4' },
          method,
        }),
      );
      expect(res.statusCode).toBe(405);
      expect(res.headers.allow).toBe('GET');
      expect(body(res)).toEqual({
        error: { code: 'method_not_allowed', message: `${method} is not allowed here; use GET` },
      });
    },
  );
});

describe('error mapping', () => {
  it('answers 503 with Retry-After when Cassandra is unavailable', async () => {
    const store = storeWithData();
    store.failWith = new errors.NoHostAvailableError({});
    const res = await api(store).q1(
      httpEvent('/sessions/1/items/1', { pathParameters: { sessionId: '1', itemInSession: '1' } }),
    );
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(body(res).error.code).toBe('unavailable');
  });

  it.each([
    ['a read timeout', new errors.ResponseError(types.responseErrorCodes.readTimeout, 'Operation timed out')],
    ['an overloaded node', new errors.ResponseError(types.responseErrorCodes.overloaded, 'Overloaded')],
    [
      'too few replicas',
      new errors.ResponseError(types.responseErrorCodes.unavailableException, 'Unavailable'),
    ],
    ['a client-side timeout', new errors.OperationTimedOutError('The host did not reply')],
  ])('answers 503 with Retry-After on %s', async (_name, err) => {
    const store = storeWithData();
    store.failWith = err;
    const res = await api(store).q3(httpEvent('/listeners', { rawQueryString: 'song=x' }));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
  });

  it('answers a generic 500 without internals, and logs the error in full', async () => {
    const store = storeWithData();
    store.failWith = new errors.ResponseError(
      types.responseErrorCodes.syntaxError,
      'line 1:7 no viable alternative at SELECT',
    );
    logged.length = 0;
    const res = await api(store).q3(httpEvent('/listeners', { rawQueryString: 'song=x' }));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/SELECT|viable|stack/);
    expect(body(res)).toEqual({ error: { code: 'internal', message: 'internal error', requestId: 'req-1' } });
    expect(logged.join('')).toContain('no viable alternative at SELECT');
  });

  it('allows only configured CORS origins', async () => {
    const strict = apiHttpOptions(['https://app.example'], http.log);
    const q3 = route(strict, (e) => getListeners(storeWithData(), secret, e));
    const allowed = await q3(
      httpEvent('/listeners', { rawQueryString: 'song=x', origin: 'https://app.example' }),
    );
    const other = await q3(
      httpEvent('/listeners', { rawQueryString: 'song=x', origin: 'https://evil.example' }),
    );
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    // The page may read why it was refused and when to retry.
    expect(allowed.headers['access-control-expose-headers']).toBe('Retry-After, WWW-Authenticate');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers['access-control-expose-headers']).toBeUndefined();
  });
});
