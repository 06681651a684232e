// Objects larger than INGEST_SPLIT_BYTES through the local event flow as deployed (bucket → queue →
// forwarder, 4 invocations at once → the ingest under serverless offline → Cassandra): each is
// planned into splits, the splits are ingested at once by separate deliveries, and their join gives
// the object one report. The CSV has a quoted line feed, CRLF and multi-byte characters in every
// record, so that the plan's nominal cut points fall inside them everywhere; rejects are found by
// their line in the whole object. The same events as JSON lines, plain and gzip (whose splits read
// the plan's inflated text in the outputs bucket, removed once the object completed).
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { SCOPES } from '../../lib/auth';
import { ingestLedger, playTables } from '../../lib/cassandra/model';
import { ledgerEntryOfRow } from '../../lib/ingest/ledger';
import type { IngestReport } from '../../lib/ingest/report';
import { splitOf } from '../../lib/ingest/splits';
import type { GeneratedEvent } from '../../scripts/generate/events';
import { CSV_HEADER, csvRow, jsonLine } from '../../scripts/generate/format';
import { generateEvents } from '../../scripts/generate/index';
import { waitForReport } from '../../scripts/local/flow';
import { localAuthorization } from '../../scripts/stack/issuer';
import { openApiErrors } from '../support/openapi';
import { useSchemaKeyspace } from './support/cassandra';
import { actualContents, differences, expectedContents, type TableContents } from './support/expected';
import { useLocalFlow } from './support/flow';

const EVENTS = 20_000;
const SPLIT_BYTES = 512 * 1024;
/** A line no reader makes an event of, after every this many records. */
const BAD_EVERY = 3_000;

interface Input {
  body: Buffer;
  /** The lines (in the whole object) of the bad records. */
  badLines: number[];
}

/**
 * The events as the object holds them, with a line feed and multi-byte text in every song: each
 * CSV record then spans two lines, and its quoted line feed is no record boundary.
 */
function events(): GeneratedEvent[] {
  return [...generateEvents({ events: EVENTS, seed: 'splits' })].map((e, i) =>
    e.song === null ? e : { ...e, song: `${e.song}\n— Björk ${i % 7}` },
  );
}

/** The object's text, with a bad record after every BAD_EVERY records, and the lines those start on. */
function text(all: GeneratedEvent[], format: 'csv' | 'jsonl'): Input {
  const parts: string[] = format === 'csv' ? [CSV_HEADER] : [];
  const badLines: number[] = [];
  let line = format === 'csv' ? 2 : 1;
  all.forEach((e, i) => {
    const record = format === 'csv' ? csvRow(e) : jsonLine(e);
    parts.push(record);
    // A JSON string escapes its line feed; a CSV field holds it.
    line += format === 'csv' ? record.split('\n').length - 1 : 1;
    if ((i + 1) % BAD_EVERY === 0) {
      badLines.push(line);
      parts.push(format === 'csv' ? 'broken,"row\r\nacross",two\r\n' : '{"page": "NextSong", oops\n');
      line += format === 'csv' ? 2 : 1;
    }
  });
  return { body: Buffer.from(parts.join('')), badLines };
}

