// One measurement of reading and parsing alone, no Cassandra: the CPU time per event of one way of
// turning the bench's event log into plays, in a process of its own (so one way's JIT and garbage
// do not touch another's). The ways:
// - read: the file's bytes, nothing else (the floor every way stands on);
// - csv-parse: csv-parse's stream on the bytes in its fastest configuration (its defaults: arrays,
//   no columns, cast, info, on_record or raw), records counted, nothing else;
// - csv-parse, reader's options: the same, with the options the reader gives it for broken CSV;
// - reader, csv-parse only: the ingest's CSV reader with the scanner off, plus classify();
// - reader: the ingest's CSV reader as it runs (the scanner, csv-parse for what it leaves), plus classify();
// - reader, JSON lines: the ingest's JSON-lines reader on the same events as JSON lines, plus classify().
// Prints one JSON line: the way, events, plays, CPU ms.
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { classify } from '../../lib/events/classify';
import { csvRecords } from '../../lib/events/csv';
import { type RecordBatch, START_OF_OBJECT } from '../../lib/events/event';
import { jsonlRecords } from '../../lib/events/jsonl';
import { PARSING_WAYS, type ParsingWay } from '../parsing-ways';

const bytes = (file: string) => createReadStream(file, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>;

async function count(
  way: ParsingWay,
  csv: string,
  jsonl: string,
): Promise<{ events: number; plays: number }> {
  let events = 0;
  let plays = 0;
  const records = async (batches: AsyncIterable<RecordBatch>) => {
    for await (const batch of batches)
      for (const rec of batch.records) {
        events++;
        if (rec.kind === 'event' && classify(rec.playFields).kind === 'play') plays++;
      }
  };
  switch (way) {
    case 'read':
      for await (const _chunk of bytes(csv));
      break;
    case 'csv-parse':
    case "csv-parse, reader's options": {
      const options =
        way === 'csv-parse'
          ? {}
          : {
              record_delimiter: ['\r\n', '\n', '\r'],
              relax_column_count: true,
              relax_quotes: true,
              skip_records_with_error: true,
              max_record_size: 16 * 1024 * 1024,
            };
      for await (const _record of createReadStream(csv).pipe(parse(options))) events++;
      events--; // the header
      break;
    }
    case 'reader, csv-parse only':
      await records(csvRecords(bytes(csv), START_OF_OBJECT, { scanner: false }));
      break;
    case 'reader':
      await records(csvRecords(bytes(csv), START_OF_OBJECT));
      break;
    case 'reader, JSON lines':
      await records(jsonlRecords(bytes(jsonl), START_OF_OBJECT));
      break;
  }
  return { events, plays };
}

async function main(): Promise<void> {
  const [way = '', csv = '', jsonl = ''] = process.argv.slice(2);
  if (!(PARSING_WAYS as readonly string[]).includes(way)) throw new Error(`unknown way ${way}`);
  const cpu = process.cpuUsage();
  const { events, plays } = await count(way as ParsingWay, csv, jsonl);
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${JSON.stringify({ way, events, plays, cpuMs: (used.user + used.system) / 1000 })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
