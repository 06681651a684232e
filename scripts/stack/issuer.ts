// The local token issuer: what stands in for the OIDC provider (Cognito, Auth0, …) that issues the
// API's bearer tokens when deployed. Its signing keys are created on the first start, kept in the
// stack's run state (.local/issuer/, mode 0600), and reused; its public keys are served as a JWKS
// on loopback with an OIDC discovery document (issuer-server.mjs), so the functions verify tokens
// locally exactly as they would against a real issuer (lib/auth.ts). `npm run token` signs tokens
// with it (scripts/token.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { SCOPES } from '../../lib/auth';
import { DEFAULT_AUDIENCE, LOCAL_ISSUER } from '../../lib/config';
import { launchOnHost, type StackService } from './service';
import { readStackSettings, type StackSettings, seconds, stackLog } from './settings';

const issuerUrl = new URL(LOCAL_ISSUER);
const ADDRESS = issuerUrl.hostname;
const PORT = Number(issuerUrl.port);
const ALG = 'ES256';
/** A rotation keeps the previous key published, so tokens it signed stay valid until they expire. */
const KEYS_KEPT = 2;

export function issuerPaths(s: StackSettings) {
  const root = join(s.localDir, 'issuer');
  return {
    root,
    keys: join(root, 'signing-keys.json'),
    jwks: join(root, 'jwks.json'),
    pidFile: join(root, 'issuer.pid'),
    log: join(root, 'issuer.log'),
  };
}

async function newKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: ALG, use: 'sig' };
}

function publicOf({ d: _private, ...rest }: JWK): JWK {
  return rest;
}

function writeKeys(s: StackSettings, keys: JWK[]): void {
  const paths = issuerPaths(s);
  mkdirSync(paths.root, { recursive: true, mode: 0o700 });
  writeFileSync(paths.keys, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
  writeFileSync(paths.jwks, `${JSON.stringify({ keys: keys.map(publicOf) }, null, 2)}\n`);
}

function readKeys(s: StackSettings): JWK[] {
  return (JSON.parse(readFileSync(issuerPaths(s).keys, 'utf8')) as { keys: JWK[] }).keys;
}

/** The signing keys, newest first; created on the first call. */
export async function ensureIssuerKeys(s: StackSettings): Promise<JWK[]> {
  if (existsSync(issuerPaths(s).keys)) return readKeys(s);
  const keys = [await newKey()];
  writeKeys(s, keys);
  stackLog(`issuer: created a signing key (${keys[0]?.kid}) in ${issuerPaths(s).root}`);
  return keys;
}

/** A new signing key; the previous one stays published until the next rotation. */
export async function rotateIssuerKeys(s: StackSettings): Promise<string> {
  const keys = [await newKey(), ...(await ensureIssuerKeys(s))].slice(0, KEYS_KEPT);
  writeKeys(s, keys);
  return keys[0]?.kid ?? '';
}

export interface TokenRequest {
  scopes: readonly string[];
  ttlSeconds: number;
  subject?: string;
  audience?: string;
}

/** A bearer token of the local issuer, signed with its newest key. */
export async function signLocalToken(s: StackSettings, req: TokenRequest): Promise<string> {
  const [key] = await ensureIssuerKeys(s);
  if (!key) throw new Error(`no signing key in ${issuerPaths(s).keys}`);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: req.scopes.join(' ') })
    .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(req.audience ?? DEFAULT_AUDIENCE)
    .setSubject(req.subject ?? 'local-developer')
    .setIssuedAt(now)
    .setExpirationTime(now + req.ttlSeconds)
    .sign(await importJWK(key, ALG));
}

/** The scopes a developer's token carries unless asked otherwise: the reader's. */
export const DEFAULT_TOKEN_SCOPES: readonly string[] = [SCOPES.read];

async function discovery(): Promise<string> {
  const res = await fetch(`${LOCAL_ISSUER}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(2000),
  });
  const doc = (await res.json()) as { issuer?: string };
  if (doc.issuer !== LOCAL_ISSUER) throw new Error(`serves issuer ${doc.issuer}, not ${LOCAL_ISSUER}`);
  const jwks = await fetch(`${LOCAL_ISSUER}/.well-known/jwks.json`, { signal: AbortSignal.timeout(2000) });
  if (!jwks.ok) throw new Error(`jwks.json answered ${jwks.status}`);
  const { keys } = (await jwks.json()) as { keys: unknown[] };
  return `${keys.length} key${keys.length === 1 ? '' : 's'}`;
}

/** The issuer as the ladder sees it: a Node process on the host, in every stack mode. */
export function localIssuer(s: StackSettings): StackService {
  const paths = issuerPaths(s);
  return {
    name: 'issuer',
    id: 'issuer',
    title: 'the local token issuer',
    address: ADDRESS,
    port: PORT,
    endpoint: LOCAL_ISSUER,
    external: undefined,
    externalSetting: 'AUTH_ISSUER',
    pidFile: paths.pidFile,
    hostPrerequisites: () => ({ ok: true, start: () => startIssuer(s) }),
    compose: undefined,
    hostOnly: true,
    probe: discovery,
    probeIntervalMs: 100,
    waitMs: { ours: 10_000, external: 5_000, portTaken: 5_000 },
    stopGraceMs: 2_000,
  };
}

async function startIssuer(s: StackSettings): Promise<string> {
  const paths = issuerPaths(s);
  const started = Date.now();
  await ensureIssuerKeys(s);
  const script = join(__dirname, 'issuer-server.mjs');
  const version = await launchOnHost({
    process: {
      command: process.execPath,
      args: [script, paths.root, ADDRESS, String(PORT)],
      env: { PATH: process.env.PATH },
      cwd: paths.root,
      logFile: paths.log,
      pidFile: paths.pidFile,
      marker: script,
    },
    ready: discovery,
    readyTimeoutMs: 10_000,
    readyIntervalMs: 100,
    title: 'the local token issuer',
    logs: [paths.log],
    logLines: 10,
    abortGraceMs: 1000,
  });
  stackLog(`issuer: ready on ${LOCAL_ISSUER} in ${seconds(Date.now() - started)} (${version})`);
  return version;
}

/**
 * The Authorization header of a fresh token of the local issuer, for the tests, the demo, the bench
 * and the fuzzers: by default with every scope of the API, valid for an hour.
 */
export async function localAuthorization(
  scopes: readonly string[] = Object.values(SCOPES),
  s: StackSettings = readStackSettings(),
): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await signLocalToken(s, { scopes, ttlSeconds: 3600 })}` };
}
