// npm run upload -- <file ...> [--prefix incoming/] [--wait [--timeout S]] [--bucket B] [--outputs-bucket O]:
// puts event files into the local raw-events bucket, which triggers their ingest (with `npm run demo`
// running). Prints each object's s3:// URL. Bodies are streamed from disk, a few files at a time.
// With --wait it then waits for each file's ingest report and prints one line per file (status,
// counts, where the rejects are, or the error), exiting 1 when any failed or did not end in time.

import { basename } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../lib/config';
import { triggersIngest } from '../lib/events/formats';
import { parseCommandLine, runCli, UsageError, wholeNumber } from './cli';
import { describeOutcome, outcomeFailed, waitForOutcome } from './demo/outcome';
import { skipReason } from './local/event-files';
import { LOCAL_NAMES } from './local/flow';
import { putFiles } from './local/put-files';

// The SDK's notice that its 2027 releases will need Node 22 is for the maintainers (the lockfile
// pins releases that support Node 20), not for someone uploading files. Set here, in the script's
// own entry (never in library code): the SDK reads it when the first client is made, below.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE =
  'usage: npm run upload -- <file ...> [--prefix incoming/] [--wait [--timeout SECONDS]] ' +
  '[--bucket NAME] [--outputs-bucket NAME]';

const RAW_SUFFIX = '-raw-events';
const OUTPUTS_SUFFIX = '-ingest-outputs';

/** The stack's outputs bucket beside its raw-events bucket (lib/infra/names.ts names both). */
function outputsOf(bucket: string): string | undefined {
  if (bucket === LOCAL_NAMES.bucket) return LOCAL_NAMES.outputs;
  return bucket.endsWith(RAW_SUFFIX) ? `${bucket.slice(0, -RAW_SUFFIX.length)}${OUTPUTS_SUFFIX}` : undefined;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals: files } = parseCommandLine(
    argv,
    {
      prefix: { type: 'string', default: 'incoming/' },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      bucket: { type: 'string', default: LOCAL_NAMES.bucket },
      'outputs-bucket': { type: 'string' },
    },
    true,
  );
  if (files.length === 0) throw new UsageError('no file given');
  const { prefix, bucket, wait } = values;
  if (bucket === '') throw new UsageError('--bucket needs a bucket name');
  if (!wait && (values.timeout !== undefined || values['outputs-bucket'] !== undefined))
    throw new UsageError('--timeout and --outputs-bucket go with --wait');
  const timeoutMs = wholeNumber('timeout', values.timeout, 600, 1) * 1000;
  const outputs = values['outputs-bucket'] || outputsOf(bucket);
  if (wait && !outputs)
    throw new UsageError(
      `--wait needs --outputs-bucket: ${bucket} is not named <service>-<stage>${RAW_SUFFIX}`,
    );

  const cfg = loadConfig({
    ...process.env,
    AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566',
  });
  const s3 = new S3Client({
    region: cfg.aws.region,
    forcePathStyle: cfg.aws.s3ForcePathStyle,
    ...(cfg.aws.endpoint ? { endpoint: cfg.aws.endpoint } : {}),
    // LocalStack takes any credentials; the SDK needs some to sign with.
    ...(process.env.AWS_ACCESS_KEY_ID
      ? {}
      : { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
  });
  const ignored = files.map((f) => basename(f)).filter((name) => !triggersIngest(name));
  if (ignored.length > 0)
    process.stderr.write(`upload: ${ignored.join(', ')} will not be ingested: ${skipReason()}\n`);
  try {
    const since = Date.now();
    const uploads = await putFiles(s3, files, {
      bucket,
      prefix,
      onUploaded: (u) => process.stdout.write(`s3://${bucket}/${u.key}\n`),
    });
    if (!wait || !outputs) return 0;
    // Files the bucket never delivers to the ingest have no outcome to wait for.
    const awaited = uploads.filter((u) => triggersIngest(basename(u.key)));
    const outcomes = await Promise.all(
      awaited.map(async (u) => {
        const outcome = await waitForOutcome(
          s3,
          { bucket, key: u.key, etag: u.etag, since },
          {
            outputs,
            reportsPrefix: cfg.ingest.reportsPrefix,
            timeoutMs,
          },
        );
        // Each as it comes: a long ingest does not hold back the lines of the others.
        process.stdout.write(`${describeOutcome(outcome)}\n`);
        return outcome;
      }),
    );
    return outcomes.some(outcomeFailed) ? 1 : 0;
  } finally {
    s3.destroy();
  }
}

runCli('upload', USAGE, () => main(process.argv.slice(2)));
