// The deployed stack's names and params: what the bucket and queues are called, which keyspace a
// stage uses, the CORS origins param, the functions serverless.yml declares, and the options the
// generators (events.ts, keyspaces.ts, iam.ts, assembled by stack.ts) take.
// The same rule lib/config.ts applies to CASSANDRA_KEYSPACE at start.
import { KEYSPACE_NAME } from '../config';
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, parseCorsOrigins } from '../cors';
import { QUERY_METHODS } from '../queries/routes';

/** The values of the database param: a self-hosted cluster, or Amazon Keyspaces. */
export const DATABASES = ['cassandra', 'keyspaces'] as const;
export type Database = (typeof DATABASES)[number];

export interface StackNames {
  /** Where event logs are uploaded; every object in it with a trigger suffix is ingested. */
  bucket: string;
  /** Where the ingest writes its reports and rejects: never the raw bucket, so they trigger nothing. */
  outputs: string;
  queue: string;
  deadLetterQueue: string;
}

export function stackNames(service: string, stage: string): StackNames {
  return {
    bucket: `${service}-${stage}-raw-events`,
    outputs: `${service}-${stage}-ingest-outputs`,
    queue: `${service}-${stage}-ingest`,
    deadLetterQueue: `${service}-${stage}-ingest-dlq`,
  };
}

/**
 * The default keyspace of a deployed stage, `<service>_<stage>` (`tracklog_prod`), so that two
 * stages in one account never share or replace each other's keyspace. Stage names may hold `-`,
 * which keyspace names may not: every character outside [a-z0-9_] becomes `_`.
 */
export function stageKeyspace(service: string, stage: string): string {
  const name = `${service}_${stage}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return validKeyspace(name, `the keyspace derived from service ${service} and stage ${stage}`);
}

export function validKeyspace(name: string, what = 'param keyspace'): string {
  if (!KEYSPACE_NAME.test(name)) {
    throw new Error(
      `${what} is "${name}": a keyspace name is a lowercase letter followed by up to 47 lowercase letters, digits or _ (set --param="keyspace=...")`,
    );
  }
  return name;
}

/** The stage serverless offline runs: serverless.yml's default stage, with its own params. */
export const LOCAL_STAGE = 'local';

/** provider.httpApi.cors of serverless.yml: `false` is no CORS configuration at all. */
export type HttpApiCors =
  | {
      allowedOrigins: string[];
      allowedMethods: string[];
      allowedHeaders: string[];
      exposedResponseHeaders: string[];
    }
  | false;

/**
 * The HTTP API's CORS from the comma-separated corsOrigins param (lib/cors.ts's rule). No origin
 * named, no configuration: the gateway answers no preflight and browsers on other origins get
 * nothing. `*` only on the local stage: deployed routes return people's names, so the deploy names
 * the sites that may read them.
 */
export function httpApiCors(raw: string, stage: string): HttpApiCors {
  let origins: string[];
  try {
    origins = parseCorsOrigins(raw);
  } catch (err: unknown) {
    throw new Error(`param corsOrigins ${(err as Error).message}`);
  }
  if (origins.includes('*') && stage !== LOCAL_STAGE) {
    throw new Error(
      `param corsOrigins * allows every origin, which only the ${LOCAL_STAGE} stage may: name the origins that may call stage ${stage} (--param="corsOrigins=https://app.example"), or none`,
    );
  }
  return origins.length === 0
    ? false
    : {
        allowedOrigins: origins,
        allowedMethods: [...QUERY_METHODS],
        allowedHeaders: [...CORS_ALLOWED_HEADERS],
        exposedResponseHeaders: [...CORS_EXPOSED_HEADERS],
      };
}

/** The functions serverless.yml declares; each names its role, `<Function>Role`, as `role:`. */
export const FUNCTIONS = [
  'ingest',
  'sweep',
  'getSessionItem',
  'getUserSessionSongs',
  'getListeners',
  'getIngests',
  'notFound',
] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

export interface StackOptions {
  service: string;
  stage: string;
  database: Database;
  keyspace: string;
  rejectsPrefix: string;
  reportsPrefix: string;
  /** SSM parameters the functions fetch at start (the password only for password auth); '' if none. */
  cassandraPasswordParameter: string;
  cursorSecretParameter: string;
  /** The functions that reach Cassandra run in the VPC (subnetIds and securityGroupIds given). */
  vpc: boolean;
  /** Subscribed to the alarm topic (lib/infra/alarms.ts) when not empty. */
  alarmEmail: string;
  /** The ingest queue's oldest message older than this raises an alarm: uploads wait, nothing takes them. */
  queueAgeAlarmSeconds: number;
  /** Days a reject or report stays in the outputs bucket (lib/infra/events.ts, outputsResources). */
  outputsRetentionDays: number;
  /** The HTTP API stage's steady requests a second, and its burst (lib/infra/limits.ts). */
  apiThrottleRateLimit: number;
  apiThrottleBurstLimit: number;
}

/** A CloudFormation resource, as the generators return it. */
export type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  DeletionPolicy?: 'Retain';
  UpdateReplacePolicy?: 'Retain';
};

/** A logical id from a name: `songs_by_user_session` → `SongsByUserSession`, `ingest` → `Ingest`. */
export const logicalId = (name: string) =>
  name
    .split(/[^a-zA-Z0-9]/)
    .filter(Boolean)
    .map((p) => p[0]?.toUpperCase() + p.slice(1))
    .join('');
