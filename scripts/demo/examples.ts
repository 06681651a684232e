// Picks example questions that the demo's data can answer: the original project's examples when the
// data holds them (the real event logs do), otherwise ones found in the files themselves.
import { createReadStream } from 'node:fs';
import { classify } from '../../lib/events/classify';
import type { Play } from '../../lib/events/event';
import { openRecords } from '../../lib/events/input';

export interface Examples {
  q1: { sessionId: number; itemInSession: number };
  q2: { userId: number; sessionId: number };
  q3: { song: string };
}

const CANONICAL: Examples = {
  q1: { sessionId: 338, itemInSession: 4 },
  q2: { userId: 10, sessionId: 182 },
  q3: { song: 'All Hands Against His Own' },
};

/** Looks at up to `limit` records across the files. */
export async function pickExamples(files: string[], limit = 200_000): Promise<Examples> {
  let first: Examples['q1'] | undefined;
  const sessions = new Map<string, number>();
  const listeners = new Map<string, Set<number>>();
  const canonical = { q1: false, q2: false, q3: false };
  let seen = 0;
  const look = (play: Play) => {
    first ??= { sessionId: play.sessionId, itemInSession: play.itemInSession };
    if (play.sessionId === CANONICAL.q1.sessionId && play.itemInSession === CANONICAL.q1.itemInSession)
      canonical.q1 = true;
    if (play.userId === CANONICAL.q2.userId && play.sessionId === CANONICAL.q2.sessionId) canonical.q2 = true;
    if (play.song === CANONICAL.q3.song) canonical.q3 = true;
    const key = `${play.userId}/${play.sessionId}`;
    sessions.set(key, (sessions.get(key) ?? 0) + 1);
    if (!listeners.has(play.song)) listeners.set(play.song, new Set());
    listeners.get(play.song)?.add(play.userId);
  };
  for (const file of files) {
    if (seen >= limit) break;
    try {
      const input = await openRecords(createReadStream(file), file);
      for await (const batch of input.batches) {
        if (seen >= limit) break;
        seen += batch.records.length;
        for (const rec of batch.records) {
          if (rec.kind !== 'event') continue;
          const c = classify(rec.playFields);
          if (c.kind === 'play') look(c.play);
        }
      }
    } catch {
      // Not an event log, or not all of it (the demo reports its ingest's failure): the plays
      // read before that still count; nothing more to ask about in it.
    }
  }
  if (!first) throw new Error('the sample files hold no song plays');
  const busiest = [...sessions.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '0/0';
  const [userId = 0, sessionId = 0] = busiest.split('/').map(Number);
  const popular = [...listeners.entries()].sort((a, b) => b[1].size - a[1].size)[0]?.[0] ?? '';
  return {
    q1: canonical.q1 ? CANONICAL.q1 : first,
    q2: canonical.q2 ? CANONICAL.q2 : { userId, sessionId },
    q3: canonical.q3 ? CANONICAL.q3 : { song: popular },
  };
}
