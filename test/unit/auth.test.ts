// The token check of every data route (lib/auth.ts): each way a token can be wrong is a 401 naming
// it, a missing scope a 403, both with RFC 6750's WWW-Authenticate; keys that cannot be had are a
// 503, never a 401 the caller could not fix. Real ES256 signatures, verified by jose.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { type Authenticate, authenticator, SCOPES, type Scope, scopesOf } from '../../lib/auth';
import type { AuthConfig } from '../../lib/config';
import { HttpError } from '../../lib/http';

const ISSUER = 'https://issuer.test';
const cfg: AuthConfig = { issuer: ISSUER, audience: 'tracklog', verifiedBy: 'function' };

type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let ours: Keys;
let theirs: Keys;
let jwks: { keys: JWK[] };

beforeAll(async () => {
  ours = await generateKeyPair('ES256', { extractable: true });
  theirs = await generateKeyPair('ES256', { extractable: true });
  jwks = { keys: [{ ...(await exportJWK(ours.publicKey)), kid: 'k1', alg: 'ES256' }] };
});

const now = () => Math.floor(Date.now() / 1000);

function sign(claims: JWTPayload, opts: { key?: Keys; kid?: string; alg?: string } = {}): Promise<string> {
  const payload = {
    scope: SCOPES.read,
    iss: ISSUER,
    aud: 'tracklog',
    sub: 'someone',
    iat: now(),
    exp: now() + 300,
  };
  return new SignJWT({ ...payload, ...claims })
    .setProtectedHeader({ alg: opts.alg ?? 'ES256', kid: opts.kid ?? 'k1' })
    .sign((opts.key ?? ours).privateKey);
}

function event(headers: Record<string, string>, authorizer?: unknown): APIGatewayProxyEventV2 {
  return {
    headers,
    requestContext: { requestId: 'r', http: { method: 'GET' }, ...(authorizer ? { authorizer } : {}) },
  } as unknown as APIGatewayProxyEventV2;
}

async function refusal(
  auth: Authenticate,
  ev: APIGatewayProxyEventV2,
  scope: Scope = SCOPES.read,
): Promise<HttpError> {
  try {
    await auth(ev, scope);
  } catch (err: unknown) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('the request was let through');
}

const bearer = (token: string) => event({ authorization: `Bearer ${token}` });

describe('authenticator (the function verifies)', () => {
  const auth = () => authenticator(cfg, { keys: createLocalJWKSet(jwks) });

  it('lets a valid token with the route’s scope through, and says who called', async () => {
    await expect(auth()(bearer(await sign({})), SCOPES.read)).resolves.toEqual({
      subject: 'someone',
      scopes: [SCOPES.read],
    });
  });

  it('asks for a token when there is none', async () => {
    const err = await refusal(auth(), event({}));
    expect([err.statusCode, err.code, err.headers['www-authenticate']]).toEqual([
      401,
      'unauthorized',
      'Bearer realm="tracklog"',
    ]);
  });

  it.each([
    ['another scheme', async () => 'Basic dXNlcjpwYXNz', 'must be Bearer followed by a JWT'],
    ['a token that is no JWT', async () => 'Bearer abc', 'must be Bearer followed by a JWT'],
    ['three parts that are no JWT', async () => 'Bearer abc.def.ghi', 'the token is malformed'],
    [
      'a forged signature (another key, our key id)',
      () => sign({}, { key: theirs }).then((t) => `Bearer ${t}`),
      'the token signature does not verify',
    ],
    [
      'a key the issuer never published',
      () => sign({}, { kid: 'k9' }).then((t) => `Bearer ${t}`),
      'the token signature does not verify',
    ],
    [
      'an expired token',
      () => sign({ exp: now() - 3600 }).then((t) => `Bearer ${t}`),
      'the token has expired',
    ],
    [
      'a token not valid yet',
      () => sign({ nbf: now() + 3600 }).then((t) => `Bearer ${t}`),
      'the token is not valid yet',
    ],
    [
      'another audience',
      () => sign({ aud: 'someone-else' }).then((t) => `Bearer ${t}`),
      'the token is for another audience',
    ],
    [
      'another issuer',
      () => sign({ iss: 'https://evil.test' }).then((t) => `Bearer ${t}`),
      'the token is from another issuer',
    ],
    [
      'an unsigned token (alg none)',
      async () =>
        `Bearer ${new UnsecuredJWT({ scope: SCOPES.read }).setIssuer(ISSUER).setAudience('tracklog').setSubject('x').setExpirationTime('5m').encode()}`,
      'must be Bearer followed by a JWT',
    ],
    [
      'a token without an expiry',
      async () =>
        `Bearer ${await new SignJWT({ scope: SCOPES.read })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .setIssuer(ISSUER)
          .setAudience('tracklog')
          .setSubject('x')
          .sign(ours.privateKey)}`,
      "the token's exp claim is missing or invalid",
    ],
  ])('refuses %s with a 401 that says why', async (_what, header, why) => {
    const err = await refusal(auth(), event({ authorization: await header() }));
    expect([err.statusCode, err.code]).toEqual([401, 'unauthorized']);
    expect(err.message).toContain(why);
    expect(err.headers['www-authenticate']).toMatch(
      /^Bearer realm="tracklog", error="invalid_token", error_description="[^"]+"$/,
    );
  });

  it('refuses a token signed with a shared secret (HS256), whatever it claims', async () => {
    const token = await new SignJWT({ scope: SCOPES.read })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience('tracklog')
      .setSubject('x')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a'.repeat(32)));
    expect((await refusal(auth(), bearer(token))).statusCode).toBe(401);
  });

  it('answers 403 to a valid token without the route’s scope', async () => {
    const err = await refusal(auth(), bearer(await sign({ scope: SCOPES.read })), SCOPES.ingests);
    expect([err.statusCode, err.code, err.message]).toEqual([
      403,
      'forbidden',
      'the token lacks the scope tracklog/ingests',
    ]);
    expect(err.headers['www-authenticate']).toBe(
      'Bearer realm="tracklog", error="insufficient_scope", scope="tracklog/ingests"',
    );
  });

  it('ignores claims a request carries in its context: under serverless offline any client can set them', async () => {
    const forged = event({}, { jwt: { claims: { sub: 'x', scope: `${SCOPES.read} ${SCOPES.ingests}` } } });
    expect((await refusal(auth(), forged, SCOPES.ingests)).statusCode).toBe(401);
  });
});

