// Where an object's splits begin and end: true record boundaries, exactly where the reader puts them.
//
// A split is a range of an object's text that one invocation ingests while others ingest the rest.
// Its edges must be record boundaries, or a record is lost or read twice. In CSV a line feed inside
// a quoted field is not one, and whether a given line feed is quoted depends on every quote before
// it: Spark refuses to split such CSV, Hadoop's line reader assumes there is none, and guessing the
// state from a few kilobytes (speculative parsing) needs a verification and a way back when the
// guess was wrong, after rows have been written. Here the plan reads the whole text once, before
// the splits start, and finds record ends on the bytes with the scanner's own rules for well-formed
// records (lib/events/record-ends.ts), without reading fields. At the first record those rules do
// not vouch for (broken CSV), the reader itself (lib/events/input.ts) takes over from the record
// boundary before it and the plan cuts after its batches for the rest of the text: each such
// position is, by the reader's own rules, one a read resumes from (a part's checkpoint is the same
// kind of position). So the splits read exactly the records the whole read would, since the same
// rules, or the same reader, decide. JSON lines end at every line feed, once the reader's probe
// (are these JSON lines at all?) has decided on the first lines, which the first split reads again.
//
// gzip has no way in but at its start, so the plan of a gzip object also hands each split's text,
// inflated, to a SplitTextSink (the outputs bucket), for the splits to read: the one pass finds the
// boundaries and makes the inputs, and no split inflates what another will.

import { csvRecords } from '../events/csv';
import { IRREGULAR } from '../events/csv-scan';
import { type ParsedRecord, type ReadPosition, type RecordBatch, START_OF_OBJECT } from '../events/event';
import type { Format } from '../events/formats';
import { type OpenedInput, openRecords, openText } from '../events/input';
import { JsonlProbe, jsonlRecord, MAX_LINE_BYTES } from '../events/jsonl';
import { CsvRecordEnds } from '../events/record-ends';
import { InvariantError } from './failures';

export interface PlannedSplit {
  /** 0-based, in the object's order. */
  index: number;
  /** Where it begins: an offset in the object's text, its line, the CSV header read before it. */
  start: ReadPosition;
  /** The text offset it ends before: the next split's start, or the text's length. */
  end: number;
}

export interface SplitPlan {
  format: Format;
  /** Whether the object is gzip: its splits then read the text the plan wrote, not the object. */
  compressed: boolean;
  /** The object's text length (inflated, for gzip). */
  textBytes: number;
  splits: PlannedSplit[];
  /**
   * Where the reader took over from the byte scan (at the first record the scan does not vouch
   * for), if it did: the text from here on cost the plan a full parse.
   */
  readerFrom?: number;
}

/** Receives each split's text, in order, when the object is gzip. */
export interface SplitTextSink {
  write(split: number, bytes: Buffer): Promise<void>;
  /** The split's text is complete. */
  end(split: number): Promise<void>;
}

/**
 * The records of a split (or of a later part of one), read from `bytes`: the split's text from
 * `from` (its start, or a checkpoint within it) to its end. Its last batch must end exactly at the
 * split's end: anything else means the plan and the reader disagree on a boundary, a defect that
 * would lose or repeat records, and it fails the read instead.
 */
export function splitRecords(
  bytes: AsyncIterable<Buffer>,
  name: string,
  plan: Pick<SplitPlan, 'format'>,
  split: Pick<PlannedSplit, 'index' | 'end'>,
  from: ReadPosition,
): Promise<OpenedInput> {
  return openRecords(bytes, name, { position: from, format: plan.format, compressed: false }).then(
    (input) => ({ ...input, batches: endingAt(input.batches, split, from.offset) }),
  );
}

async function* endingAt(
  batches: AsyncGenerator<RecordBatch>,
  split: Pick<PlannedSplit, 'index' | 'end'>,
  from: number,
): AsyncGenerator<RecordBatch> {
  let at = from;
  for await (const batch of batches) {
    at = batch.end.offset;
    yield batch;
  }
  if (at !== split.end)
    throw new InvariantError(`split ${split.index + 1} was read to byte ${at}; it ends at ${split.end}`);
}

/**
 * Text bytes per gzip byte of a split of a gzip object: what event logs compress to (generated CSV
 * 5.7×, JSON lines 8.4×, measured by bench --only splits); a guess, not a rule: it only sizes splits.
 */
export const GZIP_TEXT_PER_BYTE = 8;

/** A record longer than this is left to the reader (as the scanner leaves it to csv-parse). */
const MAX_FAST_RECORD = 1024 * 1024;
const LF = 0x0a;

/**
 * Plans the splits of an object read whole from `bytes`: each ends at the first record boundary at
 * least splitBytes of text after its start (GZIP_TEXT_PER_BYTE times as much, gzip), and the last
 * takes what is left, however little (a remainder folded into the split before would make that
 * split the slowest of all). An object of at most splitBytes is one split.
 */
