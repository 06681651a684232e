// What `serverless package` prints when the deploy's params are wrong: the project's own message,
// in osls's frame for a variable it could not resolve, and no JavaScript stack trace (which osls
// prints for any error that is not its own kind of user error; see serverless/stack.js).
import { PACKAGE_TIMEOUT_MS, packageStack } from './support/package';

/** The output of a package that must fail. */
function failedPackage(args: string[], opts: { exampleIssuer?: boolean } = {}): string {
  try {
    packageStack(args, opts);
  } catch (err: unknown) {
    return (err as Error).message;
  }
  throw new Error(`serverless package ${args.join(' ')} succeeded`);
}

/** A line of a JavaScript stack trace: "    at fn (/path/file.js:1:2)". */
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

describe('serverless package with a mistake in its params', () => {
  it.each([
    [
      'no contact points for a self-hosted Cassandra',
      ['--stage', 'prod'],
      'Cannot resolve variable at "resources": a self-hosted Cassandra needs its contact points: ' +
        '--param="cassandraContactPoints=10.0.1.10:9042,10.0.2.10:9042" (or CASSANDRA_CONTACT_POINTS), ' +
        'or deploy to Amazon Keyspaces with --param="database=keyspaces"',
    ],
    [
      'a keyspace name Cassandra would fold to lowercase',
      ['--stage', 'prod', '--param=cassandraContactPoints=10.0.1.10:9042', '--param=keyspace=Tracklog'],
      'Cannot resolve variable at "resources": param keyspace is "Tracklog": a keyspace name is a lowercase letter',
    ],
    [
      'a queue age alarm that is not a number of seconds',
      ['--stage', 'prod', '--param=cassandraContactPoints=10.0.1.10:9042', '--param=queueAgeAlarmSeconds=1h'],
      'Cannot resolve variable at "resources": param queueAgeAlarmSeconds is "1h": it must be a whole number of seconds above 0',
    ],
    [
      'a token issuer over plain HTTP',
      [
        '--stage',
        'prod',
        '--param=cassandraContactPoints=10.0.1.10:9042',
        '--param=authIssuer=http://issuer.example.com',
      ],
      'Cannot resolve variable at "resources": param authIssuer is "http://issuer.example.com": the API\'s bearer tokens need',
    ],
    [
      'an ingest concurrency below the 2 SQS takes',
      ['--stage', 'prod', '--param=database=keyspaces', '--param=ingestConcurrency=1'],
      'Cannot resolve variable at "custom.concurrency": param ingestConcurrency is "1": it must be a whole number of instances of at least 2',
    ],
    [
      'a throttle that is not a number',
      ['--stage', 'prod', '--param=database=keyspaces', '--param=apiThrottleRateLimit=fast'],
      'Cannot resolve variable at "resources": param apiThrottleRateLimit is "fast": it must be a whole number of requests a second above 0',
    ],
    [
      'CORS for every origin on a deployed stage',
      ['--stage', 'prod', '--param=database=keyspaces', '--param=corsOrigins=*'],
      'Cannot resolve variable at "provider.httpApi.cors": param corsOrigins * allows every origin, which only the local stage may: name the origins that may call stage prod',
    ],
    [
      'a retention of rejects and reports that is not a number of days',
      ['--stage', 'prod', '--param=database=keyspaces', '--param=outputsRetentionDays=0'],
      'Cannot resolve variable at "resources": param outputsRetentionDays is "0": it must be a whole number of days above 0',
    ],
  ])(
    'prints its message alone for %s',
    (_what, args, message) => {
      const output = failedPackage(args);
      expect(output).toContain(message);
      expect(output).not.toMatch(STACK_LINE);
      expect(output).not.toContain('Received rejection');
    },
    PACKAGE_TIMEOUT_MS,
  );
  it(
    'says a deployed stage needs its token issuer',
    () => {
      const output = failedPackage(['--stage', 'prod', '--param=cassandraContactPoints=10.0.1.10:9042'], {
        exampleIssuer: false,
      });
      expect(output).toContain(
        'Cannot resolve variable at "resources": param authIssuer is "": the API\'s bearer tokens need their OIDC issuer, an https URL',
      );
      expect(output).not.toMatch(STACK_LINE);
    },
    PACKAGE_TIMEOUT_MS,
  );
});
