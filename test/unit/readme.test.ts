// The README tells users exactly which uploads start an ingest (the bucket's notification suffixes)
// and which environment variables the configuration reads: both are checked against the code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config';
import { BUCKET_TRIGGER_SUFFIXES } from '../../lib/events/formats';
import { readStackSettings } from '../../scripts/stack/settings';

const root = join(__dirname, '..', '..');
const readme = () => readFileSync(join(root, 'README.md'), 'utf8');

/** The text of a README section: from its heading to the next heading of the same or a higher level. */
function section(text: string, heading: string): string {
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`the README has no section "${heading}"`);
  const rest = text.slice(start + heading.length + 2);
  const next = new RegExp(`^#{1,${level}} `, 'm').exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

/** The variables named in the first column of the first table of a piece of Markdown. */
function tableVariables(markdown: string): string[] {
  const table = /(?:^\|.*\|[ \t]*\n)+/m.exec(markdown)?.[0] ?? '';
  return [...table.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1] as string);
}

/** Every name a function looks up in an environment object, recorded as it runs. */
function recordReads(run: (env: Record<string, string | undefined>) => unknown, env: Record<string, string>) {
  const read = new Set<string>();
  const proxy = new Proxy(env as Record<string, string | undefined>, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return Reflect.get(target, name);
    },
  });
  run(proxy);
  return read;
}

/**
 * The variables lib/config.ts reads, two ways at once, so that neither a branch a run does not take
 * nor a name the source does not spell out is missed: what loadConfig looks up while it runs (with
 * settings that take its conditional branches), and every name the source passes a reader together
 * with `env` (`str(env, 'NAME')`, `env.NAME`, `env['NAME']`).
 */
function variablesConfigReads(): string[] {
  const read = new Set<string>();
  const scenarios: Record<string, string>[] = [
    {},
    { CASSANDRA_AUTH: 'password', CASSANDRA_USERNAME: 'u', CASSANDRA_PASSWORD: 'p' },
    { CASSANDRA_AUTH: 'password', CASSANDRA_USERNAME: 'u', CASSANDRA_PASSWORD_SSM_PARAMETER: '/p' },
    { CASSANDRA_AUTH: 'sigv4', AWS_LAMBDA_FUNCTION_NAME: 'f', IS_OFFLINE: 'true' },
  ];
  for (const env of scenarios) {
    for (const name of recordReads((e) => loadConfig(e), env)) read.add(name);
  }
  const source = readFileSync(join(root, 'lib', 'config.ts'), 'utf8');
  for (const m of source.matchAll(
    /\benv(?:\.([A-Z][A-Z0-9_]*)|\[\s*'([A-Z][A-Z0-9_]*)'\s*\]|,\s*'([A-Z][A-Z0-9_]*)')/g,
  ))
    read.add((m[1] ?? m[2] ?? m[3]) as string);
  return [...read].filter((name) => /^[A-Z][A-Z0-9_]*$/.test(name)).sort();
}

/** The variables the stack scripts' settings read: as readStackSettings runs, and as its source names them. */
function variablesStackSettingsRead(): string[] {
  const saved = process.env;
  const read = new Set<string>();
  try {
    process.env = new Proxy(
      { ...saved, TRACKLOG_STACK: '', TRACKLOG_CASSANDRA_HEAP: '', TRACKLOG_CASSANDRA_NODES: '' },
      {
        get(target, name) {
          if (typeof name === 'string') read.add(name);
          return Reflect.get(target, name);
        },
      },
    );
    readStackSettings();
  } finally {
    process.env = saved;
  }
  const source = readFileSync(join(root, 'scripts', 'stack', 'settings.ts'), 'utf8');
  for (const m of source.matchAll(/\bnonEmpty\('([A-Z][A-Z0-9_]*)'\)/g)) read.add(m[1] as string);
  return [...read].filter((name) => /^[A-Z][A-Z0-9_]*$/.test(name)).sort();
}

describe('the README', () => {
  it('lists exactly the key suffixes the bucket notifies the ingest for', () => {
    const paragraph = /\*\*Which uploads start an ingest\.\*\*[\s\S]*?\n\n/.exec(readme())?.[0] ?? '';
    const listed = /keys ending in exactly([^(]*)\(/.exec(paragraph)?.[1] ?? '';
    expect([...listed.matchAll(/`([^`]+)`/g)].map((m) => m[1])).toEqual([...BUCKET_TRIGGER_SUFFIXES]);
  });

  it('lists in its Configuration table exactly the variables lib/config.ts reads', () => {
    const inCode = variablesConfigReads();
    // Guards against a reading that finds nothing, which would make the comparison below vacuous.
    expect(inCode).toEqual(
      expect.arrayContaining(['CASSANDRA_CONTACT_POINTS', 'INGEST_RETRY_BUDGET_MS', 'LOG_LEVEL']),
    );
    expect(inCode.length).toBeGreaterThanOrEqual(30);
    const documented = tableVariables(section(readme(), '## Configuration'));
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(inCode);
  });

  it('lists every variable the stack scripts read in its Configuration section', () => {
    const config = readme();
    const inCode = variablesStackSettingsRead();
    expect(inCode).toEqual(expect.arrayContaining(['TRACKLOG_STACK', 'TRACKLOG_CASSANDRA_NODES']));
    const documented = new Set([
      ...tableVariables(section(config, '## Configuration')),
      ...tableVariables(section(config, '### The local tools')),
    ]);
    expect(inCode.filter((name) => !documented.has(name))).toEqual([]);
  });
});
