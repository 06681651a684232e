// Who may call the API: a bearer token (a JWT) of the configured issuer and audience, carrying the
// route's scope. One home for the scopes, the checks and their answers: a token that is missing,
// malformed, forged (bad signature, unknown key), expired, not yet valid, of another issuer or
// audience is a 401; a valid token without the route's scope is a 403; both as the API's JSON error
// with the WWW-Authenticate header of RFC 6750. The issuer's keys are found by OIDC discovery and
// cached (jose refetches them when a token names a key it does not know: a rotation).
//
// Deployed, API Gateway's JWT authorizer verifies the token before the function runs and the
// function reads the claims it verified (AuthConfig.verifiedBy = gateway, refused outside AWS by
// lib/config.ts); locally the function verifies the token itself, as serverless offline checks no
// signature. The scope is checked here either way.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { AuthConfig } from './config';
import { HttpError } from './http';

import { SCOPES, type Scope } from './queries/routes';

export { SCOPES, type Scope };

/** Signature algorithms accepted: asymmetric only (an HMAC key would be a shared secret). */
const ALGORITHMS = ['ES256', 'ES384', 'RS256', 'RS384', 'RS512', 'PS256', 'EdDSA'];
/** Clocks differ a little between the issuer and the function. */
const CLOCK_TOLERANCE_SECONDS = 30;

export interface Caller {
  subject: string;
  scopes: readonly string[];
}

function unauthorized(description: string): HttpError {
  return new HttpError(401, 'unauthorized', description, undefined, {
    'www-authenticate': `Bearer realm="tracklog", error="invalid_token", error_description="${description}"`,
  });
}

const missing = () =>
  new HttpError(
    401,
    'unauthorized',
    'a bearer token is required (Authorization: Bearer <token>)',
    undefined,
    {
      'www-authenticate': 'Bearer realm="tracklog"',
    },
  );

function forbidden(scope: Scope): HttpError {
  return new HttpError(403, 'forbidden', `the token lacks the scope ${scope}`, undefined, {
    'www-authenticate': `Bearer realm="tracklog", error="insufficient_scope", scope="${scope}"`,
  });
}

/** The issuer's keys could not be had: ours to fix or wait out, never the caller's fault. */
function keysUnavailable(cause: unknown): HttpError {
  return new HttpError(
    503,
    'unavailable',
    'the token issuer cannot be reached; retry shortly',
    undefined,
    { 'retry-after': '2' },
    cause,
  );
}

/** The token of an `Authorization: Bearer <token>` header, or why there is none. */
export function bearerToken(event: APIGatewayProxyEventV2): string {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  if (header === undefined || header.trim() === '') throw missing();
  const match = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+) *$/i.exec(header);
  if (!match?.[1]) throw unauthorized('the Authorization header must be Bearer followed by a JWT');
  return match[1];
}

/** The scopes a token grants: `scope` (space-separated, OAuth 2) or `scp` (a list, some issuers). */
export function scopesOf(claims: Record<string, unknown>): string[] {
  const { scope, scp } = claims;
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string');
  const text = typeof scope === 'string' ? scope : typeof scp === 'string' ? scp : '';
  // API Gateway's JWT authorizer hands a list claim to the function as one string in brackets.
  const listed = /^\[(.*)\]$/s.exec(text.trim());
  return (listed ? (listed[1] ?? '') : text).split(/[\s,]+/).filter((s) => s.length > 0);
}

/** Why jose refused a token, in words a caller may read (nothing of ours in them). */
function refusal(err: unknown): HttpError | undefined {
  if (err instanceof errors.JWTExpired) return unauthorized('the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return unauthorized('the token is not valid yet');
    if (err.claim === 'aud') return unauthorized('the token is for another audience');
    if (err.claim === 'iss') return unauthorized('the token is from another issuer');
    return unauthorized(`the token's ${err.claim} claim is missing or invalid`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey)
    return unauthorized('the token signature does not verify');
  if (err instanceof errors.JWKSMultipleMatchingKeys)
    return unauthorized('the token names no single key of the issuer (no kid)');
  if (err instanceof errors.JOSEAlgNotAllowed)
    return unauthorized('the token is signed with a refused algorithm');
  if (
    err instanceof errors.JWSInvalid ||
    err instanceof errors.JWTInvalid ||
    err instanceof errors.JOSENotSupported
  )
    return unauthorized('the token is malformed');
  return undefined;
}

export interface AuthenticatorDeps {
  /** The issuer's keys; by default discovered from the issuer and fetched over HTTP. */
  keys?: JWTVerifyGetKey;
  fetch?: typeof fetch;
  /** How long a failed discovery is believed before it is tried again (default DISCOVERY_RETRY_MS). */
  discoveryRetryMs?: number;
}

/** The issuer's JWKS, found through its OIDC discovery document (fetched once, again after a failure). */
/** After a failed discovery, requests are answered 503 at once for this long, not each after a wait. */
const DISCOVERY_RETRY_MS = 5000;

function discoveredKeys(cfg: AuthConfig, fetchFn: typeof fetch, retryMs: number): JWTVerifyGetKey {
  let keys: Promise<JWTVerifyGetKey> | undefined;
  const discover = async (): Promise<JWTVerifyGetKey> => {
    const where = `${cfg.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const res = await fetchFn(where, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`${where} answered ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== cfg.issuer) throw new Error(`${where} names issuer ${String(doc.issuer)}`);
    if (typeof doc.jwks_uri !== 'string') throw new Error(`${where} has no jwks_uri`);
    const jwks = new URL(doc.jwks_uri);
    // An https issuer's keys come over https too, whatever its document says.
    if (cfg.issuer.startsWith('https://') && jwks.protocol !== 'https:')
      throw new Error(`${where} names keys at ${jwks.href}, not https`);
    return createRemoteJWKSet(jwks, { timeoutDuration: 5000, cooldownDuration: 30_000 });
  };
  return async (header, token) => {
    keys ??= discover().catch((err: unknown) => {
      setTimeout(() => {
        keys = undefined;
      }, retryMs).unref();
      throw err;
    });
    return (await keys)(header, token);
  };
}

export type Authenticate = (event: APIGatewayProxyEventV2, scope: Scope) => Promise<Caller>;

/** The check every data route makes before it does anything else. */
export function authenticator(cfg: AuthConfig, deps: AuthenticatorDeps = {}): Authenticate {
  const keys =
    deps.keys ?? discoveredKeys(cfg, deps.fetch ?? fetch, deps.discoveryRetryMs ?? DISCOVERY_RETRY_MS);
  const verified = async (event: APIGatewayProxyEventV2): Promise<Record<string, unknown>> => {
    if (cfg.verifiedBy === 'gateway') {
      const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: unknown } } }).authorizer?.jwt
        ?.claims;
      // Fail closed: a route deployed without the authorizer passes no claims.
      if (claims === null || typeof claims !== 'object') throw missing();
      return claims as Record<string, unknown>;
    }
    const token = bearerToken(event);
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: cfg.issuer,
        audience: cfg.audience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'sub'],
      });
      return payload as JWTPayload & Record<string, unknown>;
    } catch (err: unknown) {
      const refused = refusal(err);
      if (refused) throw refused;
      throw keysUnavailable(err);
    }
  };
  return async (event, scope) => {
    const claims = await verified(event);
    const scopes = scopesOf(claims);
    if (!scopes.includes(scope)) throw forbidden(scope);
    return { subject: typeof claims.sub === 'string' ? claims.sub : '', scopes };
  };
}
