// npm run upload -- <file ...> [--prefix incoming/]: puts event files into the local raw-events
// bucket, which triggers their ingest (with `npm run demo` running). Prints each object's s3:// URL.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3 } from '../lib/aws';
import { loadConfig } from '../lib/config';
import { LOCAL_NAMES } from './local/flow';

async function main(argv: string[]): Promise<number> {
  let prefix = 'incoming/';
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--prefix') prefix = argv[++i] ?? '';
    else files.push(argv[i] as string);
  }
  if (files.length === 0) {
    process.stderr.write('usage: npm run upload -- <file ...> [--prefix incoming/]\n');
    return 2;
  }
  const cfg = loadConfig({
    ...process.env,
    AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566',
  });
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  const s3 = createS3(cfg.aws);
  try {
    for (const file of files) {
      const key = `${prefix}${basename(file)}`;
      await s3.send(
        new PutObjectCommand({ Bucket: LOCAL_NAMES.bucket, Key: key, Body: await readFile(file) }),
      );
      process.stdout.write(`s3://${LOCAL_NAMES.bucket}/${key}\n`);
    }
  } finally {
    s3.destroy();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`upload: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
