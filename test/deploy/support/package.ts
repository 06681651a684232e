// Packages the service with `serverless package` (osls, no AWS account needed) and reads the
// generated CloudFormation back, with the lookups the deploy tests share: resources by id or type,
// a function's environment and role statements, every statement or key anywhere in the template.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FunctionName } from '../../../lib/infra/names';

const repo = resolve(__dirname, '..', '..', '..');
export const PACKAGE_TIMEOUT_MS = 120_000;

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

interface Template {
  Resources: Record<string, Resource>;
}

interface Packaged {
  template: Template;
  dir: string;
}

function withoutContactPoints(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { CASSANDRA_CONTACT_POINTS: _, ...rest } = env;
  return rest;
}

/**
 * Packages a copy of the service (its node_modules linked) so that `.serverless` and the esbuild
 * folder are this run's own: osls empties `.serverless` in the service folder when it packages, so
 * two runs in one checkout (or two test files) would remove each other's artifacts.
 */
/** Every deployed stage names its token issuer; tests that are not about it get this one. */
export const EXAMPLE_ISSUER = 'https://issuer.example.com';

export function packageStack(given: string[], opts: { exampleIssuer?: boolean } = {}): Packaged {
  const named = given.some((a) => a.includes('authIssuer='));
  const args =
    named || opts.exampleIssuer === false ? given : [...given, `--param=authIssuer=${EXAMPLE_ISSUER}`];
  const service = mkdtempSync(join(tmpdir(), 'sls-service-'));
  const dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  try {
    for (const path of [
      'serverless.yml',
      'package.json',
      'tsconfig.json',
      'serverless',
      'lib',
      'functions',
    ]) {
      cpSync(join(repo, path), join(service, path), { recursive: true });
    }
    symlinkSync(join(repo, 'node_modules'), join(service, 'node_modules'), 'dir');
    const res = spawnSync(
      join(repo, 'node_modules', '.bin', 'serverless'),
      ['package', '--package', dir, ...args],
      {
        cwd: service,
        encoding: 'utf8',
        // Only what the arguments say: a contact point in the developer's environment would hide a missing one.
        env: { ...withoutContactPoints(process.env), TRACKLOG_ESBUILD_DIR: '.esbuild', AWS_ENDPOINT_URL: '' },
      },
    );
    if (res.status !== 0) throw new Error(`serverless package failed:\n${res.stdout}\n${res.stderr}`);
  } finally {
    rmSync(service, { recursive: true, force: true });
  }
  return {
    template: JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')),
    dir,
  };
}

/** Packages in beforeAll (once per variant) and hands the result to the tests of the block. */
export function packaged(args: string[]): () => Packaged {
  let result: Packaged | undefined;
  beforeAll(() => {
    result = packageStack(args);
  }, PACKAGE_TIMEOUT_MS);
  return () => {
    if (!result) throw new Error('the stack was not packaged');
    return result;
  };
}

/** A resource's properties; a missing resource fails the test with its name. */
export function props(t: Template, id: string): Record<string, unknown> {
  const resource = t.Resources[id];
  if (!resource) throw new Error(`the template has no ${id}`);
  return resource.Properties;
}

export const ofType = (t: Template, type: string) =>
  Object.entries(t.Resources).filter(([, r]) => r.Type === type);

// serverless's logical ids (`<Function>LambdaFunction`, `<Function>LogGroup`) and the roles
// serverless.yml names (`role: <Function>Role`).
const capitalized = (fn: FunctionName) => `${fn[0]?.toUpperCase()}${fn.slice(1)}`;
export const lambdaId = (fn: FunctionName) => `${capitalized(fn)}LambdaFunction`;
export const roleId = (fn: FunctionName) => `${capitalized(fn)}Role`;
/** The HTTP functions that read Cassandra: the three queries and the ingest status (getIngests). */
export const QUERY_FUNCTIONS = [
  'getSessionItem',
  'getUserSessionSongs',
  'getListeners',
  'getIngests',
] as const;

export function env(t: Template, fn: FunctionName): Record<string, string> {
  return (props(t, lambdaId(fn)).Environment as { Variables: Record<string, string> }).Variables;
}

interface Statement {
  Effect: string;
  Action: string[];
  Resource: unknown[];
}

/** The statements of a function's own role (its inline policies; it has no managed ones). */
export function roleStatements(t: Template, fn: FunctionName): Statement[] {
  const role = props(t, roleId(fn)) as {
    Policies: { PolicyDocument: { Statement: Statement[] } }[];
  };
  return role.Policies.flatMap((p) => p.PolicyDocument.Statement);
}

export const actions = (statements: Statement[], prefix: string) =>
  statements.filter((s) => s.Action.some((a) => a.startsWith(prefix)));

/** Every policy statement anywhere in the template (roles, policies, queue policies...). */
export function allStatements(
  node: unknown,
  path = 'Resources',
): { path: string; statement: Record<string, unknown> }[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => allStatements(n, `${path}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  const obj = node as Record<string, unknown>;
  const here = 'Effect' in obj && ('Action' in obj || 'NotAction' in obj) ? [{ path, statement: obj }] : [];
  return [...here, ...Object.entries(obj).flatMap(([k, v]) => allStatements(v, `${path}.${k}`))];
}

/** Where a key (ManagedPolicyArns, NotResource...) occurs anywhere in the template. */
export function keyPaths(node: unknown, key: string, path = 'Resources'): string[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => keyPaths(n, key, `${path}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) => [
    ...(k === key ? [`${path}.${k}`] : []),
    ...keyPaths(v, key, `${path}.${k}`),
  ]);
}

const resources = (s: Record<string, unknown>) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** The statements with a `*` resource, by where they are. */
export const starStatements = (t: Template) =>
  allStatements(t.Resources).filter(({ statement }) => resources(statement).includes('*'));

export const ssmArn = (name: string) => ({
  'Fn::Sub': `arn:aws:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}`,
});
const logGroup = (fn: FunctionName) => ({ 'Fn::GetAtt': [`${capitalized(fn)}LogGroup`, 'Arn'] });
export const logs = (fn: FunctionName): Statement => ({
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: [logGroup(fn)],
});

/** The SSM parameters a function fetches at start (lib/secrets.ts): those its environment names. */
export function fetchedParameters(t: Template, fn: FunctionName): string[] {
  const e = env(t, fn);
  return [
    e.CASSANDRA_AUTH === 'password' ? e.CASSANDRA_PASSWORD_SSM_PARAMETER : undefined,
    e.CURSOR_SECRET_SSM_PARAMETER,
  ].filter((p): p is string => p !== undefined && p.length > 0);
}
