// Writes a generated log to disk as one or more files, streaming with backpressure so a billion-byte log
// takes no more memory than a small one. The event stream does not depend on format, gzip or file count:
// the same seed gives the same events however they are packaged.
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import { FORMATS, type Format } from '../../lib/events/formats';
import { DEFAULT_SEED, EventGenerator, type GenerateOptions } from './events';
import { CSV_HEADER, csvRow, jsonLine } from './format';

/** The generator writes what the ingest reads. */
export type OutputFormat = Format;
export const OUTPUT_FORMATS = FORMATS;

export interface WriteOptions extends GenerateOptions {
  /** Created if missing; files of the same names are overwritten, others are left alone. */
  outDir: string;
  /** Default 'csv'. */
  format?: OutputFormat;
  /** gzip each file (level 6) and add `.gz` to its name. */
  gzip?: boolean;
  /** Split the events, in order, into this many files of near-equal event counts. Default 1. */
  files?: number;
  /** CSV only: write registration and ts as a spreadsheet mangled them (1.54111E+12). */
  excelNumbers?: boolean;
  /** Called every few tens of thousands of events with the count written so far. */
  onProgress?: (written: number, total: number) => void;
}

export interface WrittenFile {
  path: string;
  /** Bytes on disk (compressed size when gzipped). */
  bytes: number;
  events: number;
}

export interface GenerateSummary {
  files: WrittenFile[];
  format: OutputFormat;
  gzip: boolean;
  seed: string;
  events: number;
  plays: number;
  users: number;
  sessions: number;
  songs: number;
  /** ISO times of the first and last event. */
  firstTs: string | null;
  lastTs: string | null;
  /** Wall-clock time the generation took. */
  elapsedMs: number;
  eventsPerSecond: number;
}

/** Rows are encoded into buffers of this size, and a buffer is handed to the stream when full. */
const CHUNK_BYTES = 256 * 1024;
/** Lets generation run ahead of the disk (or of gzip, on the thread pool) by this much. */
const HIGH_WATER_MARK = 1024 * 1024;
const PROGRESS_EVERY = 65_536;

/**
 * Encodes rows straight into reusable buffers. Batching rows into one big string instead would keep a
 * long-lived rope of small strings on the heap, which V8 answers by growing the young generation; this
 * way every row dies young and memory stays flat. Buffers go back to `spare` once the stream is done
 * with them (its write callback) and are reused, also by the next file, so only a handful ever exist.
 */
class ChunkedSink {
  private buffer: Buffer;
  private used = 0;

  constructor(
    private readonly stream: Writable,
    private readonly spare: Buffer[],
  ) {
    this.buffer = spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
  }

  /** Whether `text` certainly fits (UTF-8 needs at most 3 bytes per UTF-16 code unit). */
  fits(text: string): boolean {
    return this.used + text.length * 3 <= CHUNK_BYTES;
  }

  /** Call only after fits(text), or on an empty chunk (rows are far smaller than a chunk). */
  add(text: string): void {
    this.used += this.buffer.write(text, this.used);
  }

  /** Hands the chunk to the stream; resolves when the stream wants more. */
  async flush(): Promise<void> {
    if (this.used === 0) return;
    const full = this.buffer;
    const ok = this.stream.write(full.subarray(0, this.used), () => this.spare.push(full));
    this.buffer = this.spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
    this.used = 0;
    // once() rejects if the stream errors while we wait, so a full disk cannot hang us here.
    if (!ok) await once(this.stream, 'drain');
  }

  /** Returns the (empty) current buffer to the pool; the sink must not be used afterwards. */
  release(): void {
    this.spare.push(this.buffer);
  }
}

/**
 * `events.csv` for a single file; otherwise `events-0001.csv`, `events-0002.csv`, … (at least 4 digits, so
 * names sort in event order). `.jsonl` for JSON lines; `.gz` appended when gzipped.
 */
export function outputFileNames(files: number, format: OutputFormat, gzip: boolean): string[] {
  const suffix = `.${format}${gzip ? '.gz' : ''}`;
  if (files === 1) return [`events${suffix}`];
  const width = Math.max(4, String(files).length);
  return Array.from({ length: files }, (_, i) => `events-${String(i + 1).padStart(width, '0')}${suffix}`);
}

