// npm run token [-- --scope S ...] [--ttl SECONDS] [--subject NAME] [--rotate-keys]: a bearer token of
// the local issuer (scripts/stack/issuer.ts) for the API under serverless offline, printed as the
// last line so `TOKEN=$(npm run -s token)` takes it. Without --scope, the reader's scope.
import { SCOPES } from '../lib/auth';
import { parseCommandLine, runCli, UsageError, wholeNumber } from './cli';
import { DEFAULT_TOKEN_SCOPES, rotateIssuerKeys, signLocalToken } from './stack/issuer';
import { readStackSettings } from './stack/settings';

const KNOWN_SCOPES: readonly string[] = Object.values(SCOPES);
/** A day at most: a local token that outlives a working day is a token someone forgot about. */
const MAX_TTL_SECONDS = 86_400;

const USAGE = `usage: npm run token -- [--scope S ...] [--ttl SECONDS] [--subject NAME] [--rotate-keys]
  --scope S       a scope the token carries (repeatable): ${KNOWN_SCOPES.join(', ')} (default ${DEFAULT_TOKEN_SCOPES.join(' ')})
  --ttl SECONDS   how long it is valid, 1 to ${MAX_TTL_SECONDS} (default 3600)
  --subject NAME  its subject (default local-developer)
  --rotate-keys   sign with a new key from now on; the previous key stays published until the next rotation`;

async function main(): Promise<number> {
  const { values } = parseCommandLine(process.argv.slice(2), {
    scope: { type: 'string', multiple: true },
    ttl: { type: 'string' },
    subject: { type: 'string' },
    'rotate-keys': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) throw new UsageError();
  const scopes = (values.scope ?? []).flatMap((s) => s.split(/[\s,]+/)).filter((s) => s.length > 0);
  const unknown = scopes.filter((s) => !KNOWN_SCOPES.includes(s));
  if (unknown.length > 0)
    throw new UsageError(
      `unknown scope ${unknown.join(', ')}; the API's scopes are ${KNOWN_SCOPES.join(', ')}`,
    );
  const ttlSeconds = wholeNumber('ttl', values.ttl, 3600, 1);
  if (ttlSeconds > MAX_TTL_SECONDS) throw new UsageError(`--ttl must be at most ${MAX_TTL_SECONDS}`);
  const settings = readStackSettings();
  if (values['rotate-keys'])
    process.stderr.write(`token: signing with a new key, ${await rotateIssuerKeys(settings)}\n`);
  const token = await signLocalToken(settings, {
    scopes: scopes.length > 0 ? scopes : DEFAULT_TOKEN_SCOPES,
    ttlSeconds,
    ...(values.subject ? { subject: values.subject } : {}),
  });
  process.stdout.write(`${token}\n`);
  return 0;
}

runCli('token', USAGE, main);
