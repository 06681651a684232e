// The CORS origin rule, for the functions' CORS_ORIGINS (lib/config.ts) and the HTTP API's
// corsOrigins deploy param (lib/infra): none (empty: no other origin may read the API), `*`, or a
// comma-separated list of origins exactly as browsers send them in the Origin header (scheme, host
// and a non-default port; no path, no trailing slash), which is what both the functions and API
// Gateway compare against. Where `*` is allowed is the deploy's rule (lib/infra/names.ts).

/**
 * What a page on an allowed origin may send and read besides the simple ones: its bearer token
 * (a preflight must allow Authorization, or the browser never sends it) and the headers browser
 * tracing adds (X-Amzn-Trace-Id, with X-Ray; Content-Type), and the headers that say
 * when to try again (Retry-After on a 503) and why a token was refused (WWW-Authenticate on a 401
 * or 403), which a script could not read otherwise. The gateway's configuration and the functions'
 * own answers take them from here.
 */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-Amzn-Trace-Id'] as const;
export const CORS_EXPOSED_HEADERS = ['Retry-After', 'WWW-Authenticate'] as const;

/** The allowed origins of a comma-separated list ([] for none); throws an Error saying what is wrong. */
export function parseCorsOrigins(raw: string): string[] {
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
  for (const origin of origins) {
    if (origin === '*') continue;
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol)) {
      throw new Error(`"${origin}" is not * or an http(s) origin such as https://app.example`);
    }
    if (url.origin !== origin) {
      throw new Error(`"${origin}" is not an origin as browsers send it; did you mean "${url.origin}"?`);
    }
  }
  if (origins.includes('*') && origins.length > 1) {
    throw new Error('* allows every origin and cannot be combined with others');
  }
  return origins;
}