export async function planSplits(
  bytes: AsyncIterable<Buffer>,
  name: string,
  splitBytes: number,
  sink?: SplitTextSink,
): Promise<SplitPlan> {
  if (!(splitBytes >= 1)) throw new RangeError(`a split must be at least one byte, not ${splitBytes}`);
  const opened = await openText(bytes, name);
  const keep = opened.compressed ? sink : undefined;
  if (opened.compressed && !keep) throw new Error('a gzip object is split only with a sink for its text');
  // A gzip object is split when its stored size is above splitBytes, so its splits are about that
  // much gzip each: GZIP_TEXT_PER_BYTE times as much text. Text offsets, not the gzip bytes zlib has
  // taken so far (which depend on how its input arrived): a plan made again must cut the same.
  const splitText = opened.compressed ? splitBytes * GZIP_TEXT_PER_BYTE : splitBytes;
  const cuts = new Cuts(splitText, new TextTap(opened.text, keep !== undefined), keep);
  const text = cuts.tap.text()[Symbol.asyncIterator]();
  const rest = await (opened.format === 'csv' ? fastCsv(text, cuts) : lineFeeds(text, cuts));
  if (rest) {
    // The reader decides the rest, from a record boundary: the plan cuts after its batches.
    const input = await openRecords(rest.bytes, name, {
      position: rest.from,
      format: opened.format,
      compressed: false,
    });
    for await (const { end } of input.batches) await cuts.boundary(end);
  }
  const planned = await cuts.finish();
  return {
    format: opened.format,
    compressed: opened.compressed,
    ...planned,
    ...(rest ? { readerFrom: rest.from.offset } : {}),
  };
}

/** The text after `window`'s first `pos` bytes: what the reader is handed when it takes over. */
async function* remainder(window: Buffer, pos: number, text: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (pos < window.length) yield window.subarray(pos);
  for (let next = await text.next(); !next.done; next = await text.next()) yield next.value;
}

interface Handover {
  from: ReadPosition;
  bytes: AsyncIterable<Buffer>;
}

function countLf(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(LF, from); i !== -1 && i < to; i = buf.indexOf(LF, i + 1)) n++;
  return n;
}

/**
 * CSV by the scanner's rules on the bytes; the header is read by the reader itself, so the splits
 * get the column names exactly as it reads them. Returns where the reader takes over, if it must.
 */
async function fastCsv(text: AsyncIterator<Buffer>, cuts: Cuts): Promise<Handover | undefined> {
  let window: Buffer = Buffer.alloc(0);
  let offset = 0; // of window[0] in the text
  let pos = 0;
  let at: ReadPosition = START_OF_OBJECT;
  const handover = () => ({ from: at, bytes: remainder(window, pos, text) });
  for (;;) {
    const next = await text.next();
    if (next.done) return at.header ? undefined : handover(); // only a header, or not even that
    window = pos < window.length ? Buffer.concat([window.subarray(pos), next.value]) : next.value;
    offset += pos;
    pos = 0;
    const ends = new CsvRecordEnds(window);
    for (;;) {
      const bom =
        !at.header && offset === 0 && window[0] === 0xef && window[1] === 0xbb && window[2] === 0xbf;
      const end = ends.end(bom ? 3 : pos);
      if (end === IRREGULAR) return handover();
      if (end < 0) break; // NEED_MORE
      const line = at.line + countLf(window, pos, end);
      if (!at.header) {
        const header = await readHeader(window.subarray(0, end));
        if (!header) return handover();
        at = header;
      } else at = { offset: offset + end, line, header: at.header };
      pos = end;
      await cuts.boundary(at);
    }
    if (window.length - pos > MAX_FAST_RECORD) return handover();
  }
}

/** The header as the reader reads it: the position after it, with its names; or undefined. */
async function readHeader(bytes: Buffer): Promise<ReadPosition | undefined> {
  let last: ReadPosition | undefined;
  const one = (async function* () {
    yield bytes;
  })();
  for await (const batch of csvRecords(one, START_OF_OBJECT)) last = batch.end;
  return last?.offset === bytes.length && last.header ? last : undefined;
}

/**
 * JSON lines: every line feed ends a record (none occurs inside a JSON string or a character). No
 * cut before the reader's probe has decided that the object is JSON lines at all (JsonlProbe): the
 * first split reads those lines again and must decide as the whole read did, and a plan of an
 * object that is not JSON lines fails as its read would.
 */
