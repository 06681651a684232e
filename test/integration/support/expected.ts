// What the query tables must hold after ingesting a log, computed from the events themselves (not
// from what the ingest reported), and what they do hold, read back row by row.
import type { Client } from 'cassandra-driver';
import type { GeneratedEvent } from '../../../scripts/generate/index';

export type TableContents = Record<
  'plays_by_session' | 'songs_by_user_session' | 'listeners_by_song',
  Map<string, string>
>;

const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const num = (v: unknown) => (v === null || v === undefined || v === '' ? '' : String(Number(v)));

/** One entry per row each table should hold: key → the row's values, last write wins (upserts). */
export function expectedContents(events: Iterable<GeneratedEvent>): TableContents {
  const q1 = new Map<string, string>();
  const q2 = new Map<string, string>();
  const q3 = new Map<string, string>();
  const names = new Map<string, string>();
  for (const e of events) {
    if (e.page !== 'NextSong' || !e.artist || !e.song) continue;
    const user = num(e.userId);
    q1.set(`${e.sessionId}|${e.itemInSession}`, `${e.artist}|${e.song}|${num(e.length)}`);
    q2.set(`${user}|${e.sessionId}|${e.itemInSession}`, `${e.artist}|${e.song}`);
    names.set(`${user}|${e.sessionId}`, `${text(e.firstName)}|${text(e.lastName)}`);
    q3.set(`${e.song}|${user}`, `${text(e.firstName)}|${text(e.lastName)}`);
  }
  // Q2's names are static columns: one value per partition, the last written.
  for (const [key, value] of q2) q2.set(key, `${value}|${names.get(key.split('|').slice(0, 2).join('|'))}`);
  return { plays_by_session: q1, songs_by_user_session: q2, listeners_by_song: q3 };
}

/** Every row of the three tables, in the same form. */
export async function actualContents(client: Client, keyspace: string): Promise<TableContents> {
  const read = async (cql: string, row: (r: Record<string, unknown>) => [string, string]) => {
    const out = new Map<string, string>();
    let pageState: string | undefined;
    do {
      const rs = await client.execute(cql, [], {
        prepare: true,
        fetchSize: 5000,
        ...(pageState ? { pageState } : {}),
      });
      for (const r of rs.rows) {
        const [k, v] = row(r as unknown as Record<string, unknown>);
        out.set(k, v);
      }
      pageState = rs.pageState ?? undefined;
    } while (pageState);
    return out;
  };
  return {
    plays_by_session: await read(
      `SELECT session_id, item_in_session, artist, song, length FROM ${keyspace}.plays_by_session`,
      (r) => [`${r.session_id}|${r.item_in_session}`, `${r.artist}|${r.song}|${num(r.length)}`],
    ),
    songs_by_user_session: await read(
      `SELECT user_id, session_id, item_in_session, artist, song, first_name, last_name FROM ${keyspace}.songs_by_user_session`,
      (r) => [
        `${r.user_id}|${r.session_id}|${r.item_in_session}`,
        `${r.artist}|${r.song}|${text(r.first_name)}|${text(r.last_name)}`,
      ],
    ),
    listeners_by_song: await read(
      `SELECT song, user_id, first_name, last_name FROM ${keyspace}.listeners_by_song`,
      (r) => [`${r.song}|${r.user_id}`, `${text(r.first_name)}|${text(r.last_name)}`],
    ),
  };
}

/** The keys that differ between two contents (empty when they are equal), for a readable failure. */
export function differences(expected: TableContents, actual: TableContents): string[] {
  const out: string[] = [];
  for (const table of Object.keys(expected) as (keyof TableContents)[]) {
    const want = expected[table];
    const got = actual[table];
    if (want.size !== got.size) out.push(`${table}: ${got.size} rows, expected ${want.size}`);
    let shown = 0;
    for (const [k, v] of want) {
      if (got.get(k) !== v && shown++ < 3) out.push(`${table} ${k}: ${got.get(k) ?? 'missing'} != ${v}`);
    }
  }
  return out;
}
