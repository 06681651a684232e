// npm run ingest -- <file|dir|s3://bucket/key|s3://bucket/prefix/ ...> [--out DIR]
// The Lambda's pipeline, for backfills. One JSON report per object on stdout (also saved as
// <out>/<name>.report.json, with a local file's rejects beside it as <out>/<name>.rejected.jsonl,
// where <name> is the file's path relative to the directory all local inputs share, or
// s3/<bucket>/<key>); progress on stderr when it is a terminal. Secrets named by SSM parameter are
// fetched at start, as the Lambdas do. With INGEST_DEADLINE_MS set, each object is ingested in
// parts of that length, one after the other, as the Lambda does across invocations (and a run that
// was killed resumes from the last checkpoint). Exit 0 when every object completed (rejects
// included), 1 when any failed, 2 on bad usage.
import { readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createS3 } from '../lib/aws';
import { createClient } from '../lib/cassandra/client';
import { loadConfig } from '../lib/config';
import { isEventFileName } from '../lib/events/formats';
import { localOutputs, OutputCollisionError, type OutputTarget, outputNames } from '../lib/ingest/outputs';
import type { IngestReport } from '../lib/ingest/report';
import { reportJson } from '../lib/ingest/report';
import { ingestAllParts, ingestFilePart, ingestS3Object } from '../lib/ingest/service';
import type { Progress } from '../lib/ingest/types';
import { createLogger } from '../lib/log';
import { resolveSecrets } from '../lib/secrets';
import { parseCommandLine, runCli, UsageError } from './cli';

const USAGE = 'usage: npm run ingest -- <file|dir|s3://bucket/key|s3://bucket/prefix/ ...> [--out DIR]';

type Target = OutputTarget;

/** Each object once, however many of the inputs name it (a directory and a file in it, say). */
function unique(targets: Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const id = t.kind === 'file' ? resolve(t.path) : `s3://${t.bucket}/${t.key}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function readArgs(argv: string[]): { inputs: string[]; out: string } {
  const { values, positionals } = parseCommandLine(
    argv,
    { out: { type: 'string', default: 'ingest-out' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  if (values.help) throw new UsageError();
  if (positionals.length === 0) throw new UsageError('no input given');
  return { inputs: positionals, out: values.out };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) =>
      e.isDirectory() ? filesUnder(join(dir, e.name)) : isEventFileName(e.name) ? [join(dir, e.name)] : [],
    );
}

async function expand(input: string, s3: () => S3Client): Promise<Target[]> {
  const url = /^s3:\/\/([^/]+)\/?(.*)$/.exec(input);
  if (url) {
    const [, bucket = '', key = ''] = url;
    if (key !== '' && !key.endsWith('/')) return [{ kind: 's3', bucket, key }];
    const targets: Target[] = [];
    let token: string | undefined;
    do {
      const page = await s3().send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? [])
        if (o.Key && isEventFileName(o.Key)) targets.push({ kind: 's3', bucket, key: o.Key });
      token = page.NextContinuationToken;
    } while (token);
    return targets;
  }
  let info: ReturnType<typeof statSync>;
  try {
    info = statSync(input);
  } catch {
    throw new UsageError(`no such file or directory: ${input}`);
  }
  return info.isDirectory()
    ? filesUnder(input).map((path) => ({ kind: 'file', path }))
    : [{ kind: 'file', path: input }];
}

function progressPrinter(index: number, total: number): ((p: Progress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (p) => {
    const rate = p.elapsedMs > 0 ? Math.round((p.rowsRead * 1000) / p.elapsedMs) : 0;
    process.stderr.write(
      `\r[${index}/${total}] ${basename(p.source)}: ${p.rowsRead.toLocaleString()} rows read, ` +
        `${p.rowsWritten.toLocaleString()} written, ${rate.toLocaleString()} rows/s   `,
    );
  };
}

async function main(argv: string[]): Promise<number> {
  const { inputs, out } = readArgs(argv);
  const loaded = await resolveSecrets(loadConfig());
  // One run reads each object whole: splits are read at once by the queue's deliveries, which the
  // CLI does not have (an object split by the deployed ingest is read whole here, to the same rows).
  const cfg = { ...loaded, ingest: { ...loaded.ingest, splitBytes: undefined } };
  // The reports on stdout say what the info logs would; the CLI logs warnings and errors.
  const log = createLogger(cfg.logLevel === 'debug' ? 'debug' : 'warn', { cli: 'ingest' });
  let s3: S3Client | undefined;
  const getS3 = () => {
    s3 ??= createS3(cfg.aws);
    return s3;
  };
  const targets = unique((await Promise.all(inputs.map((i) => expand(i, getS3)))).flat());
  if (targets.length === 0) throw new UsageError('the inputs hold no .csv, .json, .jsonl or .ndjson files');
  let names: string[];
  try {
    names = outputNames(targets);
  } catch (err: unknown) {
    if (err instanceof OutputCollisionError) throw new UsageError(err.message);
    throw err;
  }
  const client = createClient(cfg.cassandra);
  let failed = 0;
  try {
    await client.connect();
    await mkdir(out, { recursive: true });
    for (const [i, target] of targets.entries()) {
      const ctx = { cfg, client, log, onProgress: progressPrinter(i + 1, targets.length) };
      const paths = localOutputs(out, names[i] as string);
      const report: IngestReport = await ingestAllParts(
        (continuation) =>
          target.kind === 'file'
            ? ingestFilePart(ctx, target.path, paths.rejectsBase, continuation)
            : // One run is one delivery: a transient failure ends the version, as a message's last does.
              ingestS3Object(ctx, getS3(), {
                ...target,
                ...(continuation ? { continuation } : {}),
                lastDelivery: true,
              }),
        { maxWaitMs: cfg.ingest.leaseMs, log },
      );
      if (ctx.onProgress) process.stderr.write('\r\x1b[K');
      // Still in progress: another delivery held it longer than the wait; not done by this run.
      if (report.status === 'failed' || report.status === 'in_progress') failed++;
      await mkdir(dirname(paths.report), { recursive: true });
      await writeFile(paths.report, `${reportJson(report, 2)}\n`);
      process.stdout.write(`${reportJson(report)}\n`);
    }
  } finally {
    await client.shutdown();
    s3?.destroy();
  }
  if (failed > 0)
    process.stderr.write(
      `ingest: ${failed} of ${targets.length} object(s) failed or were left in progress\n`,
    );
  return failed > 0 ? 1 : 0;
}

runCli('ingest', USAGE, () => main(process.argv.slice(2)));
