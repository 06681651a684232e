// Asks the three questions over HTTP and prints the answers with the curl commands that reproduce them.
import type { Examples } from './examples';

const out = (text: string) => process.stdout.write(`${text}\n`);
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function get(url: string, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function shorten<T>(items: T[], n: number): { shown: T[]; more: number } {
  return { shown: items.slice(0, n), more: Math.max(0, items.length - n) };
}

/** Returns true when all three answered 200. `token` is a reader's bearer token of the local issuer. */
export async function printExamples(baseUrl: string, ex: Examples, token: string): Promise<boolean> {
  const display = baseUrl.replace('127.0.0.1', 'localhost');
  let ok = true;
  out('\n  Every request carries a bearer token; the local issuer signs one for you:');
  out('      TOKEN=$(npm run -s token)');

  const q1 = `/sessions/${ex.q1.sessionId}/items/${ex.q1.itemInSession}`;
  out(`\n  Q1  artist, song and length of item ${ex.q1.itemInSession} of session ${ex.q1.sessionId}`);
  out(`      curl -s -H "Authorization: Bearer $TOKEN" ${shellQuote(display + q1)}`);
  const r1 = await get(baseUrl + q1, token);
  ok &&= r1.status === 200;
  out(
    r1.status === 200
      ? `      → ${r1.body.artist} — ${r1.body.song} (${Number(r1.body.length).toFixed(1)} s)`
      : `      → HTTP ${r1.status} ${JSON.stringify(r1.body)}`,
  );

  const q2 = `/users/${ex.q2.userId}/sessions/${ex.q2.sessionId}/songs`;
  out(
    `\n  Q2  the songs of user ${ex.q2.userId} in session ${ex.q2.sessionId}, in order, with the user's name`,
  );
  out(`      curl -s -H "Authorization: Bearer $TOKEN" ${shellQuote(display + q2)}`);
  const r2 = await get(baseUrl + q2, token);
  ok &&= r2.status === 200;
  if (r2.status === 200) {
    const songs = r2.body.songs as { itemInSession: number; artist: string; song: string }[];
    const { shown, more } = shorten(songs, 8);
    out(`      → ${r2.body.firstName} ${r2.body.lastName}:`);
    for (const s of shown) out(`        ${String(s.itemInSession).padStart(3)}. ${s.artist} — ${s.song}`);
    if (more > 0 || r2.body.nextCursor)
      out(
        `        … ${more} more on this page${r2.body.nextCursor ? ', and a nextCursor for the next' : ''}`,
      );
  } else out(`      → HTTP ${r2.status} ${JSON.stringify(r2.body)}`);

  const q3 = `/listeners?${new URLSearchParams({ song: ex.q3.song })}`;
  out(`\n  Q3  everyone who listened to "${ex.q3.song}"`);
  out(
    `      curl -s -G -H "Authorization: Bearer $TOKEN" ${shellQuote(`${display}/listeners`)} --data-urlencode ${shellQuote(`song=${ex.q3.song}`)}`,
  );
  const r3 = await get(baseUrl + q3, token);
  ok &&= r3.status === 200;
  if (r3.status === 200) {
    const people = r3.body.listeners as { firstName: string | null; lastName: string | null }[];
    const { shown, more } = shorten(people, 10);
    out(
      `      → ${shown.map((p) => `${p.firstName ?? '?'} ${p.lastName ?? '?'}`).join(', ')}${more > 0 ? `, and ${more} more` : ''}`,
    );
  } else out(`      → HTTP ${r3.status} ${JSON.stringify(r3.body)}`);
  out('');
  return ok;
}
