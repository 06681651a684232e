// `serverless package` of a self-hosted Cassandra in a VPC (subnetIds, securityGroupIds), with two
// CORS origins and a named keyspace: which functions run in the VPC, their ENI statements (the only
// `*` resources of any variant), and the params passed through.
import { FUNCTIONS } from '../../lib/infra/names';
import { expectOperatorAlarms } from './support/alarms';
import {
  actions,
  env,
  keyPaths,
  lambdaId,
  logs,
  packaged,
  props,
  roleStatements,
  starStatements,
} from './support/package';

/** ENI management in a VPC: the Describe actions (which AWS allows only on `*`) and the rest. */
const VPC_DESCRIBE_ACTIONS = ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'];
const VPC_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

describe('serverless package (self-hosted Cassandra in a VPC, two CORS origins, a named keyspace)', () => {
  const stack = packaged([
    '--param=cassandraContactPoints=10.0.1.10:9042',
    '--stage',
    'prod',
    '--param=subnetIds=subnet-a,subnet-b',
    '--param=securityGroupIds=sg-1',
    '--param=corsOrigins=https://app.example,https://admin.example:8443',
    '--param=keyspace=tracklog_shared',
    '--param=alarmEmail=oncall@example.com',
  ]);

  it('carries the operator alarms, subscribed by email when alarmEmail is given', () => {
    expectOperatorAlarms(stack().template, 'prod', { email: 'oncall@example.com' });
  });
  const inVpc = FUNCTIONS.filter((fn) => fn !== 'notFound');

  it('runs the functions that reach Cassandra in the given subnets, and notFound outside', () => {
    const { template } = stack();
    for (const fn of inVpc) {
      expect(props(template, lambdaId(fn)).VpcConfig).toEqual({
        SubnetIds: ['subnet-a', 'subnet-b'],
        SecurityGroupIds: ['sg-1'],
      });
    }
    expect(props(template, 'NotFoundLambdaFunction').VpcConfig).toBeUndefined();
  });

  it('lets those functions manage their network interfaces, with * only where EC2 allows nothing else', () => {
    const { template } = stack();
    for (const fn of inVpc) {
      expect(actions(roleStatements(template, fn), 'ec2:')).toEqual([
        { Effect: 'Allow', Action: VPC_DESCRIBE_ACTIONS, Resource: ['*'] },
        {
          Effect: 'Allow',
          Action: VPC_ENI_ACTIONS,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders
          Resource: [{ 'Fn::Sub': 'arn:aws:ec2:${AWS::Region}:${AWS::AccountId}:*/*' }],
        },
      ]);
    }
    // AWS allows only the Describe actions on nothing narrower than *.
    const starActions = starStatements(template).flatMap(({ statement }) => statement.Action as string[]);
    expect(starActions.length).toBeGreaterThan(0);
    expect(starActions.filter((a) => !a.startsWith('ec2:Describe'))).toEqual([]);
    // The documented Describe statements are the template's only * resources; no managed policy
    // (AWSLambdaVPCAccessExecutionRole would grant logs and ENIs on *).
    expect(starStatements(template).map(({ statement }) => statement)).toEqual(
      inVpc.map(() => ({ Effect: 'Allow', Action: VPC_DESCRIBE_ACTIONS, Resource: ['*'] })),
    );
    expect(keyPaths(template.Resources, 'ManagedPolicyArns')).toEqual([]);
  });

  it('still gives notFound nothing but its own logs', () => {
    expect(roleStatements(stack().template, 'notFound')).toEqual([logs('notFound')]);
  });

  it('allows exactly the two CORS origins given', () => {
    const { template } = stack();
    expect((props(template, 'HttpApi').CorsConfiguration as { AllowOrigins: string[] }).AllowOrigins).toEqual(
      ['https://app.example', 'https://admin.example:8443'],
    );
    expect(env(template, 'getListeners').CORS_ORIGINS).toBe('https://app.example,https://admin.example:8443');
  });

  it('uses the keyspace given instead of the stage name', () => {
    expect(env(stack().template, 'ingest').CASSANDRA_KEYSPACE).toBe('tracklog_shared');
  });
});
