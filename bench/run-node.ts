// Every measured runner runs in a node process of its own, with the bench's environment (its
// keyspace, LocalStack, quiet logs): the bench process's own environment is never changed.
import { spawn } from 'node:child_process';

/** A runner's stderr line with this prefix is progress, passed on to the bench's log. */
export const PROGRESS = 'progress: ';

export type RunNode = <T>(script: string, args: string[], env?: Record<string, string>) => Promise<T>;

/** Runs a bundled runner in its own node process and returns the JSON line it prints last. */
export function nodeRunner(baseEnv: Record<string, string>, log: (m: string) => void): RunNode {
  return <T>(script: string, args: string[], env: Record<string, string> = {}) =>
    new Promise<T>((resolve, reject) => {
      const child = spawn(process.execPath, [script, ...args], {
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
