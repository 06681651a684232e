// npm run upload -- <file ...> [--prefix incoming/]: puts event files into the local raw-events
// bucket, which triggers their ingest (with `npm run demo` running). Prints each object's s3:// URL.
// Bodies are streamed from disk, a few files at a time.
import { basename } from 'node:path';
import { createS3 } from '../lib/aws';
import { loadConfig } from '../lib/config';
import { triggersIngest } from '../lib/events/formats';
import { parseCommandLine, runCli, UsageError } from './cli';
import { skipReason } from './local/event-files';
import { LOCAL_NAMES } from './local/flow';
import { putFiles } from './local/put-files';

const USAGE = 'usage: npm run upload -- <file ...> [--prefix incoming/]';

async function main(argv: string[]): Promise<number> {
  const { values, positionals: files } = parseCommandLine(
    argv,
    { prefix: { type: 'string', default: 'incoming/' } },
    true,
  );
  const prefix = values.prefix;
  if (files.length === 0) throw new UsageError('no file given');
  const cfg = loadConfig({
    ...process.env,
    AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566',
  });
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  const s3 = createS3(cfg.aws);
  const ignored = files.map((f) => basename(f)).filter((name) => !triggersIngest(name));
  if (ignored.length > 0)
    process.stderr.write(`upload: ${ignored.join(', ')} will not be ingested: ${skipReason()}\n`);
  try {
    await putFiles(s3, files, {
      bucket: LOCAL_NAMES.bucket,
      prefix,
      onUploaded: (u) => process.stdout.write(`s3://${LOCAL_NAMES.bucket}/${u.key}\n`),
    });
  } finally {
    s3.destroy();
  }
  return 0;
}

runCli('upload', USAGE, () => main(process.argv.slice(2)));