async function lineFeeds(text: AsyncIterator<Buffer>, cuts: Cuts): Promise<undefined> {
  const probe = new JsonlProbe(true);
  let offset = 0; // of the next chunk's first byte
  let line = 1;
  // While probing: the bytes of the line being read, from its start (at offset - carry.length).
  let carry: Buffer = Buffer.alloc(0);
  let discarding = false; // a line too long to be an event, read past until its end
  for (let next = await text.next(); !next.done; next = await text.next()) {
    const chunk = next.value;
    if (probe.decided) {
      for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, lf + 1)) {
        line++;
        await cuts.boundary({ offset: offset + lf + 1, line, header: undefined });
      }
      offset += chunk.length;
      continue;
    }
    const base = offset - carry.length;
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    offset += chunk.length;
    if (base === 0 && buf.length < BOM.length && BOM.subarray(0, buf.length).equals(buf)) {
      carry = buf; // perhaps a BOM, not yet whole
      continue;
    }
    let start = base === 0 && buf.subarray(0, BOM.length).equals(BOM) ? BOM.length : 0;
    for (let lf = buf.indexOf(LF, start); lf !== -1; lf = buf.indexOf(LF, start)) {
      if (!probe.decided && !discarding) probe.take(lineRecords(buf, start, lf, line), false);
      discarding = false;
      line++;
      start = lf + 1;
      if (probe.decided) await cuts.boundary({ offset: base + start, line, header: undefined });
    }
    carry = discarding ? Buffer.alloc(0) : buf.subarray(start);
    if (!discarding && carry.length > MAX_LINE_BYTES) {
      // As the reader: a line this long is a reject whatever it holds, and its bytes are dropped.
      probe.take(
        [{ kind: 'malformed', line, reason: 'line too long', raw: carry.toString('utf8', 0, 64) }],
        false,
      );
      discarding = true;
      carry = Buffer.alloc(0);
    }
  }
  if (!probe.decided)
    probe.take(carry.length > 0 && !discarding ? lineRecords(carry, 0, carry.length, line) : [], true);
  return undefined;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The record of one line as the reader makes it, if it is not blank. */
function lineRecords(buf: Buffer, start: number, end: number, line: number): ParsedRecord[] {
  const record = jsonlRecord(buf, start, end, line);
  return record ? [record] : [];
}

/** The plan being made: the splits' starts, and a gzip object's text handed to its split. */
class Cuts {
  private readonly starts: ReadPosition[] = [START_OF_OBJECT];

  constructor(
    /** Text bytes a split holds at least (the last excepted). */
    private readonly splitBytes: number,
    readonly tap: TextTap,
    private readonly keep: SplitTextSink | undefined,
  ) {}

  private get current(): ReadPosition {
    return this.starts[this.starts.length - 1] as ReadPosition;
  }

  /** A record boundary: the current split ends here if it is long enough. */
  async boundary(at: ReadPosition): Promise<void> {
    if (at.offset - this.current.offset < this.splitBytes) return;
    if (this.keep) {
      await this.tap.flush(this.keep, this.starts.length - 1, at.offset);
      await this.keep.end(this.starts.length - 1);
    }
    this.starts.push(at);
  }

  async finish(): Promise<{ textBytes: number; splits: PlannedSplit[] }> {
    const textBytes = this.tap.seen;
    // A boundary at the text's very end starts no split (its text, if kept, was handed over).
    if (this.starts.length > 1 && this.current.offset >= textBytes) this.starts.pop();
    else if (this.keep) {
      await this.tap.flush(this.keep, this.starts.length - 1, textBytes);
      await this.keep.end(this.starts.length - 1);
    }
    const splits = this.starts.map((start, index) => ({
      index,
      start,
      end: (this.starts[index + 1] as ReadPosition | undefined)?.offset ?? textBytes,
    }));
    return { textBytes, splits };
  }
}

/** The text on its way to the plan: counted, and kept until a split's sink takes it. */
class TextTap {
  seen = 0;
  private readonly pending: Buffer[] = [];
  /** The text offset of pending[0]'s first byte. */
  private flushed = 0;

  constructor(
    private readonly source: AsyncIterable<Buffer>,
    private readonly keep: boolean,
  ) {}

  async *text(): AsyncGenerator<Buffer> {
    for await (const chunk of this.source) {
      this.seen += chunk.length;
      if (this.keep) this.pending.push(chunk);
      yield chunk;
    }
  }

  /** Hands the kept text before offset upTo to split's sink. */
  async flush(sink: SplitTextSink, split: number, upTo: number): Promise<void> {
    while (this.flushed < upTo) {
      const chunk = this.pending[0];
      if (!chunk) throw new Error(`the text up to byte ${upTo} was never read (kept up to ${this.flushed})`);
      const take = Math.min(chunk.length, upTo - this.flushed);
      if (take === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(take);
      this.flushed += take;
      await sink.write(split, chunk.subarray(0, take));
    }
  }
}
