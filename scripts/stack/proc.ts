// Background processes owned by the stack scripts: started detached, recorded in a pid file,
// recognised by their command line (so a recycled pid is never mistaken for ours), stopped by pid.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

export interface PidRecord {
  pid: number;
  /** A string the process's command line contains; guards against pid reuse. */
  marker: string;
  startedAt: string;
}

export function readPidFile(path: string): PidRecord | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'pid' in parsed &&
      typeof parsed.pid === 'number' &&
      'marker' in parsed &&
      typeof parsed.marker === 'string' &&
      'startedAt' in parsed &&
      typeof parsed.startedAt === 'string'
    ) {
      return { pid: parsed.pid, marker: parsed.marker, startedAt: parsed.startedAt };
    }
  } catch {
    // A torn or hand-edited pid file is treated as absent.
  }
  return undefined;
}

export function commandLine(pid: number): string | undefined {
  const ps = spawnSync('ps', ['-ww', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
  const out = ps.status === 0 ? ps.stdout.trim() : '';
  return out.length > 0 ? out : undefined;
}

/** The recorded process if it is still running and is still the process we started. */
export function liveProcess(pidFile: string): PidRecord | undefined {
  const rec = readPidFile(pidFile);
  if (!rec) return undefined;
  const args = commandLine(rec.pid);
  return args?.includes(rec.marker) ? rec : undefined;
}

/** Resident set size in MiB (the process and, for a group leader, nothing else). */
export function rssMiB(pid: number): number | undefined {
  const ps = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
  const kib = Number.parseInt(ps.stdout.trim(), 10);
  return Number.isFinite(kib) ? Math.round(kib / 1024) : undefined;
}

export interface StartOptions {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
  pidFile: string;
  marker: string;
}

/** Starts a detached process (its own process group) whose output goes to logFile. */
export function startDetached(opts: StartOptions): PidRecord {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  mkdirSync(dirname(opts.pidFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${opts.command}`);
    child.unref();
    const rec: PidRecord = { pid: child.pid, marker: opts.marker, startedAt: new Date().toISOString() };
    writeFileSync(opts.pidFile, `${JSON.stringify(rec)}\n`);
    return rec;
  } finally {
    closeSync(fd);
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: unknown) {
    // EPERM means it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops the process recorded in pidFile (SIGTERM to its group, SIGKILL after graceMs) and removes the
 * pid file. Returns false when there was nothing of ours to stop. `first: 'SIGKILL'` kills at once,
 * as a crash would (a fault test's node that gets no chance to drain).
 */
export async function stopRecorded(
  pidFile: string,
  graceMs: number,
  first: 'SIGTERM' | 'SIGKILL' = 'SIGTERM',
): Promise<boolean> {
  const rec = liveProcess(pidFile);
  if (!rec) {
    rmSync(pidFile, { force: true });
    return false;
  }
  signalGroup(rec.pid, first);
  const deadline = Date.now() + graceMs;
  while (isRunning(rec.pid) && Date.now() < deadline) await sleep(200);
  if (isRunning(rec.pid)) {
    signalGroup(rec.pid, 'SIGKILL');
    while (isRunning(rec.pid)) await sleep(100);
  }
  rmSync(pidFile, { force: true });
  return true;
}

/** The last lines of a log file, for error messages when a process dies during start-up. */
export function tail(path: string, lines: number): string {
  if (!existsSync(path)) return '(no log written)';
  const text = readFileSync(path, 'utf8');
  return text
    .split('\n')
    .slice(-lines - 1)
    .join('\n');
}

/** True when something already listens on host:port. */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

export interface RunResult {
  status: number | null;
  output: string;
}

/**
 * Runs a command to completion without blocking the event loop; stdout and stderr are captured. With
 * timeoutMs, a command still running then is killed (SIGKILL) and resolves with status null.
 */
export function runCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd?: string,
  timeoutMs?: number,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env,
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(timeoutMs !== undefined ? { timeout: timeoutMs, killSignal: 'SIGKILL' as const } : {}),
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, output: Buffer.concat(chunks).toString('utf8') }));
  });
}