/**
 * mkdir -p, one level at a time: Node 20's `mkdirSync(dir, { recursive: true })` spins forever when the
 * kernel answers ENOENT for a directory whose parent exists (e.g. under /proc), instead of failing.
 */
function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let current = resolve(dir); !existsSync(current); current = dirname(current)) {
    missing.push(current);
    if (dirname(current) === current) break;
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
    } catch (err: unknown) {
      // Someone else made it in the meantime: fine, as long as it is there now.
      if (!(err instanceof Error && 'code' in err && err.code === 'EEXIST')) throw err;
    }
  }
}

/** Events in file i when `total` events are split into `files` files: counts differ by at most one. */
export function eventsInFile(total: number, files: number, i: number): number {
  return Math.floor(((i + 1) * total) / files) - Math.floor((i * total) / files);
}

async function writeOne(
  path: string,
  count: number,
  generator: EventGenerator,
  render: (generator: EventGenerator) => string,
  header: string,
  gzip: boolean,
  progress: () => void,
  spare: Buffer[],
): Promise<number> {
  const file = createWriteStream(path, { highWaterMark: HIGH_WATER_MARK });
  let stream: Writable = file;
  let done: Promise<void>;
  if (gzip) {
    // writableHighWaterMark is passed on to the Transform; @types/node's ZlibOptions just lacks it.
    const gzipOptions = { level: constants.Z_DEFAULT_COMPRESSION, writableHighWaterMark: HIGH_WATER_MARK };
    const gz = createGzip(gzipOptions);
    stream = gz;
    done = pipeline(gz, file);
  } else {
    done = finished(file);
  }
  // Awaited below; this only stops an early failure from counting as unhandled meanwhile.
  done.catch(() => undefined);
  try {
    const sink = new ChunkedSink(stream, spare);
    sink.add(header);
    for (let i = 0; i < count; i++) {
      const row = render(generator);
      if (!sink.fits(row)) await sink.flush();
      sink.add(row);
      if ((i & (PROGRESS_EVERY - 1)) === PROGRESS_EVERY - 1) progress();
    }
    await sink.flush();
    sink.release();
    stream.end();
    await done;
  } catch (err: unknown) {
    stream.destroy();
    file.destroy();
    throw err;
  }
  return file.bytesWritten;
}

export async function writeEventFiles(options: WriteOptions): Promise<GenerateSummary> {
  const started = performance.now();
  const format = options.format ?? 'csv';
  if (!OUTPUT_FORMATS.includes(format)) throw new RangeError(`unknown format ${String(format)}`);
  const gzip = options.gzip ?? false;
  const files = options.files ?? 1;
  const excel = options.excelNumbers ?? false;
  if (excel && format !== 'csv') throw new RangeError('excelNumbers applies to the csv format only');
  const generator = new EventGenerator(options);
  if (!Number.isSafeInteger(files) || files < 1 || files > generator.total) {
    throw new RangeError(`files must be an integer from 1 to the number of events, got ${files}`);
  }
  makeDirectory(options.outDir);
  const render =
    format === 'csv'
      ? (g: EventGenerator): string => csvRow(g.next(), excel)
      : (g: EventGenerator): string => jsonLine(g.next());
  const header = format === 'csv' ? CSV_HEADER : '';
  const onProgress = options.onProgress;
  const progress = (): void => onProgress?.(generator.stats().events, generator.total);
  const written: WrittenFile[] = [];
  const spare: Buffer[] = [];
  for (const [i, name] of outputFileNames(files, format, gzip).entries()) {
    const path = join(options.outDir, name);
    const events = eventsInFile(generator.total, files, i);
    const bytes = await writeOne(path, events, generator, render, header, gzip, progress, spare);
    written.push({ path, bytes, events });
  }
  onProgress?.(generator.total, generator.total);
  const stats = generator.stats();
  const elapsedMs = Math.round(performance.now() - started);
  return {
    files: written,
    format,
    gzip,
    seed: String(options.seed ?? DEFAULT_SEED),
    events: stats.events,
    plays: stats.plays,
    users: stats.users,
    sessions: stats.sessions,
    songs: stats.songs,
    firstTs: stats.firstTs === null ? null : new Date(stats.firstTs).toISOString(),
    lastTs: stats.lastTs === null ? null : new Date(stats.lastTs).toISOString(),
    elapsedMs,
    eventsPerSecond: Math.round(stats.events / Math.max(elapsedMs / 1000, 0.001)),
  };
}
