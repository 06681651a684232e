// npm run redrive through the local event flow: a poison object lands in the dead-letter queue (the
// ingest puts it there at once), a fixed version of the same key is uploaded and ingested, the
// dry run lists the dead letter and moves nothing, the redrive moves it back (SQS's message move
// task on LocalStack), the ingest takes it up again, and both queues end empty.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { versionReports, waitForReport } from '../../scripts/local/flow';
import { useSchemaKeyspace } from './support/cassandra';
import { useLocalFlow } from './support/flow';

const repo = join(__dirname, '..', '..');
const HEADER =
  'artist,auth,firstName,gender,itemInSession,lastName,length,level,location,method,page,registration,sessionId,song,status,ts,userId';
const PLAYS = 12;
const fixed = `${HEADER}\r\n${Array.from(
  { length: PLAYS },
  (_, i) =>
    `Band ${i},Logged In,Ann,F,${i},Lee,${100 + i},free,"City, ST",PUT,NextSong,,${880_000 + i},Song ${i},200,${i},880`,
).join('\r\n')}\r\n`;
/** A PNG's signature and the start of its header chunk, under an event log's name. */
const poison = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]),
  Buffer.from('IHDR'),
  Buffer.alloc(64, 7),
]);
const KEY = 'incoming/day.csv';

function redriveCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(repo, 'node_modules', '.bin', 'tsx'),
      ['scripts/redrive.ts', ...args],
      { cwd: repo, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('npm run redrive', () => {
  const ks = useSchemaKeyspace();
  const flow = useLocalFlow('redrive', ks);
  const { names } = flow;

  /** Visible and in-flight messages of a queue. */
  const depth = async (queueUrl: string): Promise<number> => {
    const res = await flow.local.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(res.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(res.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  };
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const put = async (body: Buffer | string) => {
    const res = await flow.local.s3.send(
      new PutObjectCommand({ Bucket: names.bucket, Key: KEY, Body: body }),
    );
    return (res.ETag ?? '').replace(/"/g, '');
  };
  const queueArgs = () => [
    '--queue-url',
    flow.local.flow.queueUrl,
    '--dead-letter-queue-url',
    flow.local.flow.deadLetterQueueUrl,
  ];

  it('moves a poison object back once its fixed version is in, and both queues end empty', async () => {
    const poisonEtag = await put(poison);
    const failed = await waitForReport(flow.local.s3, names.outputs, KEY, (r) => r.etag === poisonEtag);
    expect(failed).toMatchObject({ status: 'failed', failure: 'input' });
    await until('the poison message is in the dead-letter queue', async () => {
      return (await depth(flow.local.flow.deadLetterQueueUrl)) === 1;
    });

    const fixedEtag = await put(fixed);
    const ingested = await waitForReport(flow.local.s3, names.outputs, KEY, (r) => r.etag === fixedEtag);
    expect(ingested).toMatchObject({ status: 'completed', rowsRead: PLAYS, rowsWritten: PLAYS });

    const dry = await redriveCli(['--dry-run', ...queueArgs()]);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toContain('1 message(s) in the dead-letter queue');
    expect(dry.stdout).toContain('(dry run: nothing moved)');
    expect(dry.stdout).toContain(`s3://${names.bucket}/${KEY}`);
    // Why the ingest dead-lettered it, as it said.
    expect(dry.stdout).toContain(`was: ${failed.error}`);
    // Listed, not taken: the message is still there, and visible again for the move.
    expect(await depth(flow.local.flow.deadLetterQueueUrl)).toBe(1);

    const redrivenAt = Date.now();
    const real = await redriveCli(queueArgs());
    expect(real).toMatchObject({ code: 0, stderr: '' });
    expect(real.stdout).toContain('moved 1 message(s)');
    expect(real.stdout).toContain('(SQS message move task, COMPLETED)');
    expect(real.stdout).toContain(`s3://${names.bucket}/${KEY}`);
    expect(await depth(flow.local.flow.deadLetterQueueUrl)).toBe(0);

    // The redriven notification names the poison version: taken up again, it finds the object is
    // the fixed version now and ends superseded; the fixed version's report stays its own.
    const final = await waitForReport(
      flow.local.s3,
      names.outputs,
      KEY,
      (r) =>
        r.etag === poisonEtag &&
        r.status === 'superseded' &&
        Date.parse(r.finishedAt ?? '') >= redrivenAt - 1000,
    );
    expect(final.error).toMatch(/overwritten or deleted/);
    const reports = await versionReports(flow.local.s3, names.outputs, KEY);
    expect(reports.find((r) => r.etag === fixedEtag)).toMatchObject({
      status: 'completed',
      rowsRead: PLAYS,
      rowsWritten: PLAYS,
    });
    await until('the ingest queue is empty', async () => (await depth(flow.local.flow.queueUrl)) === 0);
    expect(await depth(flow.local.flow.deadLetterQueueUrl)).toBe(0);
  });

  it('says so when there is nothing to redrive', async () => {
    const res = await redriveCli(queueArgs());
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toMatch(/^the dead-letter queue .* is empty: nothing to redrive\n$/);
  });
});