describe('objects larger than INGEST_SPLIT_BYTES, ingested in splits at once through the local event flow', () => {
  const ks = useSchemaKeyspace();
  const flow = useLocalFlow('splits', ks, { INGEST_SPLIT_BYTES: String(SPLIT_BYTES), LOG_LEVEL: 'info' });
  const { names } = flow;
  let expected: TableContents;
  const inputs: Record<string, Input> = {};

  beforeAll(() => {
    const all = events();
    expected = expectedContents(all);
    inputs['events.csv'] = text(all, 'csv');
    inputs['events.jsonl'] = text(all, 'jsonl');
    const jsonl = inputs['events.jsonl'];
    inputs['events.json.gz'] = { body: gzipSync(jsonl.body), badLines: jsonl.badLines };
  });

  const messagesLeft = async (url: string) => {
    const { Attributes } = await flow.local.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  };

  const body = async (bucket: string, key: string) => {
    const res = await flow.local.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await res.Body?.transformToString('utf8')) ?? '';
  };

  it.each(['events.csv', 'events.json.gz', 'events.jsonl'])(
    '%s loads exactly in splits, with one report that sums them',
    async (name) => {
      const input = inputs[name] as Input;
      expect(input.body.length).toBeGreaterThan(SPLIT_BYTES);
      for (const table of playTables) await ks.client.execute(`TRUNCATE ${ks.name}.${table.name}`);
      const key = `incoming/${name}`;
      await flow.local.s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: key, Body: input.body }));
      const report: IngestReport = await waitForReport(
        flow.local.s3,
        names.outputs,
        key,
        (r) => r.status === 'completed' || r.status === 'failed',
        600_000,
      );
      const bad = input.badLines.length;
      expect(report).toMatchObject({
        status: 'completed',
        rowsRead: EVENTS + bad,
        rowsRejected: bad,
        compressed: name.endsWith('.gz'),
      });
      expect(report.rowsRead).toBe(report.rowsWritten + report.rowsSkipped + report.rowsRejected);
      expect(report.rowsWritten).toBe(expected.plays_by_session.size);
      // Several splits, every one completed, the span from the first's start to the last's end.
      // A gzip object's splits hold GZIP_TEXT_PER_BYTE times INGEST_SPLIT_BYTES of text: fewer here.
      expect(report.splits?.total).toBeGreaterThanOrEqual(name.endsWith('.gz') ? 2 : 4);
      expect(report.splits?.done).toBe(report.splits?.total);
      expect(report.splits?.spanMs).toBeGreaterThan(0);
      expect(report.parts).toBeGreaterThanOrEqual(report.splits?.total ?? Number.NaN);

      // Rejects by their line in the whole object, each once, in order across the splits.
      const lines: number[] = [];
      for (const location of report.rejectsLocations) {
        const text = await body(names.outputs, location.replace(`s3://${names.outputs}/`, ''));
        lines.push(
          ...text
            .trimEnd()
            .split('\n')
            .map((l) => (JSON.parse(l) as { line: number }).line),
        );
      }
      expect(lines).toEqual(input.badLines);
      expect(differences(expected, await actualContents(ks.client, ks.name))).toEqual([]);

      // The ledger: one row per split, all completed, tiling the text.
      const source = `s3://${names.bucket}/${key}`;
      const rows = (
        await ks.client.execute(`SELECT * FROM ${ks.name}.${ingestLedger.name} WHERE source = ?`, [source])
      ).rows.map(ledgerEntryOfRow);
      const splits = rows.filter((r) => splitOf(r.etag)?.etag === report.etag);
      expect(splits).toHaveLength(report.splits?.total ?? Number.NaN);
      expect(splits.every((r) => r.status === 'completed')).toBe(true);
      expect(splits.map((r) => r.splitStart)).toEqual([0, ...splits.slice(0, -1).map((r) => r.splitEnd)]);

      // Every message consumed, none dead-lettered; a gzip object's split texts removed.
      for (let i = 0; i < 40 && (await messagesLeft(flow.local.flow.queueUrl)) > 0; i++)
        await new Promise((r) => setTimeout(r, 500));
      expect(await messagesLeft(flow.local.flow.queueUrl)).toBe(0);
      expect(await messagesLeft(flow.local.flow.deadLetterQueueUrl)).toBe(0);
      const texts = await flow.local.s3.send(
        new ListObjectsV2Command({ Bucket: names.outputs, Prefix: `splits/${key}/` }),
      );
      expect(texts.KeyCount ?? 0).toBe(0);
    },
    600_000,
  );

  it('shows a split object as one line in GET /ingests, with its splits done of total', async () => {
    const key = 'incoming/events.csv';
    const source = encodeURIComponent(`s3://${names.bucket}/${key}`);
    const res = await fetch(`${flow.local.offline.baseUrl}/ingests?source=${source}`, {
      headers: await localAuthorization([SCOPES.ingests]),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { versions: Record<string, unknown>[] };
    expect(openApiErrors('getIngests', 200, body)).toEqual([]);
    const { versions } = body;
    expect(versions).toHaveLength(1);
    const [version] = versions;
    expect(String(version?.etag)).not.toContain('/');
    expect(version).toMatchObject({
      status: 'completed',
      rowsRead: EVENTS + (inputs['events.csv']?.badLines.length ?? 0),
      splits: { done: expect.any(Number), total: expect.any(Number) },
    });
    const splits = version?.splits as { done: number; total: number };
    expect(splits.done).toBe(splits.total);
  }, 60_000);
});
