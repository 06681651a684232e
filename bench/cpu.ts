// CPU time, the bench's second measure beside wall time: the loader's own (a runner reports its
// process's; a command is run under a small Python wrapper that reports the user + system time of
// every process it started and waited for, so cqlsh's worker processes count, and DSBulk's JVM),
// and Cassandra's, read from /proc around each run. Per play, that separates "the loader is slow"
// from "the node is busy"; the two share this machine's cores.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPython } from '../scripts/stack/localstack';
import { type RunResult, runCommand } from '../scripts/stack/proc';
import type { StackSettings } from '../scripts/stack/settings';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** User and system CPU time a process has used so far, apart, in ms (its threads included). */
export function processCpuSplitMs(pid: number): { userMs: number; systemMs: number } {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return {
    userMs: (Number(fields[11]) * 1000) / TICKS_PER_SECOND,
    systemMs: (Number(fields[12]) * 1000) / TICKS_PER_SECOND,
  };
}

/** User + system CPU time a process has used so far, in ms (its threads included). */
export function processCpuMs(pid: number): number {
  const { userMs, systemMs } = processCpuSplitMs(pid);
  return userMs + systemMs;
}

// Runs argv[2:], passes its exit status on, and writes the CPU time (ms) of everything it waited
// for, and the largest peak RSS (KiB) among those processes.
const WRAPPER = `
import os, resource, subprocess, sys
status = subprocess.call(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    out.write("%f %d" % ((usage.ru_utime + usage.ru_stime) * 1000, usage.ru_maxrss))
sys.exit(status)
`;

/**
 * runCommand, with the CPU time (ms) of the command and every process under it, and the peak RSS
 * (KiB) of the largest of them.
 */
export async function runWithCpu(
  s: StackSettings,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd?: string,
): Promise<RunResult & { cpuMs: number; maxRssKb: number }> {
  const python = findPython(s);
  if (!('path' in python)) throw new Error(python.missing);
  const dir = await mkdtemp(join(tmpdir(), 'bench-cpu-'));
  try {
    const file = join(dir, 'cpu');
    const r = await runCommand(python.path, ['-c', WRAPPER, file, command, ...args], env, cwd);
    const [cpuMs, maxRssKb] = (await readFile(file, 'utf8')).split(' ').map(Number) as [number, number];
    return { ...r, cpuMs, maxRssKb };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
