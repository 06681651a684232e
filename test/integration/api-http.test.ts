// The query API over HTTP: serverless offline (started here) in front of the real Cassandra, with
// data put there by the real ingest pipeline. Responses are checked against openapi.yaml.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { generateKeyPair, SignJWT } from 'jose';
import { SCOPES } from '../../lib/auth';
import { LOCAL_ISSUER, loadConfig } from '../../lib/config';
import { localOutputs, outputNames } from '../../lib/ingest/outputs';
import { ingestFilePart } from '../../lib/ingest/service';
import { createLogger } from '../../lib/log';
import { CSV_COLUMNS, csvField } from '../../scripts/generate/format';
import { type Offline, startOffline } from '../../scripts/local/offline';
import { ensureIssuerKeys, localAuthorization, signLocalToken } from '../../scripts/stack/issuer';
import { readStackSettings } from '../../scripts/stack/settings';
import { componentResponseErrors, openApiErrors } from '../support/openapi';
import { useSchemaKeyspace } from './support/cassandra';
import { describeWithRealData, realDataDir, realDataFiles } from './support/real-data';

const HEADER = CSV_COLUMNS.join(',');
const HOT_SONG = 'Hot / Song? #1 & 100% + "more" – Ça';
const BIG = 2600;

/** A hot song with BIG distinct listeners, and one marathon session of BIG songs. */
function bigPartitions(): string {
  const lines = [HEADER];
  for (let u = 1; u <= BIG; u++) {
    lines.push(
      [
        'Band',
        'Logged In',
        `First${u}`,
        'F',
        '0',
        `Last${u}`,
        '200.5',
        'free',
        '',
        'PUT',
        'NextSong',
        '',
        String(100000 + u),
        HOT_SONG,
        '200',
        '1',
        String(u),
      ]
        .map(csvField)
        .join(','),
    );
  }
  for (let i = 0; i < BIG; i++) {
    lines.push(
      [
        'Marathon',
        'Logged In',
        'Mara',
        'F',
        String(i),
        'Thon',
        '60',
        'paid',
        '',
        'PUT',
        'NextSong',
        '',
        '777',
        `Track ${i}`,
        '200',
        '1',
        '424242',
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('the query API over HTTP (serverless offline)', () => {
  const ks = useSchemaKeyspace();
  let api: Offline;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-http-'));
    writeFileSync(join(dir, 'big.csv'), bigPartitions());
    const rt = {
      cfg: loadConfig({ ...process.env, CASSANDRA_KEYSPACE: ks.name }),
      client: ks.client,
      log: createLogger('error', {}, () => undefined),
    };
    const files = [join(dir, 'big.csv'), join(__dirname, '..', 'fixtures', 'quirks.csv')];
    files.push(...realDataFiles().map((f) => join(realDataDir, f)));
    const names = outputNames(files.map((path) => ({ kind: 'file' as const, path })));
    for (const [i, file] of files.entries()) {
      const { rejectsBase } = localOutputs(dir, names[i] as string);
      expect((await ingestFilePart(rt, file, rejectsBase)).status).toBe('completed');
    }
    api = await startOffline({ env: { CASSANDRA_KEYSPACE: ks.name }, name: `api-http-${ks.name}` });
  }, 240_000);
  afterAll(async () => {
    await api?.stop();
  });

  /** A GET with a token of every scope, unless `headers` says otherwise. */
  async function get(path: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${api.baseUrl}${path}`, {
      headers: { ...(await localAuthorization()), ...headers },
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  it('answers Q1 with the play, matching the documented schema', async () => {
    const res = await get('/sessions/90139/items/2');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({
      sessionId: 90139,
      itemInSession: 2,
      artist: 'The Quoters',
      song: 'He Said "Hi", Then Left / Why? (Live) & More',
      length: 180.5,
    });
    expect(openApiErrors('getSessionItem', 200, res.body)).toEqual([]);
  });

  it('answers Q2 in itemInSession order with the user name', async () => {
    const res = await get('/users/9008/sessions/90139/songs');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      userId: 9008,
      sessionId: 90139,
      firstName: 'Mira',
      lastName: 'Quell',
      nextCursor: null,
    });
    expect((res.body.songs as { itemInSession: number }[]).map((s) => s.itemInSession)).toEqual([
      1, 2, 4, 10,
    ]);
    expect(openApiErrors('getUserSessionSongs', 200, res.body)).toEqual([]);
  });

  it('answers Q3 for a title full of reserved characters', async () => {
    const res = await get(
      `/listeners?song=${encodeURIComponent('He Said "Hi", Then Left / Why? (Live) & More')}`,
    );
    expect(res.body).toEqual({
      song: 'He Said "Hi", Then Left / Why? (Live) & More',
      listeners: [{ userId: 9008, firstName: 'Mira', lastName: 'Quell' }],
      nextCursor: null,
    });
    expect(openApiErrors('getListeners', 200, res.body)).toEqual([]);
  });

  it.each([
    ['Q2 (a session of 2,600 songs)', '/users/424242/sessions/777/songs', 'songs', 'itemInSession', 1000],
    [
      'Q3 (a song with 2,600 listeners)',
      `/listeners?song=${encodeURIComponent(HOT_SONG)}`,
      'listeners',
      'userId',
      1000,
    ],
    [
      'Q3 with an odd page size',
      `/listeners?song=${encodeURIComponent(HOT_SONG)}`,
      'listeners',
      'userId',
      333,
    ],
  ])('pages through %s returning every row exactly once', async (_case, path, list, id, limit) => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res = await get(
        `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.status).toBe(200);
      const rows = res.body[list] as Record<string, number>[];
      expect(rows.length).toBeLessThanOrEqual(limit);
      seen.push(...rows.map((r) => r[id] as number));
      cursor = res.body.nextCursor as string | null;
      pages++;
    } while (cursor && pages < 100);
    expect(seen).toHaveLength(BIG);
    expect(new Set(seen).size).toBe(BIG);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(BIG / limit));
  });

  it('answers a tampered cursor with a 404 (no such page) and a malformed one with a 400', async () => {
    const first = await get(`/listeners?song=${encodeURIComponent(HOT_SONG)}&limit=10`);
    const cursor = first.body.nextCursor as string;
    const tampered = `${cursor.slice(0, 10)}${cursor[10] === 'x' ? 'y' : 'x'}${cursor.slice(11)}`;
    const page = (c: string) =>
      get(`/listeners?song=${encodeURIComponent(HOT_SONG)}&cursor=${encodeURIComponent(c)}`);
    const altered = await page(tampered);
    expect(altered.status).toBe(404);
    expect(altered.body).toMatchObject({ error: { code: 'not_found', parameter: 'cursor' } });
    expect(openApiErrors('getListeners', 404, altered.body)).toEqual([]);
    const malformed = await page(`${cursor}=`);
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: { code: 'bad_request', parameter: 'cursor' } });
    expect(openApiErrors('getListeners', 400, malformed.body)).toEqual([]);
  });

  it('treats empty optional parameters as absent, and refuses a parameter given twice', async () => {
    const empty = await get(`/listeners?song=${encodeURIComponent(HOT_SONG)}&limit=&cursor=`);
    expect(empty.status).toBe(200);
    expect(empty.body.listeners).toHaveLength(100);
    const twice = await get(`/listeners?song=${encodeURIComponent(HOT_SONG)}&limit=5&limit=6`);
    expect(twice.status).toBe(400);
    expect(twice.body).toMatchObject({ error: { code: 'bad_request', parameter: 'limit' } });
  });

  /** Any method, TRACE included (fetch refuses to send it). */
  function send(
    method: string,
    path: string,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(`${api.baseUrl}${path}`, { method }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.once('error', reject);
      req.end();
    });
  }

  it.each(['HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE'])(
    'answers %s on every API path with a JSON 405 and Allow: GET',
    async (method) => {
      for (const path of [
        '/sessions/90139/items/2',
        '/users/9008/sessions/90139/songs',
        '/listeners?song=x',
      ]) {
        const res = await send(method, path);
        expect([path, res.status, res.headers.allow]).toEqual([path, 405, 'GET']);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        if (method !== 'HEAD')
          expect(componentResponseErrors('MethodNotAllowed', JSON.parse(res.body))).toEqual([]);
      }
    },
  );

  it('answers other methods on an unknown path with a JSON 404, and a CORS preflight from the configuration', async () => {
    const post = await fetch(`${api.baseUrl}/no/such/route`, { method: 'POST' });
    expect([post.status, post.headers.get('allow'), await post.json()]).toEqual([
      404,
      null,
      { error: { code: 'not_found', message: 'no route for POST /no/such/route' } },
    ]);
    const preflight = await fetch(`${api.baseUrl}/listeners`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://dashboard.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET');
    // A page may send its bearer token.
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
  });

  it.each([
    ['/sessions/abc/items/1', 'getSessionItem', 'sessionId'],
    ['/users/1/sessions/2147483648/songs', 'getUserSessionSongs', 'sessionId'],
    ['/users/9008/sessions/90139/songs?limit=1001', 'getUserSessionSongs', 'limit'],
    ['/listeners?song=', 'getListeners', 'song'],
  ])('answers 400 for %s naming the parameter', async (path, operation, parameter) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { parameter } });
    expect(openApiErrors(operation, 400, res.body)).toEqual([]);
  });

  it('answers 404 as documented for a missing play, a missing session and an unknown route', async () => {
    const play = await get('/sessions/90139/items/999');
    const session = await get('/users/9008/sessions/1/songs');
    const route = await get('/no/such/route');
    expect([play.status, session.status, route.status]).toEqual([404, 404, 404]);
    expect(openApiErrors('getSessionItem', 404, play.body)).toEqual([]);
    expect(openApiErrors('getUserSessionSongs', 404, session.body)).toEqual([]);
    expect(route.body).toEqual({ error: { code: 'not_found', message: 'no route for GET /no/such/route' } });
  });

  it("writes each request's latency and outcome as CloudWatch metrics (EMF) to the function log, by route", async () => {
    await get('/sessions/90139/items/2');
    await get('/sessions/90139/items/999');
    await get('/listeners?song=');
    // The metrics are CloudWatch's Embedded Metric Format: one JSON line each, in offline's output.
    const lines = readFileSync(api.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>);
    const emf = (route: string) => lines.filter((l) => l.route === route);
    const q1 = emf('getSessionItem');
    const q3 = emf('getListeners');
    expect(q1.length).toBeGreaterThanOrEqual(2);
    const declared = (
      q1[0]?._aws as
        | { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }
        | undefined
    )?.CloudWatchMetrics[0];
    expect(declared?.Metrics.map((m) => m.Name).sort()).toEqual([
      'ClientErrors',
      'ReadLatency',
      'ServerErrors',
    ]);
    expect(declared?.Dimensions.flat().sort()).toEqual(['route', 'service']);
    expect(q1.every((l) => typeof l.ReadLatency === 'number' && (l.ReadLatency as number) >= 0)).toBe(true);
    // The 200 and the 404 of Q1, and Q3's 400: client errors are counted, none is a server error.
    expect(q1.map((l) => l.ClientErrors)).toEqual(expect.arrayContaining([0, 1]));
    expect(q3.at(-1)).toMatchObject({ ClientErrors: 1, ServerErrors: 0 });
  });

  describe('who may call it', () => {
    const paths = ['/sessions/90139/items/2', '/users/9008/sessions/90139/songs', '/listeners?song=x'];
    const ingests = '/ingests?source=s3://raw/x.csv';
    const settings = readStackSettings();
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    /** A token signed by a key the issuer never published, under the issuer's own key id. */
    async function forged(): Promise<string> {
      const [published] = await ensureIssuerKeys(settings);
      const { privateKey } = await generateKeyPair('ES256');
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ scope: `${SCOPES.read} ${SCOPES.ingests}` })
        .setProtectedHeader({ alg: 'ES256', kid: published?.kid ?? '' })
        .setIssuer(LOCAL_ISSUER)
        .setAudience('tracklog')
        .setSubject('mallory')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(privateKey);
    }

    it.each([
      ['no token', async () => ({ authorization: '' }), 'a bearer token is required'],
      [
        'a token that is no JWT',
        async () => ({ authorization: 'Bearer not-a-token' }),
        'must be Bearer followed by a JWT',
      ],
      ['a forged token', async () => bearer(await forged()), 'the token signature does not verify'],
      [
        'an expired token',
        async () =>
          bearer(await signLocalToken(settings, { scopes: [SCOPES.read, SCOPES.ingests], ttlSeconds: -120 })),
        'the token has expired',
      ],
      [
        'a token for another audience',
        async () =>
          bearer(
            await signLocalToken(settings, {
              scopes: [SCOPES.read, SCOPES.ingests],
              ttlSeconds: 600,
              audience: 'other',
            }),
          ),
        'the token is for another audience',
      ],
    ])('refuses %s on every data route with a JSON 401', async (_what, headers, why) => {
      const h = await headers();
      for (const path of [...paths, ingests]) {
        const res = await get(path, h);
        expect([path, res.status]).toEqual([path, 401]);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="tracklog"/);
        expect((res.body.error as { message: string }).message).toContain(why);
        expect(componentResponseErrors('Unauthorized', res.body)).toEqual([]);
      }
    });

    it('answers 403 to a token without the route’s scope: readers cannot see ingests, operators cannot read plays', async () => {
      const reader = await localAuthorization([SCOPES.read]);
      const operator = await localAuthorization([SCOPES.ingests]);
      const denied = [
        ...paths.map((path) => [path, operator, SCOPES.read] as const),
        [ingests, reader, SCOPES.ingests] as const,
      ];
      for (const [path, headers, scope] of denied) {
        const res = await get(path, headers);
        expect([path, res.status, res.headers.get('www-authenticate')]).toEqual([
          path,
          403,
          `Bearer realm="tracklog", error="insufficient_scope", scope="${scope}"`,
        ]);
        expect(componentResponseErrors('Forbidden', res.body)).toEqual([]);
      }
      expect((await get(paths[0] ?? '', reader)).status).toBe(200);
    });

    it('grants nothing for claims a request sets itself (serverless offline’s authorizer override header)', async () => {
      const override = JSON.stringify({ jwt: { claims: { sub: 'x', scope: SCOPES.ingests } } });
      const res = await get(ingests, {
        ...(await localAuthorization([SCOPES.read])),
        'sls-offline-authorizer-override': override,
      });
      expect(res.status).toBe(403);
      expect(
        (await get(ingests, { authorization: '', 'sls-offline-authorizer-override': override })).status,
      ).toBe(401);
    });
  });

  it('allows cross-origin calls (the local stage allows every origin), and lets a page read why a token was refused', async () => {
    const res = await get('/sessions/90139/items/2', { origin: 'https://dashboard.example' });
    expect(['*', 'https://dashboard.example']).toContain(res.headers.get('access-control-allow-origin'));
    const refused = await get('/sessions/90139/items/2', {
      origin: 'https://dashboard.example',
      authorization: '',
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('www-authenticate');
  });

  describeWithRealData('on the real data', () => {
    type Row = Record<string, string>;
    const rows = realDataFiles().flatMap(
      (f) => parse(readFileSync(join(realDataDir, f)), { columns: true, bom: true }) as Row[],
    );
    const plays = rows.filter((r) => r.page === 'NextSong');

    it('answers the three example queries with the rows the data implies', async () => {
      const q1 = plays.find((r) => r.sessionId === '338' && r.itemInSession === '4');
      expect((await get('/sessions/338/items/4')).body).toEqual({
        sessionId: 338,
        itemInSession: 4,
        artist: q1?.artist,
        song: q1?.song,
        length: Number(q1?.length),
      });
      const q2 = plays
        .filter((r) => r.userId === '10' && r.sessionId === '182')
        .sort((a, b) => Number(a.itemInSession) - Number(b.itemInSession));
      const session = (await get('/users/10/sessions/182/songs')).body;
      expect(session.songs).toEqual(
        q2.map((r) => ({ itemInSession: Number(r.itemInSession), artist: r.artist, song: r.song })),
      );
      expect([session.firstName, session.lastName]).toEqual([q2[0]?.firstName, q2[0]?.lastName]);
      const title = 'All Hands Against His Own';
      const q3 = new Map(plays.filter((r) => r.song === title).map((r) => [Number(r.userId), r]));
      const listeners = (await get(`/listeners?song=${encodeURIComponent(title)}`)).body.listeners;
      expect(listeners).toEqual(
        [...q3.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([userId, r]) => ({ userId, firstName: r.firstName, lastName: r.lastName })),
      );
    });

    it('round-trips every real title that holds a reserved URL character', async () => {
      const titles = [...new Set(plays.map((r) => r.song as string))].filter((t) => /[/?#%+&'"]/.test(t));
      expect(titles.length).toBeGreaterThan(50);
      for (const title of titles) {
        // Form encoding (space as +), the way URLSearchParams and most clients write it.
        const res = await get(`/listeners?${new URLSearchParams({ song: title })}`);
        expect([res.status, res.body.song]).toEqual([200, title]);
        expect((res.body.listeners as unknown[]).length).toBeGreaterThan(0);
      }
    });
  });
});
