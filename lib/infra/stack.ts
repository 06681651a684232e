// The entry serverless/stack.js bundles: the CloudFormation serverless.yml does not declare itself
// (the event flow of events.ts, the roles of iam.ts, the alarms of alarms.ts, the stage throttling
// and functions' concurrency of limits.ts and, on Amazon Keyspaces, the tables of keyspaces.ts), and the name and param helpers of names.ts that serverless.yml resolves through it.
import { alarmResources } from './alarms';
import { eventResources, outputsResources } from './events';
import { functionRoles } from './iam';
import { keyspacesResources } from './keyspaces';
import { stageThrottling } from './limits';
import { type StackOptions, stackNames } from './names';

export { reservedConcurrency } from './limits';
export { DATABASES, httpApiCors, stackNames, stageKeyspace, validKeyspace } from './names';

export function stackResources(opts: StackOptions) {
  const names = stackNames(opts.service, opts.stage);
  return {
    Resources: {
      ...eventResources(names),
      ...outputsResources(names, opts),
      ...functionRoles(opts),
      ...(opts.database === 'keyspaces' ? keyspacesResources(opts.keyspace) : {}),
      ...alarmResources(opts),
    },
    Outputs: {
      RawEventsBucketName: { Value: { Ref: 'RawEventsBucket' } },
      IngestOutputsBucketName: { Value: { Ref: 'IngestOutputsBucket' } },
      IngestQueueUrl: { Value: { Ref: 'IngestQueue' } },
      IngestDeadLetterQueueUrl: { Value: { Ref: 'IngestDeadLetterQueue' } },
      AlarmTopicArn: { Value: { Ref: 'AlarmTopic' } },
    },
    // Changes to resources osls generates itself.
    extensions: stageThrottling(opts),
  };
}
