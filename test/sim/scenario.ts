// What one seed runs: the objects uploaded (and overwritten) when, each version's bytes, and what
// its bytes imply — written independently of the ingest's code: the plays each table must hold
// (by its key and columns), the records skipped, and the lines rejected. Versions never share a
// row: a version's sessions and songs carry its number, so what the tables hold tells which
// version wrote it.
import { gzipSync } from 'node:zlib';
import { CSV_COLUMNS, csvField } from '../../scripts/generate/format';
import type { CallFaults, Rng } from './scheduler';

/** One table's expected rows: key (its primary key's values joined by |) → its columns' values. */
export type Rows = Map<string, Record<string, unknown>>;

export interface VersionSpec {
  key: string;
  /** Its number in the seed: sessions and songs carry it. */
  n: number;
  etag: string;
  bytes: Buffer;
  format: 'csv' | 'jsonl';
  /** Bytes per chunk the simulated S3 returns. */
  chunk: number;
  records: number;
  skipped: number;
  /** The line numbers of the records rejected, and their original text. */
  rejects: { line: number; raw: string }[];
  /** What each query table must hold of this version. */
  tables: Record<'plays_by_session' | 'songs_by_user_session' | 'listeners_by_song', Rows>;
  plays: number;
  /** When it is uploaded (virtual ms from the start). */
  uploadAt: number;
  /** How its ingest must end: completed, or failed as input (an empty JSON-lines object is no event log). */
  outcome: 'completed' | 'input';
}

export interface Scenario {
  versions: VersionSpec[];
  faults: Faults;
  /** Per invocation, how far its clock may be off (ms, either way). */
  skewMs: number;
  /** INGEST_DEADLINE_MS of each part. */
  deadlineMs: number;
  leaseMs: number;
  retryBudgetMs: number;
  bufferPlays: number;
  /** Rejects held before a chunk is uploaded: small, so the multipart path runs. */
  rejectsChunkBytes: number;
  /** INGEST_SPLIT_BYTES: 0, no splits; else small, so that most versions are split into many. */
  splitBytes: number;
  /** Bytes per chunk the simulated S3 returns of a split's text. */
  textChunk: number;
}

export interface Faults {
  cassandra: CallFaults;
  s3: CallFaults;
  sqs: CallFaults;
  /** A message sent that never arrives (lost outside our code). */
  messageLoss: number;
  /** A delivered message delivered again (SQS's at-least-once) or notified twice (S3's). */
  duplicate: number;
  /** The event source's delete of a done message is lost: it comes back after its visibility. */
  deleteLost: number;
}

type Kind = 'play' | 'skip' | 'no-user' | 'bad-session' | 'broken';

function versionSpec(
  rng: Rng,
  key: string,
  format: 'csv' | 'jsonl',
  n: number,
  uploadAt: number,
  compressed: boolean,
): VersionSpec {
  const count = rng.between(0, 24);
  const lines: string[] = format === 'csv' ? [CSV_COLUMNS.join(',')] : [];
  const tables: VersionSpec['tables'] = {
    plays_by_session: new Map(),
    songs_by_user_session: new Map(),
    listeners_by_song: new Map(),
  };
  const rejects: VersionSpec['rejects'] = [];
  let skipped = 0;
  let plays = 0;
  const session = 1000 + n;
  for (let i = 0; i < count; i++) {
    // The first JSON line is a play: the format is told from it.
    const kind: Kind =
      format === 'jsonl' && i === 0
        ? 'play'
        : rng.pick(['play', 'play', 'play', 'play', 'play', 'skip', 'no-user', 'bad-session', 'broken']);
    const user = 1 + ((n * 7 + i) % 4);
    const event: Record<string, string | number> = {
      artist: `Artist ${n}-${i}`,
      auth: 'Logged In',
      firstName: `First${user}`,
      gender: 'F',
      itemInSession: i,
      lastName: `Last, ${user}`,
      length: 100.5 + i,
      level: 'free',
      location: 'City, ST',
      method: 'PUT',
      page: kind === 'skip' ? 'Home' : 'NextSong',
      registration: 1540000000000,
      sessionId: kind === 'bad-session' ? 'x' : session,
      song: `Song ${n}-${i % 3}`,
      status: 200,
      ts: 1541000000000 + i,
      userId: kind === 'no-user' ? '' : String(user),
    };
    let line: string;
    if (kind === 'broken') {
      line = format === 'csv' ? `Broken ${n}-${i},only,three` : `{"artist": "Broken ${n}-${i}", `;
    } else if (format === 'csv') {
      line = CSV_COLUMNS.map((h) => csvField(String(event[h]))).join(',');
    } else {
      line = JSON.stringify(event);
    }
    lines.push(line);
    const lineNo = format === 'csv' ? i + 2 : i + 1;
    if (kind === 'skip') skipped++;
    else if (kind !== 'play') rejects.push({ line: lineNo, raw: line });
    else {
      plays++;
      const song = event.song as string;
      const first = event.firstName as string;
      const last = event.lastName as string;
      tables.plays_by_session.set(`${session}|${i}`, {
        session_id: session,
        item_in_session: i,
        artist: event.artist,
        song,
        length: event.length,
      });
      tables.songs_by_user_session.set(`${user}|${session}|${i}`, {
        user_id: user,
        session_id: session,
        item_in_session: i,
        artist: event.artist,
        song,
        first_name: first,
        last_name: last,
      });
      tables.listeners_by_song.set(`${song}|${user}`, {
        song,
        user_id: user,
        first_name: first,
        last_name: last,
      });
    }
  }
  const text = Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  const bytes = compressed ? gzipSync(text) : text;
  return {
    key,
    n,
    etag: `etag${n.toString(16).padStart(4, '0')}`,
    bytes,
    format,
    chunk: rng.between(40, 400),
    records: count,
    skipped,
    rejects,
    tables,
    plays,
    uploadAt,
    outcome: text.length === 0 ? 'input' : 'completed',
  };
}

