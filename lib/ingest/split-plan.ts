// Where an object's splits begin and end: true record boundaries, found by the reader itself.
//
// A split is a range of an object's text that one invocation ingests while others ingest the rest.
// Its edges must be record boundaries, or a record is lost or read twice. In CSV a line feed inside
// a quoted field is not one, and whether a given line feed is quoted depends on every quote before
// it: Spark refuses to split such CSV, Hadoop's line reader assumes there is none, and guessing the
// state from a few kilobytes (speculative parsing) needs a verification and a way back when the
// guess was wrong, after rows have been written. Here the plan runs the ingest's own reader
// (lib/events/input.ts) over the whole text once and cuts at positions it reports after a batch:
// by the reader's own rules each is a place a read resumes from (a part's checkpoint is the same
// kind of position). So the splits read exactly the records the whole read would, broken CSV
// included, since the same reader decides; the price is one sequential read of the object before
// the splits start.
//
// gzip has no way in but at its start, so the plan of a gzip object also hands each split's text,
// inflated, to a SplitTextSink (the outputs bucket), for the splits to read: the one pass finds the
// boundaries and makes the inputs, and no split inflates what another will.
import type { ReadPosition } from '../events/event';
import type { Format } from '../events/formats';
import { objectText, openRecords } from '../events/input';

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
}

/** Receives each split's text, in order, when the object is gzip. */
export interface SplitTextSink {
  write(split: number, bytes: Buffer): Promise<void>;
  /** The split's text is complete. */
  end(split: number): Promise<void>;
}

/**
 * Plans the splits of an object read whole from `bytes`: each ends at the first record boundary at
 * least splitBytes of text after its start, and the last takes what is left, however little (a
 * remainder folded into the split before would make that split the slowest of all). An object of at
 * most splitBytes of text is one split.
 */
export async function planSplits(
  bytes: AsyncIterable<Buffer>,
  name: string,
  splitBytes: number,
  sink?: SplitTextSink,
): Promise<SplitPlan> {
  if (!(splitBytes >= 1)) throw new RangeError(`a split must be at least one byte, not ${splitBytes}`);
  const object = await objectText(bytes);
  const keep = object.compressed ? sink : undefined;
  if (object.compressed && !keep) throw new Error('a gzip object is split only with a sink for its text');
  const tap = new TextTap(object.text, keep !== undefined);
  const opened = await openRecords(tap.text(), name);
  const starts: ReadPosition[] = [{ offset: 0, line: 1, header: undefined }];
  let readTo = 0;
  for await (const { end } of opened.batches) {
    readTo = end.offset;
    const split = starts.length - 1;
    if (keep) await tap.flush(keep, split, end.offset);
    if (end.offset - (starts[split] as ReadPosition).offset >= splitBytes) {
      if (keep) await keep.end(split);
      starts.push(end);
    }
  }
  // A boundary found at the text's very end starts no split.
  if (starts.length > 1 && (starts[starts.length - 1] as ReadPosition).offset >= tap.seen) starts.pop();
  else if (keep) {
    await tap.flush(keep, starts.length - 1, tap.seen);
    await keep.end(starts.length - 1);
  }
  // The reader accounts for every byte: its last batch ends at the end of the text.
  if (readTo !== tap.seen) {
    throw new Error(`the reader stopped at byte ${readTo} of ${tap.seen}: a plan would leave the rest out`);
  }
  const splits = starts.map((start, index) => ({
    index,
    start,
    end: (starts[index + 1] as ReadPosition | undefined)?.offset ?? tap.seen,
  }));
  return { format: opened.format, compressed: object.compressed, textBytes: tap.seen, splits };
}

/** The text on its way to the reader: counted, and kept until a split's sink takes it when asked to. */
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
