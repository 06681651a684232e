// npm run redrive [-- --dry-run] [--stage S] [--service S | --queue-url U --dead-letter-queue-url U]
// [--timeout SECONDS]: moves the messages of the ingest's dead-letter queue back to its ingest queue
// (SQS's message move task), once fixed versions of the objects they name are uploaded, and says how
// many and which objects. --dry-run only lists them. By default the local event flow's queues in
// LocalStack; --stage/--service name a deployed stack's (on AWS when AWS_ENDPOINT_URL is unset).
import { SQSClient } from '@aws-sdk/client-sqs';
import { parseCommandLine, runCli, wholeNumber } from './cli';
import {
  describeRedrive,
  queueUrls,
  type RedriveQueues,
  redrive,
  redriveSucceeded,
  redriveTarget,
} from './local/redrive';

// The SDK's notice that its 2027 releases will need Node 22 is for the maintainers (the lockfile
// pins releases that support Node 20). Set here, in the script's own entry (never in library code):
// the SDK reads it when the first client is made, below.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE =
  'usage: npm run redrive -- [--dry-run] [--stage STAGE] [--service NAME] ' +
  '[--queue-url URL --dead-letter-queue-url URL] [--timeout SECONDS]';

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, {
    'dry-run': { type: 'boolean', default: false },
    'queue-url': { type: 'string' },
    'dead-letter-queue-url': { type: 'string' },
    stage: { type: 'string' },
    service: { type: 'string' },
    timeout: { type: 'string' },
  });
  const dryRun = values['dry-run'];
  const timeoutMs = wholeNumber('timeout', values.timeout, 300, 1) * 1000;
  const target = redriveTarget(
    {
      queueUrl: values['queue-url'],
      deadLetterQueueUrl: values['dead-letter-queue-url'],
      stage: values.stage,
      service: values.service,
    },
    process.env,
  );
  const sqs = new SQSClient({
    region: target.region,
    ...(target.endpoint
      ? {
          endpoint: target.endpoint,
          // LocalStack takes any credentials; the SDK needs some to sign with.
          ...(process.env.AWS_ACCESS_KEY_ID
            ? {}
            : { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
        }
      : {}),
  });
  try {
    const queues: RedriveQueues =
      'queueUrl' in target.queues ? target.queues : await queueUrls(sqs, target.queues);
    const result = await redrive(sqs, queues, { dryRun, timeoutMs });
    for (const line of describeRedrive(result, dryRun)) process.stdout.write(`${line}\n`);
    return redriveSucceeded(result) ? 0 : 1;
  } finally {
    sqs.destroy();
  }
}

runCli('redrive', USAGE, () => main(process.argv.slice(2)));