const MINUTE = 60_000;

function callFaults(rng: Rng, calm: boolean): CallFaults {
  if (calm) return { fail: 0, lost: 0, crash: 0, latency: [1, 50], outages: [] };
  const outages: [number, number][] = [];
  for (let i = rng.between(0, 2); i > 0; i--) {
    const from = rng.between(0, 30 * MINUTE);
    outages.push([from, from + rng.between(10_000, 10 * MINUTE)]);
  }
  return {
    fail: rng.pick([0, 0.01, 0.05, 0.15]),
    lost: rng.pick([0, 0.01, 0.05]),
    crash: rng.pick([0, 0, 0.002, 0.01, 0.03]),
    latency: [1, rng.pick([50, 500, 3000])],
    outages,
  };
}

export function scenario(rng: Rng): Scenario {
  // One seed in eight runs without faults: the plain path must hold too.
  const calm = rng.chance(0.125);
  const versions: VersionSpec[] = [];
  let n = 0;
  for (let k = rng.between(1, 3); k > 0; k--) {
    const format = rng.chance(0.3) ? 'jsonl' : 'csv';
    const gzip = rng.chance(0.25);
    // A key with a space and a plus, as S3 encodes them in notifications, now and then.
    const key = `${rng.chance(0.3) ? 'in box/day+' : 'day-'}${k}.${format}${gzip ? '.gz' : ''}`;
    const first = versionSpec(rng, key, format, n++, rng.between(0, 20_000), gzip);
    versions.push(first);
    // Sometimes overwritten, at any moment of its ingest (or after).
    if (rng.chance(0.3))
      versions.push(versionSpec(rng, key, format, n++, first.uploadAt + rng.between(0, 60_000), gzip));
  }
  return {
    versions,
    faults: {
      cassandra: callFaults(rng, calm),
      s3: callFaults(rng, calm),
      sqs: callFaults(rng, calm),
      messageLoss: calm ? 0 : rng.pick([0, 0, 0.01, 0.05]),
      duplicate: calm ? 0 : rng.pick([0, 0.02, 0.1]),
      deleteLost: calm ? 0 : rng.pick([0, 0.02, 0.1]),
    },
    skewMs: calm ? 0 : rng.pick([0, 1000, 30_000]),
    deadlineMs: rng.pick([5000, 20_000, 60_000, 300_000]),
    leaseMs: 960_000,
    retryBudgetMs: 60_000,
    bufferPlays: rng.pick([2, 5, 16384]),
    rejectsChunkBytes: rng.pick([300, 1000, 8 * 1024 * 1024]),
    splitBytes: rng.pick([0, 0, 150, 400, 1500]),
    textChunk: rng.between(30, 400),
  };
}
