import { loadConfig } from '../../lib/config';
import { resolveSecrets } from '../../lib/secrets';

describe('resolveSecrets', () => {
  const params: Record<string, string> = {
    '/tracklog/prod/cassandra-password': 's3cret-from-ssm',
    '/tracklog/prod/cursor-secret': 'a-long-cursor-secret-from-ssm',
  };
  const fetched: string[] = [];
  const fetcher = async (name: string) => {
    fetched.push(name);
    const value = params[name];
    if (value === undefined) throw new Error(`ParameterNotFound: ${name}`);
    return value;
  };

  it('fills the password and cursor secret from the named SSM parameters', async () => {
    const cfg = loadConfig({
      CASSANDRA_AUTH: 'password',
      CASSANDRA_USERNAME: 'tracklog',
      CASSANDRA_PASSWORD_SSM_PARAMETER: '/tracklog/prod/cassandra-password',
      CURSOR_SECRET_SSM_PARAMETER: '/tracklog/prod/cursor-secret',
    });
    const resolved = await resolveSecrets(cfg, fetcher);
    expect(resolved.cassandra.auth).toEqual({
      kind: 'password',
      username: 'tracklog',
      password: 's3cret-from-ssm',
    });
    expect(resolved.api.cursorSecret).toBe('a-long-cursor-secret-from-ssm');
  });

  it('asks SSM nothing when no parameter is named', async () => {
    fetched.length = 0;
    const cfg = loadConfig({
      CASSANDRA_AUTH: 'password',
      CASSANDRA_USERNAME: 'u',
      CASSANDRA_PASSWORD: 'direct',
    });
    expect(await resolveSecrets(cfg, fetcher)).toBe(cfg);
    expect(fetched).toEqual([]);
  });

  it('fails when a named parameter cannot be read', async () => {
    const cfg = loadConfig({ CURSOR_SECRET_SSM_PARAMETER: '/tracklog/prod/missing' });
    await expect(resolveSecrets(cfg, fetcher)).rejects.toThrow(
      'CURSOR_SECRET_SSM_PARAMETER: cannot read SSM parameter /tracklog/prod/missing: Error: ParameterNotFound: /tracklog/prod/missing',
    );
  });
});
