// Python tools pinned in a lock (schemathesis, cfn-lint and checkov), each in a virtualenv of its
// own under the user cache, installed on first use with the Python the stack finds for LocalStack
// (>= 3.12). The folder is named after the tool, the Python and the lock's hash, so a new lock gets
// a new venv; a venv without its `.installed` marker is a half-finished install and starts again.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPython } from './localstack';
import { runCommand } from './proc';
import type { StackSettings } from './settings';

export interface PythonTools {
  /** The venv's name before `-py<version>-<lock hash>`. */
  name: string;
  /** What the tools are, for messages ("schemathesis 4.32.5"). */
  what: string;
  lockFile: string;
}

/** The venv's bin folder with the lock's packages installed (`--no-deps`: the lock pins them all). */
export async function ensurePythonTools(
  s: StackSettings,
  tools: PythonTools,
  log: (m: string) => void,
): Promise<string> {
  const python = findPython(s);
  if (!('path' in python)) throw new Error(`${tools.what} needs a Python >= 3.12: ${python.missing}`);
  const lockHash = createHash('sha256').update(readFileSync(tools.lockFile)).digest('hex').slice(0, 10);
  const venv = join(s.cacheDir, `${tools.name}-py${python.version}-${lockHash}`);
  const bin = join(venv, 'bin');
  const done = join(venv, '.installed');
  if (existsSync(done)) return bin;
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(s.cacheDir, { recursive: true });
  log(`installing ${tools.what} with its pinned dependencies from PyPI into ${venv}`);
  const steps: [string, string[]][] = [
    [python.path, ['-m', 'venv', venv]],
    [
      join(bin, 'python'),
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', tools.lockFile],
    ],
  ];
  for (const [cmd, args] of steps) {
    const r = await runCommand(cmd, args);
    if (r.status !== 0) {
      rmSync(venv, { recursive: true, force: true });
      throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.output}`);
    }
  }
  writeFileSync(done, `${new Date().toISOString()}\n`);
  return bin;
}
