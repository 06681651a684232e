// The alarms of a deployed stage, to one SNS topic (with an email subscription when the alarmEmail
// param names one): what an operator must hear about without reading logs. Queue alarms come from
// SQS's own metrics, function errors and throttles from Lambda's, 5xx from the HTTP API's, failed
// ingests from the ingest's own metric (lib/metrics.ts: a failure reported as a batch item failure
// is no Lambda error), and, on Amazon Keyspaces, throttling from its table and connection metrics.
import { allTables } from '../cassandra/model';
import { DEFAULT_INGEST_DEADLINE_MARGIN_MS } from '../config';
import { INGEST_METRICS } from '../metric-names';
import { INGEST_TIMEOUT_SECONDS } from './events';
import { FUNCTIONS, type FunctionName, logicalId, type Resource, type StackOptions } from './names';

/**
 * How long an ingest invocation may run before its duration alarms. A part of a big object reads
 * until INGEST_DEADLINE_MARGIN_MS before the timeout and then drains its writes and records its
 * checkpoint within a few seconds (bench/README.md, "Parts"), so a long run is normal; one still
 * running halfway into the margin did not stop in time (a slow drain, a stuck write) and is close
 * to being killed.
 */
export const DURATION_ALARM_MS = INGEST_TIMEOUT_SECONDS * 1000 - DEFAULT_INGEST_DEADLINE_MARGIN_MS / 2;

/** The functions' names as serverless gives them: `<service>-<stage>-<function>`. */
const functionName = (opts: StackOptions, fn: FunctionName) => `${opts.service}-${opts.stage}-${fn}`;

interface AlarmSpec {
  description: string;
  namespace: string;
  metric: string;
  dimensions: { Name: string; Value: unknown }[];
  statistic: 'Sum' | 'Maximum';
  /** Greater than or equal to this, over one 1-minute period (5 for the slow SQS metrics). */
  threshold: number;
  periodSeconds?: number;
}

function alarm(opts: StackOptions, spec: AlarmSpec): Resource {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmDescription: `${opts.service} ${opts.stage}: ${spec.description}`,
      Namespace: spec.namespace,
      MetricName: spec.metric,
      Dimensions: spec.dimensions,
      Statistic: spec.statistic,
      Period: spec.periodSeconds ?? 60,
      EvaluationPeriods: 1,
      Threshold: spec.threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      // No data is no trouble: a quiet stage sends no metrics at all.
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
      OKActions: [{ Ref: 'AlarmTopic' }],
    },
  };
}

export function alarmResources(opts: StackOptions): Record<string, Resource> {
  const resources: Record<string, Resource> = {
    AlarmTopic: {
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: `${opts.service}-${opts.stage}-alarms` },
    },
  };
  if (opts.alarmEmail.trim() !== '') {
    resources.AlarmEmailSubscription = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: opts.alarmEmail.trim() },
    };
  }
  const add = (id: string, spec: AlarmSpec) => {
    resources[`${id}Alarm`] = alarm(opts, spec);
  };
  const queue = (ref: string) => [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ref, 'QueueName'] } }];
  add('DeadLetterQueueMessages', {
    description:
      'messages in the ingest dead-letter queue: objects that could not be ingested (npm run redrive)',
    namespace: 'AWS/SQS',
    metric: 'ApproximateNumberOfMessagesVisible',
    dimensions: queue('IngestDeadLetterQueue'),
    statistic: 'Maximum',
    threshold: 1,
    periodSeconds: 300,
  });
  add('IngestQueueAge', {
    description: `the ingest queue's oldest message is over ${opts.queueAgeAlarmSeconds} s old: uploads wait and are not ingested`,
    namespace: 'AWS/SQS',
    metric: 'ApproximateAgeOfOldestMessage',
    dimensions: queue('IngestQueue'),
    statistic: 'Maximum',
    threshold: opts.queueAgeAlarmSeconds,
    periodSeconds: 300,
  });
  add('IngestsFailed', {
    description: 'ingests failed (the report and the ledger say why)',
    namespace: 'tracklog',
    metric: INGEST_METRICS.failed,
    dimensions: [{ Name: 'service', Value: `${opts.service}-${opts.stage}` }],
    statistic: 'Sum',
    threshold: 1,
  });
  add('IngestDefects', {
    description:
      'an ingest part failed on a bug (a broken invariant or an unexpected error): its message is in the dead-letter queue with the report',
    namespace: 'tracklog',
    metric: INGEST_METRICS.defects,
    dimensions: [{ Name: 'service', Value: `${opts.service}-${opts.stage}` }],
    statistic: 'Sum',
    threshold: 1,
  });
  add('IngestsStalled', {
    description:
      'the sweep found an object version in progress that no message carried on (a lost message) and resumed it',
    namespace: 'tracklog',
    metric: INGEST_METRICS.stalled,
    dimensions: [{ Name: 'service', Value: `${opts.service}-${opts.stage}` }],
    statistic: 'Sum',
    threshold: 1,
  });
  add('IngestDuration', {
    description: `an ingest ran over ${DURATION_ALARM_MS / 1000} s of its ${INGEST_TIMEOUT_SECONDS} s timeout: it did not stop at its part's deadline in time`,
    namespace: 'AWS/Lambda',
    metric: 'Duration',
    dimensions: [{ Name: 'FunctionName', Value: functionName(opts, 'ingest') }],
    statistic: 'Maximum',
    threshold: DURATION_ALARM_MS,
  });
  for (const fn of FUNCTIONS) {
    for (const metric of ['Errors', 'Throttles'] as const) {
      add(`${logicalId(fn)}${metric}`, {
        description: `${fn}: Lambda ${metric.toLowerCase()}`,
        namespace: 'AWS/Lambda',
        metric,
        dimensions: [{ Name: 'FunctionName', Value: functionName(opts, fn) }],
        statistic: 'Sum',
        threshold: 1,
      });
    }
  }
  add('HttpApi5xx', {
    description: 'the HTTP API answered 5xx (503 when Cassandra is unavailable, 500 on a bug)',
    namespace: 'AWS/ApiGateway',
    metric: '5xx',
    dimensions: [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }],
    statistic: 'Sum',
    threshold: 1,
  });
  if (opts.database === 'keyspaces') {
    for (const table of allTables) {
      const dimensions = [
        { Name: 'Keyspace', Value: opts.keyspace },
        { Name: 'TableName', Value: table.name },
      ];
      add(`${logicalId(table.name)}WriteThrottle`, {
        description: `Keyspaces throttled writes to ${table.name} (over the table's capacity: pre-warm it or set INGEST_MAX_WRITES_PER_SECOND)`,
        namespace: 'AWS/Cassandra',
        metric: 'WriteThrottleEvents',
        dimensions,
        statistic: 'Sum',
        threshold: 1,
      });
      add(`${logicalId(table.name)}PartitionThroughput`, {
        description: `a partition of ${table.name} took more than Keyspaces' 1,000 writes a second`,
        namespace: 'AWS/Cassandra',
        metric: 'StoragePartitionThroughputCapacityExceeded',
        dimensions,
        statistic: 'Sum',
        threshold: 1,
      });
    }
    add('PerConnectionRequestRate', {
      description:
        "a connection took more than Keyspaces' 3,000 requests a second (raise CASSANDRA_CONNECTIONS_PER_HOST)",
      namespace: 'AWS/Cassandra',
      metric: 'PerConnectionRequestRateExceeded',
      dimensions: [{ Name: 'Keyspace', Value: opts.keyspace }],
      statistic: 'Sum',
      threshold: 1,
    });
  }
  return resources;
}
