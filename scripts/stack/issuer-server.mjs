// The local token issuer's HTTP side (scripts/stack/issuer.ts starts it): serves the OIDC discovery
// document and the public keys (JWKS) the functions verify bearer tokens with, on loopback only.
// Plain JavaScript on node:http, so it starts in a blink and needs nothing built. The JWKS file is
// read on every request: a key rotation (`npm run token -- --rotate-keys`) is served at once.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [dir, address, port] = process.argv.slice(2);
if (!dir || !address || !port) {
  process.stderr.write('usage: issuer-server.mjs <keys dir> <address> <port>\n');
  process.exit(2);
}
const issuer = `http://${address}:${port}`;
const discovery = JSON.stringify({
  issuer,
  jwks_uri: `${issuer}/.well-known/jwks.json`,
  id_token_signing_alg_values_supported: ['ES256'],
  response_types_supported: ['token'],
  subject_types_supported: ['public'],
  scopes_supported: ['tracklog/read', 'tracklog/ingests'],
});

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(body);
}

createServer((req, res) => {
  const path = new URL(req.url ?? '/', issuer).pathname;
  if (req.method !== 'GET') return send(res, 405, '{"error":"method not allowed"}');
  if (path === '/.well-known/openid-configuration') return send(res, 200, discovery);
  if (path === '/.well-known/jwks.json') {
    try {
      return send(res, 200, readFileSync(`${dir}/jwks.json`, 'utf8'));
    } catch (err) {
      process.stderr.write(`jwks.json: ${err}\n`);
      return send(res, 503, '{"error":"no keys yet"}');
    }
  }
  return send(res, 404, '{"error":"not found"}');
}).listen(Number(port), address, () => process.stdout.write(`local issuer on ${issuer}\n`));
