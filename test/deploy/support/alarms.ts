// What every deployed variant must carry for operators: one alarm per failure an operator must hear
// of, each on the metric that shows it, all to the stage's SNS topic; the HTTP API's access log in
// JSON; and, on Amazon Keyspaces, its throttling alarms. Each variant's test file calls this on the
// template it packaged.
import { allTables } from '../../../lib/cassandra/model';
import { FUNCTIONS } from '../../../lib/infra/names';
import { ofType, props } from './package';

type Template = Parameters<typeof ofType>[0];

interface Alarm {
  Namespace: string;
  MetricName: string;
  Dimensions: { Name: string; Value: unknown }[];
  Statistic: string;
  Threshold: number;
  ComparisonOperator: string;
  AlarmActions: unknown[];
}

/** The alarms as namespace/metric → their dimensions' values, for readable expectations. */
function alarms(t: Template): Alarm[] {
  return ofType(t, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties as unknown as Alarm);
}

export function expectOperatorAlarms(
  t: Template,
  stage: string,
  opts: { keyspace?: string; email?: string },
): void {
  const all = alarms(t);
  const find = (namespace: string, metric: string, value?: unknown) =>
    all.filter(
      (a) =>
        a.Namespace === namespace &&
        a.MetricName === metric &&
        (value === undefined || a.Dimensions.some((d) => JSON.stringify(d.Value) === JSON.stringify(value))),
    );
  // Every alarm tells the topic, when it fires and when it clears.
  expect(all.length).toBeGreaterThan(0);
  for (const a of all) {
    expect(a.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    expect(a.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
  }
  expect(props(t, 'AlarmTopic').TopicName).toBe(`tracklog-${stage}-alarms`);
  if (opts.email) {
    expect(props(t, 'AlarmEmailSubscription')).toEqual({
      TopicArn: { Ref: 'AlarmTopic' },
      Protocol: 'email',
      Endpoint: opts.email,
    });
  } else {
    expect(ofType(t, 'AWS::SNS::Subscription')).toEqual([]);
  }

  expect(
    find('AWS/SQS', 'ApproximateNumberOfMessagesVisible', {
      'Fn::GetAtt': ['IngestDeadLetterQueue', 'QueueName'],
    }),
  ).toHaveLength(1);
  expect(
    find('AWS/SQS', 'ApproximateAgeOfOldestMessage', { 'Fn::GetAtt': ['IngestQueue', 'QueueName'] }),
  ).toEqual([expect.objectContaining({ Threshold: 3600, Statistic: 'Maximum' })]);
  for (const metric of ['IngestsFailed', 'IngestDefects', 'IngestsStalled'])
    expect(find('tracklog', metric, `tracklog-${stage}`)).toEqual([
      expect.objectContaining({ Threshold: 1, Statistic: 'Sum' }),
    ]);
  expect(find('AWS/Lambda', 'Duration', `tracklog-${stage}-ingest`)).toEqual([
    expect.objectContaining({ Threshold: 900_000 - 15_000 / 2, Statistic: 'Maximum' }),
  ]);
  for (const fn of FUNCTIONS) {
    expect(find('AWS/Lambda', 'Errors', `tracklog-${stage}-${fn}`)).toHaveLength(1);
    expect(find('AWS/Lambda', 'Throttles', `tracklog-${stage}-${fn}`)).toHaveLength(1);
  }
  expect(find('AWS/ApiGateway', '5xx', { Ref: 'HttpApi' })).toHaveLength(1);

  const keyspaces = all.filter((a) => a.Namespace === 'AWS/Cassandra');
  if (opts.keyspace) {
    for (const table of allTables) {
      for (const metric of ['WriteThrottleEvents', 'StoragePartitionThroughputCapacityExceeded']) {
        expect(
          keyspaces.filter(
            (a) =>
              a.MetricName === metric &&
              JSON.stringify(a.Dimensions) ===
                JSON.stringify([
                  { Name: 'Keyspace', Value: opts.keyspace },
                  { Name: 'TableName', Value: table.name },
                ]),
          ),
        ).toHaveLength(1);
      }
    }
    expect(keyspaces.filter((a) => a.MetricName === 'PerConnectionRequestRateExceeded')).toHaveLength(1);
    expect(keyspaces).toHaveLength(allTables.length * 2 + 1);
  } else {
    expect(keyspaces).toEqual([]);
  }

  // The HTTP API's access log: one JSON object a request.
  const stageProps = ofType(t, 'AWS::ApiGatewayV2::Stage')[0]?.[1].Properties as {
    AccessLogSettings?: { Format: string; DestinationArn: unknown };
  };
  const format = stageProps.AccessLogSettings?.Format ?? '';
  expect(Object.keys(JSON.parse(format))).toEqual(
    expect.arrayContaining(['requestId', 'status', 'routeKey', 'latencyMs']),
  );
}
