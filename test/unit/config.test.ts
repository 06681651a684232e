import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  apiAuth,
  apiCursorSecret,
  ConfigError,
  DEFAULT_INGEST_CONCURRENCY,
  DEFAULT_INGEST_DEADLINE_MARGIN_MS,
  DEFAULT_INGEST_LEASE_MS,
  DEFAULT_INGEST_RETRY_BUDGET_MS,
  DEFAULT_INGEST_SPLIT_BYTES,
  DEV_CURSOR_SECRET,
  LOCAL_ISSUER,
  loadConfig,
  parseReplication,
} from '../../lib/config';

const dir = mkdtempSync(join(tmpdir(), 'config-'));
const caFile = join(dir, 'keyspaces-ca.pem');
writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');

describe('loadConfig', () => {
  it('defaults to the local node, LOCAL_QUORUM and no auth', () => {
    const cfg = loadConfig({});
    expect(cfg.cassandra).toMatchObject({
      contactPoints: ['127.0.0.1:9042'],
      localDataCenter: 'datacenter1',
      keyspace: 'tracklog',
      replication: { class: 'SimpleStrategy', replicationFactor: 1 },
      writeConsistency: 'LOCAL_QUORUM',
      readConsistency: 'LOCAL_QUORUM',
      auth: { kind: 'none' },
      tls: { enabled: false, caFile: undefined },
    });
    expect(cfg.ingest).toEqual({
      concurrency: DEFAULT_INGEST_CONCURRENCY,
      retryBudgetMs: DEFAULT_INGEST_RETRY_BUDGET_MS,
      deadlineMs: undefined,
      deadlineMarginMs: DEFAULT_INGEST_DEADLINE_MARGIN_MS,
      leaseMs: DEFAULT_INGEST_LEASE_MS,
      readStallMs: 30_000,
      outputBucket: undefined,
      queueUrl: undefined,
      deadLetterQueueUrl: undefined,
      rejectsPrefix: 'rejected/',
      reportsPrefix: 'reports/',
      splitBytes: DEFAULT_INGEST_SPLIT_BYTES,
    });
    // Longer than the ingest function's 900 s: a live invocation never loses its claim.
    expect(DEFAULT_INGEST_LEASE_MS).toBeGreaterThan(900_000);
    expect(cfg.aws).toEqual({ region: 'us-east-1', endpoint: undefined, s3ForcePathStyle: false });
  });

  it('configures Amazon Keyspaces: SigV4 auth, TLS from a CA file, NetworkTopologyStrategy', () => {
    const cfg = loadConfig({
      CASSANDRA_CONTACT_POINTS: 'cassandra.eu-west-1.amazonaws.com:9142',
      CASSANDRA_LOCAL_DC: 'eu-west-1',
      CASSANDRA_AUTH: 'sigv4',
      CASSANDRA_TLS_CA_FILE: caFile,
      CASSANDRA_REPLICATION: 'NetworkTopologyStrategy:eu-west-1=3',
      AWS_REGION: 'eu-west-1',
    });
    expect(cfg.cassandra.auth).toEqual({ kind: 'sigv4', region: 'eu-west-1' });
    expect(cfg.cassandra.tls).toEqual({ enabled: true, caFile });
    expect(cfg.cassandra.replication).toEqual({
      class: 'NetworkTopologyStrategy',
      datacenters: { 'eu-west-1': 3 },
    });
  });

  it('splits objects above INGEST_SPLIT_BYTES, none when it is 0, and names a bad value', () => {
    expect(loadConfig({ INGEST_SPLIT_BYTES: '1048576' }).ingest.splitBytes).toBe(1_048_576);
    expect(loadConfig({ INGEST_SPLIT_BYTES: '0' }).ingest.splitBytes).toBeUndefined();
    expect(() => loadConfig({ INGEST_SPLIT_BYTES: '1 GiB' })).toThrow(/INGEST_SPLIT_BYTES/);
    expect(() => loadConfig({ INGEST_SPLIT_BYTES: '-1' })).toThrow(/INGEST_SPLIT_BYTES/);
  });

  it('uses path-style S3 by default when an endpoint such as LocalStack is set', () => {
    const cfg = loadConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', INGEST_REJECTS_PREFIX: 'bad' });
    expect(cfg.aws).toMatchObject({ endpoint: 'http://127.0.0.1:4566', s3ForcePathStyle: true });
    expect(cfg.ingest.rejectsPrefix).toBe('bad/');
  });

  it.each([
    ['CASSANDRA_KEYSPACE', 'drop table;'],
    ['CASSANDRA_KEYSPACE', 'Tracklog'],
    ['CASSANDRA_KEYSPACE', '_tracklog'],
    ['CASSANDRA_KEYSPACE', `k${'x'.repeat(48)}`],
    ['CASSANDRA_TLS_CA_FILE', '/no/such/ca.pem'],
    ['CASSANDRA_TLS_CA_FILE', dir],
    ['CORS_ORIGINS', 'app.example'],
    ['CORS_ORIGINS', 'https://app.example/'],
    ['CORS_ORIGINS', 'https://app.example,ftp://files.example'],
    ['CORS_ORIGINS', 'https://app.example/path'],
    ['CORS_ORIGINS', 'https://App.Example'],
    ['CORS_ORIGINS', '*,https://app.example'],
    ['CASSANDRA_CONTACT_POINTS', 'host with space'],
    ['CASSANDRA_WRITE_CONSISTENCY', 'MOST'],
    ['CASSANDRA_AUTH', 'kerberos'],
    ['CASSANDRA_TLS', 'maybe'],
    ['CASSANDRA_REPLICATION', 'EverywhereStrategy:3'],
    ['INGEST_CONCURRENCY', '0'],
    ['INGEST_CONCURRENCY', 'lots'],
    ['INGEST_MAX_RETRIES', '8'],
    ['INGEST_RETRY_BUDGET_MS', '-1'],
    ['INGEST_DEADLINE_MS', '10'],
    ['INGEST_LEASE_MS', 'forever'],
    ['INGEST_QUEUE_URL', 'my-queue'],
    ['INGEST_OUTPUT_BUCKET', 'Not_A_Bucket'],
    ['AWS_ENDPOINT_URL', 'localhost:4566'],
    ['LOG_LEVEL', 'verbose'],
    ['INGEST_REJECTS_PREFIX', '/abs'],
    ['INGEST_REPORTS_PREFIX', 'rejected/reports'],
    ['CURSOR_SECRET', 'short'],
  ])('rejects %s=%s with an error naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name}: `));
  });

  it('accepts the longest lowercase keyspace name Cassandra allows', () => {
    const name = `k${'x_9'.repeat(15)}ab`;
    expect(name).toHaveLength(48);
    expect(loadConfig({ CASSANDRA_KEYSPACE: name }).cassandra.keyspace).toBe(name);
  });

  it('says what the origin should have been written as', () => {
    expect(() => loadConfig({ CORS_ORIGINS: 'https://app.example:443' })).toThrow(
      'CORS_ORIGINS: "https://app.example:443" is not an origin as browsers send it; did you mean "https://app.example"?',
    );
  });

  it('accepts * and http(s) origins with ports', () => {
    expect(
      loadConfig({ CORS_ORIGINS: 'https://app.example, http://localhost:3000' }).api.corsOrigins,
    ).toEqual(['https://app.example', 'http://localhost:3000']);
    expect(loadConfig({ CORS_ORIGINS: '*' }).api.corsOrigins).toEqual(['*']);
  });

  describe('who may call the API (apiAuth)', () => {
    const lambda = { AWS_LAMBDA_FUNCTION_NAME: 'tracklog-prod-getListeners' };
    const auth = (env: Record<string, string>) => apiAuth(loadConfig(env));

    it('verifies tokens of the local issuer in the function by default, outside AWS', () => {
      expect(auth({})).toEqual({ issuer: LOCAL_ISSUER, audience: 'tracklog', verifiedBy: 'function' });
      expect(auth({ ...lambda, IS_OFFLINE: 'true' }).verifiedBy).toBe('function');
    });

    it('refuses gateway verification outside AWS Lambda: serverless offline verifies no signature', () => {
      expect(() => auth({ AUTH_VERIFIED_BY: 'gateway' })).toThrow(
        /^AUTH_VERIFIED_BY: is gateway outside AWS Lambda/,
      );
      expect(() => auth({ ...lambda, IS_OFFLINE: 'true', AUTH_VERIFIED_BY: 'gateway' })).toThrow(
        /^AUTH_VERIFIED_BY: /,
      );
      expect(() => auth({ AUTH_VERIFIED_BY: 'nobody' })).toThrow(
        /^AUTH_VERIFIED_BY: must be function or gateway/,
      );
    });

    it('needs an https issuer in AWS, and takes the gateway’s verification there', () => {
      expect(() => auth(lambda)).toThrow(/^AUTH_ISSUER: is required in AWS/);
      expect(() => auth({ ...lambda, AUTH_ISSUER: 'http://issuer.example.com' })).toThrow(
        /^AUTH_ISSUER: must be an https URL/,
      );
      expect(
        auth({
          ...lambda,
          AUTH_ISSUER: 'https://issuer.example.com/',
          AUTH_AUDIENCE: 'api',
          AUTH_VERIFIED_BY: 'gateway',
        }),
      ).toEqual({ issuer: 'https://issuer.example.com/', audience: 'api', verifiedBy: 'gateway' });
    });

    it('does not stop a Lambda that serves no API (the ingest) from loading its config', () => {
      expect(
        loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'tracklog-prod-ingest' }).api.auth.issuer,
      ).toBeUndefined();
    });
  });

  it('allows no other origin when CORS_ORIGINS is unset or empty', () => {
    expect(loadConfig({}).api.corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: ' ' }).api.corsOrigins).toEqual([]);
  });

  describe('the development cursor secret', () => {
    const lambda = { AWS_LAMBDA_FUNCTION_NAME: 'tracklog-prod-getListeners' };
    const cursorSecret = (env: Record<string, string>, resolved?: string) => {
      const cfg = loadConfig(env);
      return apiCursorSecret(resolved ? { ...cfg, api: { ...cfg.api, cursorSecret: resolved } } : cfg);
    };

    it('is refused to the API in a deployed Lambda, naming the variable', () => {
      expect(() => cursorSecret(lambda)).toThrow(/^CURSOR_SECRET: the development default is refused/);
      expect(() => cursorSecret({ ...lambda, CURSOR_SECRET: DEV_CURSOR_SECRET })).toThrow(/^CURSOR_SECRET: /);
    });

    it('does not stop a Lambda that signs no cursors (the ingest) from loading its config', () => {
      expect(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'tracklog-prod-ingest' }).api.deployedLambda).toBe(true);
    });

    it('is used locally and under serverless offline (IS_OFFLINE=true)', () => {
      expect(cursorSecret({})).toBe(DEV_CURSOR_SECRET);
      expect(cursorSecret({ ...lambda, IS_OFFLINE: 'true' })).toBe(DEV_CURSOR_SECRET);
    });

    it('is not needed in a Lambda whose SSM parameter resolved to a secret, or that sets its own', () => {
      expect(
        cursorSecret(
          { ...lambda, CURSOR_SECRET_SSM_PARAMETER: '/tracklog/prod/cursor-secret' },
          'from-ssm-0123456789',
        ),
      ).toBe('from-ssm-0123456789');
      expect(cursorSecret({ ...lambda, CURSOR_SECRET: 'a-secret-of-this-deployment' })).toBe(
        'a-secret-of-this-deployment',
      );
    });
  });

  it('requires a username and password for password auth, naming the missing one', () => {
    expect(() => loadConfig({ CASSANDRA_AUTH: 'password' })).toThrow(/^CASSANDRA_USERNAME: /);
    expect(() => loadConfig({ CASSANDRA_AUTH: 'password', CASSANDRA_USERNAME: 'u' })).toThrow(
      /^CASSANDRA_PASSWORD: /,
    );
  });
});

describe('parseReplication', () => {
  it('reads several datacenters', () => {
    expect(parseReplication('NetworkTopologyStrategy:dc1=3,dc2=2')).toEqual({
      class: 'NetworkTopologyStrategy',
      datacenters: { dc1: 3, dc2: 2 },
    });
  });
});
