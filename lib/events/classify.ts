// Where a record becomes a song play, a skip or a reject: classify() decides, for one raw event,
// whether it is a valid song play, a non-play event (skipped, not an error), or a play that cannot
// be stored (rejected, with a reason a person can act on). The pipeline only counts and routes what
// this decides; lib/ingest/reject-store.ts only keeps the rejects. Pure: no I/O.
import { isInt32, MAX_TEXT_LENGTH, type Play, type PlayFields } from './event';

export type Classified = { kind: 'play'; play: Play } | { kind: 'skip' } | { kind: 'reject'; reason: string };

const PLAY_PAGE = 'NextSong';
// Plain decimals and the E notation spreadsheets write (1.54111E+12).
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

class Invalid extends Error {}

/** A string that needs no trimming: it starts and ends with printable ASCII (most values do). */
function untrimmed(value: string): boolean {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return first > 32 && first < 127 && last > 32 && last < 127;
}

function present(value: unknown): boolean {
  if (typeof value === 'string') return value.length > 0 && (untrimmed(value) || value.trim() !== '');
  return value !== undefined && value !== null;
}

function quoted(value: unknown): string {
  // String(NaN) is "NaN" where JSON.stringify would say null.
  const text =
    typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  return text.length > 40 ? `"${text.slice(0, 40)}…"` : typeof value === 'string' ? `"${text}"` : text;
}

function toNumber(name: string, value: unknown): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const text = untrimmed(value) ? value : value.trim();
    if (!NUMERIC.test(text)) throw new Invalid(`${name} is not a number: ${quoted(value)}`);
    n = Number(text);
  } else throw new Invalid(`${name} is not a number: ${quoted(value)}`);
  // 1e999 is well-formed but becomes Infinity: not a length or an id anyone can store or read back.
  if (!Number.isFinite(n)) throw new Invalid(`${name} is not a finite number: ${quoted(value)}`);
  return n;
}

function int(name: string, value: unknown): number {
  if (!present(value)) throw new Invalid(`${name} is missing`);
  const n = toNumber(name, value);
  if (!Number.isInteger(n)) throw new Invalid(`${name} is not an integer: ${quoted(value)}`);
  if (!isInt32(n)) throw new Invalid(`${name} is outside the 32-bit int range: ${quoted(value)}`);
  return n;
}

function text(name: string, value: unknown, required: true): string;
function text(name: string, value: unknown, required: false): string | undefined;
function text(name: string, value: unknown, required: boolean): string | undefined {
  if (!present(value)) {
    if (required) throw new Invalid(`${name} is empty`);
    return undefined;
  }
  if (typeof value !== 'string') throw new Invalid(`${name} is not text: ${quoted(value)}`);
  if (value.length > MAX_TEXT_LENGTH) {
    throw new Invalid(`${name} is longer than ${MAX_TEXT_LENGTH} characters (${value.length})`);
  }
  return value;
}

function length(value: unknown): number | undefined {
  if (!present(value)) return undefined;
  const n = toNumber('length', value);
  if (n < 0) throw new Invalid(`length is negative: ${quoted(value)}`);
  return n;
}

// Each field is read once, by name, here: a CSV record's fields are getters on its values.
export function classify(fields: PlayFields): Classified {
  const page = fields.page;
  if (!present(page))
    return { kind: 'reject', reason: 'page is missing: cannot tell a play from other events' };
  if (page !== PLAY_PAGE) return { kind: 'skip' };
  try {
    return {
      kind: 'play',
      play: {
        sessionId: int('sessionId', fields.sessionId),
        itemInSession: int('itemInSession', fields.itemInSession),
        userId: int('userId', fields.userId),
        artist: text('artist', fields.artist, true),
        song: text('song', fields.song, true),
        length: length(fields.length),
        firstName: text('firstName', fields.firstName, false),
        lastName: text('lastName', fields.lastName, false),
      },
    };
  } catch (err: unknown) {
    if (err instanceof Invalid) return { kind: 'reject', reason: err.message };
    throw err;
  }
}
