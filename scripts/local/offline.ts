// Starts `serverless offline` (HTTP API + Lambda invoke endpoint) as a child process and waits until
// it answers; used by the integration tests, the demo and the benchmark.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const repo = resolve(__dirname, '..', '..');

export interface Offline {
  baseUrl: string;
  lambdaUrl: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
  /** SIGKILL to its whole process group, at once (as Lambda ends an invocation at its time limit). */
  kill(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => res(port));
    });
  });
}

export interface OfflineOptions {
  env?: Record<string, string>;
  httpPort?: number;
  lambdaPort?: number;
  /** Where its output goes (and its esbuild folder is named after). */
  name?: string;
  timeoutMs?: number;
}

export async function startOffline(opts: OfflineOptions = {}): Promise<Offline> {
  const httpPort = opts.httpPort ?? (await freePort());
  const lambdaPort = opts.lambdaPort ?? (await freePort());
  const name = opts.name ?? `offline-${httpPort}`;
  const logDir = join(repo, '.local', 'offline');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(
    join(repo, 'node_modules', '.bin', 'serverless'),
    [
      'offline',
      'start',
      '--useInProcess',
      '--httpPort',
      String(httpPort),
      '--lambdaPort',
      String(lambdaPort),
      '--host',
      '127.0.0.1',
    ],
    {
      cwd: repo,
      env: { ...process.env, TRACKLOG_ESBUILD_DIR: `.esbuild-${name}`, ...opts.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start serverless offline');
  let exited = false;
  // If this process ends without calling stop(), the detached child must not outlive it.
  const killOnExit = () => {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);
  child.once('exit', () => {
    exited = true;
    process.removeListener('exit', killOnExit);
  });
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      return;
    }
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (!exited) process.kill(-pid, 'SIGKILL');
  };
  const kill = async () => {
    if (exited) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      return;
    }
    while (!exited) await new Promise((r) => setTimeout(r, 50));
  };
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    if (exited) throw new Error(`serverless offline exited during start-up; see ${logFile}`);
    try {
      // The catch-all route answers a JSON 404 once the handlers are built and served.
      const res = await fetch(`${baseUrl}/__ready`, { signal: AbortSignal.timeout(5000) });
      if (res.status === 404 && res.headers.get('content-type')?.startsWith('application/json')) {
        return { baseUrl, lambdaUrl: `http://127.0.0.1:${lambdaPort}`, pid, logFile, stop, kill };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(`serverless offline did not answer within ${opts.timeoutMs ?? 120_000} ms; see ${logFile}`);
}
