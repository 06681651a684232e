// Secrets named by SSM parameter in the config (CASSANDRA_PASSWORD_SSM_PARAMETER,
// CURSOR_SECRET_SSM_PARAMETER) are fetched once per container, at start, and never logged. Deployed
// functions get parameter names, not secret values, in their environment.
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type Config, ConfigError, config } from './config';

export type ParameterFetcher = (name: string) => Promise<string>;

function ssmFetcher(cfg: Config): ParameterFetcher {
  const ssm = new SSMClient({
    region: cfg.aws.region,
    ...(cfg.aws.endpoint ? { endpoint: cfg.aws.endpoint } : {}),
  });
  return async (name) => {
    const res = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = res.Parameter?.Value;
    if (!value) throw new Error(`SSM parameter ${name} is empty`);
    return value;
  };
}

/**
 * The config with the secrets its SSM parameters hold. The Lambdas (configWithSecrets) and the CLIs
 * (npm run ingest, npm run schema) both start through this; a parameter that cannot be read fails
 * with the variable that names it.
 */
export async function resolveSecrets(cfg: Config, fetcher?: ParameterFetcher): Promise<Config> {
  const { cassandraPassword, cursorSecret } = cfg.secretParameters;
  if (!cassandraPassword && !cursorSecret) return cfg;
  const ssm = fetcher ?? ssmFetcher(cfg);
  const fetch = async (variable: string, name: string) => {
    try {
      return await ssm(name);
    } catch (err: unknown) {
      throw new ConfigError(
        variable,
        `cannot read SSM parameter ${name}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
      );
    }
  };
  let resolved = cfg;
  if (cassandraPassword && cfg.cassandra.auth.kind === 'password') {
    const password = await fetch('CASSANDRA_PASSWORD_SSM_PARAMETER', cassandraPassword);
    resolved = {
      ...resolved,
      cassandra: { ...resolved.cassandra, auth: { ...cfg.cassandra.auth, password } },
    };
  }
  if (cursorSecret) {
    const secret = await fetch('CURSOR_SECRET_SSM_PARAMETER', cursorSecret);
    if (secret.length < 16)
      throw new ConfigError('CURSOR_SECRET_SSM_PARAMETER', `${cursorSecret} holds under 16 characters`);
    resolved = { ...resolved, api: { ...resolved.api, cursorSecret: secret } };
  }
  return resolved;
}

let resolved: Promise<Config> | undefined;

/** The process's configuration with its secrets fetched; computed once, retried after a failure. */
export function configWithSecrets(): Promise<Config> {
  resolved ??= resolveSecrets(config()).catch((err: unknown) => {
    resolved = undefined;
    throw err;
  });
  return resolved;
}
