// The benchmark's data: generated event logs (the project's generator), and, derived from them
// once, the denormalized plays every contender loads: a JSON-lines file of pre-parsed plays (for
// the ceiling and the baseline) and one CSV per query table (for cqlsh COPY and DSBulk).

import { once } from 'node:events';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { playTables } from '../lib/cassandra/model';
import { classify } from '../lib/events/classify';
import type { Play } from '../lib/events/event';
import { openRecords } from '../lib/events/input';
import { writeEventFiles } from '../scripts/generate/index';

export interface Dataset {
  dir: string;
  events: number;
  eventsFile: string;
  bytes: number;
  plays: number;
  playsFile: string;
  /** table name → CSV file with a header of its columns */
  tableCsv: Record<string, string>;
}

function csvValue(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) || s.trim() !== s ? `"${s.replace(/"/g, '""')}"` : s;
}

async function write(out: ReturnType<typeof createWriteStream>, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** The song plays of an event log, in order, as the ingest's parser and classifier see them. */
export async function* playsIn(file: string): AsyncGenerator<Play> {
  const input = await openRecords(createReadStream(file), file);
  for await (const batch of input.batches)
    for (const rec of batch.records) {
      if (rec.kind !== 'event') continue;
      const c = classify(rec.playFields);
      if (c.kind === 'play') yield c.play;
    }
}

/** Generates (or reuses) the event log and its denormalized forms. */
export async function dataset(
  root: string,
  events: number,
  seed: string,
  log: (s: string) => void,
): Promise<Dataset> {
  const dir = join(root, `data-${events}-${seed}`);
  const done = join(dir, 'ready.json');
  if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as Dataset;
  mkdirSync(dir, { recursive: true });
  log(`generating ${events.toLocaleString()} events (seed ${seed})`);
  const summary = await writeEventFiles({ outDir: dir, events, seed });
  const eventsFile = summary.files[0]?.path ?? '';
  log('extracting the denormalized plays for the other contenders');
  const playsFile = join(dir, 'plays.jsonl');
  const playsOut = createWriteStream(playsFile);
  const tableCsv: Record<string, string> = {};
  const csvOut = playTables.map((t) => {
    const file = join(dir, `${t.name}.csv`);
    tableCsv[t.name] = file;
    const out = createWriteStream(file);
    out.write(`${t.columns.map((c) => c.name).join(',')}\n`);
    return { t, out };
  });
  let plays = 0;
  for await (const p of playsIn(eventsFile)) {
    plays++;
    await write(playsOut, `${JSON.stringify(p)}\n`);
    for (const { t, out } of csvOut)
      await write(out, `${t.columns.map((col) => csvValue(p[col.from])).join(',')}\n`);
  }
  for (const out of [playsOut, ...csvOut.map((c) => c.out)]) {
    out.end();
    await once(out, 'finish');
  }
  const ds: Dataset = {
    dir,
    events,
    eventsFile,
    bytes: statSync(eventsFile).size,
    plays,
    playsFile,
    tableCsv,
  };
  writeFileSync(done, JSON.stringify(ds, null, 2));
  return ds;
}

/** JSON-lines logs of about the given sizes, for the memory series (eventsim's native format). */
export async function sizedLogs(
  root: string,
  sizesMb: number[],
  log: (s: string) => void,
): Promise<{ mb: number; file: string; bytes: number; events: number }[]> {
  const out = [];
  for (const mb of sizesMb) {
    const dir = join(root, `jsonl-${mb}mb`);
    const done = join(dir, 'ready.json');
    if (existsSync(done)) {
      out.push(JSON.parse(readFileSync(done, 'utf8')));
      continue;
    }
    // About 325 bytes per JSON-lines event (measured on the generator's output).
    const events = Math.max(1000, Math.round((mb * 1024 * 1024) / 325));
    log(`generating a ~${mb} MB JSON-lines log (${events.toLocaleString()} events)`);
    const summary = await writeEventFiles({ outDir: dir, events, seed: `rss-${mb}`, format: 'jsonl' });
    const file = summary.files[0]?.path ?? '';
    const entry = { mb, file, bytes: statSync(file).size, events };
    writeFileSync(done, JSON.stringify(entry));
    out.push(entry);
  }
  return out;
}

/** The data set's events again, as JSON lines (the generator writes the same events for the same seed). */
export async function jsonlTwin(ds: Dataset, seed: string, log: (s: string) => void): Promise<string> {
  const dir = join(ds.dir, 'jsonl');
  const done = join(dir, 'ready.json');
  if (existsSync(done)) return (JSON.parse(readFileSync(done, 'utf8')) as { file: string }).file;
  log(`generating the same ${ds.events.toLocaleString()} events as JSON lines`);
  const summary = await writeEventFiles({ outDir: dir, events: ds.events, seed, format: 'jsonl' });
  const file = summary.files[0]?.path ?? '';
  writeFileSync(done, JSON.stringify({ file }));
  return file;
}