describe('authenticator (discovering the issuer’s keys)', () => {
  let server: Server;
  let issuer: string;
  let up = true;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (!up) return void res.writeHead(503).end();
      const body =
        req.url === '/.well-known/openid-configuration'
          ? { issuer, jwks_uri: `${issuer}/keys` }
          : req.url === '/keys'
            ? jwks
            : undefined;
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const signFor = (iss: string) => sign({ iss });

  it('finds the keys through OIDC discovery and verifies with them', async () => {
    up = true;
    const auth = authenticator({ ...cfg, issuer });
    await expect(auth(bearer(await signFor(issuer)), SCOPES.read)).resolves.toMatchObject({
      subject: 'someone',
    });
  });

  it('answers 503 when the issuer cannot be reached, at once while the failure is fresh, and recovers', async () => {
    up = false;
    let asked = 0;
    const counting: typeof fetch = (input, init) => {
      asked++;
      return fetch(input, init);
    };
    const auth = authenticator({ ...cfg, issuer }, { fetch: counting, discoveryRetryMs: 200 });
    const token = await signFor(issuer);
    const err = await refusal(auth, bearer(token));
    expect([err.statusCode, err.code, err.headers['retry-after']]).toEqual([503, 'unavailable', '2']);
    up = true;
    // Within the retry window the failure stands without asking the issuer again.
    expect((await refusal(auth, bearer(token))).statusCode).toBe(503);
    expect(asked).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await expect(auth(bearer(token), SCOPES.read)).resolves.toMatchObject({ subject: 'someone' });
  });

  it('keeps the issuer exactly as configured: a trailing slash is part of `iss`', async () => {
    up = true;
    const slashed = `${issuer}/`;
    const auth = authenticator({ ...cfg, issuer: slashed }, { keys: createLocalJWKSet(jwks) });
    await expect(auth(bearer(await signFor(slashed)), SCOPES.read)).resolves.toMatchObject({
      subject: 'someone',
    });
    expect((await refusal(auth, bearer(await signFor(issuer)))).message).toContain('another issuer');
  });
});

describe('authenticator (API Gateway verified)', () => {
  const auth = authenticator({ ...cfg, verifiedBy: 'gateway' }, { keys: createLocalJWKSet({ keys: [] }) });
  const verified = (claims: Record<string, unknown>) => event({}, { jwt: { claims, scopes: null } });

  it('takes the claims the gateway verified, and still checks the route’s scope', async () => {
    await expect(auth(verified({ sub: 'a', scope: 'tracklog/read' }), SCOPES.read)).resolves.toEqual({
      subject: 'a',
      scopes: ['tracklog/read'],
    });
    expect(
      (await refusal(auth, verified({ sub: 'a', scope: 'tracklog/read' }), SCOPES.ingests)).statusCode,
    ).toBe(403);
  });

  it('fails closed when the gateway passed no claims (a route deployed without the authorizer)', async () => {
    expect((await refusal(auth, event({ authorization: 'Bearer a.b.c' }))).statusCode).toBe(401);
  });
});

describe('scopesOf', () => {
  it('reads OAuth 2’s space-separated scope, and the scp list some issuers use', () => {
    expect(scopesOf({ scope: 'tracklog/read  tracklog/ingests' })).toEqual([
      'tracklog/read',
      'tracklog/ingests',
    ]);
    expect(scopesOf({ scp: ['tracklog/read', 7] })).toEqual(['tracklog/read']);
    // A list claim as API Gateway's JWT authorizer hands it to the function.
    expect(scopesOf({ scp: '[tracklog/read tracklog/ingests]' })).toEqual([
      'tracklog/read',
      'tracklog/ingests',
    ]);
    expect(scopesOf({})).toEqual([]);
  });
});
