// Objects too big for one invocation, through the local event flow as deployed (bucket → queue →
// forwarder → the ingest under serverless offline → Cassandra) with parts of a few seconds: a
// generated 300,000-event CSV and the same events as gzip JSON lines each complete in several
// parts, continued through the queue, with the tables holding exactly what the events imply.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { playTables } from '../../lib/cassandra/model';
import type { IngestReport } from '../../lib/ingest/report';
import { generateEvents, writeEventFiles } from '../../scripts/generate/index';
import { versionReports, waitForReport } from '../../scripts/local/flow';
import { useSchemaKeyspace } from './support/cassandra';
import { actualContents, differences, expectedContents, type TableContents } from './support/expected';
import { loggedAdmission, useLocalFlow } from './support/flow';

const EVENTS = 300_000;
const SEED = 'parts';
/** A line no reader can make an event of, every this many lines: rejects land in several parts. */
const BAD_EVERY = 40_000;

/** Inserts a malformed line after every BAD_EVERY-th line; returns the text and how many it added. */
function withBadLines(text: string, bad: string): { text: string; added: number } {
  const lines = text.split('\n');
  // In the file's own line ending: a bare LF in a CRLF file would join the bad line to the next.
  const eol = lines[0]?.endsWith('\r') ? '\r' : '';
  const out: string[] = [];
  let added = 0;
  lines.forEach((line, i) => {
    out.push(line);
    if (i > 0 && i % BAD_EVERY === 0) {
      out.push(`${bad}${eol}`);
      added++;
    }
  });
  return { text: out.join('\n'), added };
}

describe(`a ${EVENTS.toLocaleString()}-event object ingested in parts through the local event flow`, () => {
  const ks = useSchemaKeyspace();
  // Parts of 4 s: reading stops after 3 s, the last second drains the writes and checkpoints.
  const flow = useLocalFlow('parts', ks, {
    INGEST_DEADLINE_MS: '4000',
    INGEST_DEADLINE_MARGIN_MS: '1000',
    // At info, the function's log says what each delivery did, duplicates included.
    LOG_LEVEL: 'info',
  });
  const { names } = flow;
  let expected: TableContents;
  const inputs: Record<string, { body: Buffer; bad: number }> = {};

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parts-'));
    const csv = await writeEventFiles({ outDir: join(dir, 'csv'), events: EVENTS, seed: SEED });
    const jsonl = await writeEventFiles({
      outDir: join(dir, 'jsonl'),
      events: EVENTS,
      seed: SEED,
      format: 'jsonl',
    });
    const csvText = withBadLines(readFileSync(csv.files[0]?.path ?? '', 'utf8'), 'broken,row');
    const jsonText = withBadLines(
      readFileSync(jsonl.files[0]?.path ?? '', 'utf8'),
      '{"page": "NextSong", oops',
    );
    inputs['events.csv'] = { body: Buffer.from(csvText.text), bad: csvText.added };
    inputs['events.json.gz'] = { body: gzipSync(jsonText.text), bad: jsonText.added };
    expected = expectedContents(generateEvents({ events: EVENTS, seed: SEED }));
  }, 300_000);

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

  it.each(['events.csv', 'events.json.gz'])(
    '%s completes in several parts, every event accounted for once and the tables exact',
    async (name) => {
      const input = inputs[name] as { body: Buffer; bad: number };
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

      expect(report).toMatchObject({
        status: 'completed',
        rowsRead: EVENTS + input.bad,
        rowsRejected: input.bad,
      });
      expect(report.parts).toBeGreaterThanOrEqual(4);
      expect(report.rowsRead).toBe(report.rowsWritten + report.rowsSkipped + report.rowsRejected);
      expect(report.rowsWritten).toBe(expected.plays_by_session.size);
      // The rejects of every part are kept, one object per part that had any, all of them listed.
      expect(report.rejectsLocations.length).toBeGreaterThanOrEqual(2);
      const rejects: { line: number }[] = [];
      for (const location of report.rejectsLocations) {
        const res = await flow.local.s3.send(
          new GetObjectCommand({
            Bucket: names.outputs,
            Key: location.replace(`s3://${names.outputs}/`, ''),
          }),
        );
        const text = (await res.Body?.transformToString('utf8')) ?? '';
        rejects.push(
          ...text
            .trimEnd()
            .split('\n')
            .map((l) => JSON.parse(l) as { line: number }),
        );
      }
      expect(rejects.map((r) => r.line)).toEqual(
        Array.from({ length: input.bad }, (_, i) => (i + 1) * (BAD_EVERY + 1) + 1),
      );
      expect(differences(expected, await actualContents(ks.client, ks.name))).toEqual([]);
      // Every message, continuations included, was consumed; nothing went to the dead-letter queue.
      for (let i = 0; i < 20 && (await messagesLeft(flow.local.flow.queueUrl)) > 0; i++)
        await new Promise((r) => setTimeout(r, 500));
      expect(await messagesLeft(flow.local.flow.queueUrl)).toBe(0);
      expect(await messagesLeft(flow.local.flow.deadLetterQueueUrl)).toBe(0);
    },
    600_000,
  );

  it('takes a re-delivery of the completed object as a duplicate, its report left as it was', async () => {
    const key = 'incoming/events.csv';
    await flow.local.s3.send(
      new PutObjectCommand({ Bucket: names.bucket, Key: key, Body: inputs['events.csv']?.body }),
    );
    await loggedAdmission(flow, key, 'duplicate');
    const [report] = await versionReports(flow.local.s3, names.outputs, key);
    expect(report).toMatchObject({
      status: 'completed',
      rowsRead: EVENTS + (inputs['events.csv']?.bad ?? 0),
    });
    expect(report?.parts).toBeGreaterThanOrEqual(4);
  }, 180_000);
});
