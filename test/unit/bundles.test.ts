// What each Lambda bundle pulls in, as serverless-esbuild bundles it (the AWS SDK v3 comes from the
// runtime). The catch-all 404 never queries, so it must not carry the Cassandra driver.
import { join } from 'node:path';
import { build } from 'esbuild';

const repo = join(__dirname, '..', '..');

async function bundledPackages(fn: string): Promise<Set<string>> {
  const result = await build({
    entryPoints: [join(repo, 'functions', `${fn}.ts`)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    external: ['@aws-sdk/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const packages = Object.keys(result.metafile.inputs)
    .map((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1])
    .filter((p): p is string => p !== undefined);
  return new Set(packages);
}

describe('the Lambda bundles', () => {
  it('leave cassandra-driver out of the catch-all 404', async () => {
    expect([...(await bundledPackages('notFound'))]).not.toContain('cassandra-driver');
  });

  it('carry cassandra-driver in a function that queries (the check above can fail)', async () => {
    expect([...(await bundledPackages('getSessionItem'))]).toContain('cassandra-driver');
  });
});
