// Every measured runner runs in a node process of its own, with the bench's environment (its
// keyspace, LocalStack, quiet logs): the bench process's own environment is never changed.
import { spawn } from 'node:child_process';

/** A runner's stderr line with this prefix is progress, passed on to the bench's log. */
export const PROGRESS = 'progress: ';

export interface RunNodeOptions {
  env?: Record<string, string>;
  /** Runs the process on these CPUs only (taskset -c), e.g. "1". */
  cpus?: string;
}

export type RunNode = <T>(script: string, args: string[], options?: RunNodeOptions) => Promise<T>;

/** Runs a bundled runner in its own node process and returns the JSON line it prints last. */
export function nodeRunner(baseEnv: Record<string, string>, log: (m: string) => void): RunNode {
  return <T>(script: string, args: string[], { env = {}, cpus }: RunNodeOptions = {}) =>
    new Promise<T>((resolve, reject) => {
      const argv = [process.execPath, script, ...args];
      const [command, ...rest] = cpus ? ['taskset', '-c', cpus, ...argv] : argv;
      const child = spawn(command as string, rest, {
        env: { ...baseEnv, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      let partial = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const lines = (partial + d.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith(PROGRESS)) log(line.slice(PROGRESS.length));
      });
      child.on('close', (code) => {
        const line = out.trim().split('\n').pop() ?? '';
        if (code !== 0 || !line.startsWith('{'))
          reject(new Error(`${script} exited ${code}:\n${err.slice(-3000)}`));
        else resolve(JSON.parse(line) as T);
      });
    });
}
