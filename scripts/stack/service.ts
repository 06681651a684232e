// What the generic up / status / down ladder (ladder.ts) needs to know about one service of the local
// stack. Each service is described once (cassandra.ts, localstack.ts) and the ladder treats them all
// alike, so a further service or Cassandra node is one more description, not one more ladder.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { ComposeService } from './docker';
import { waitFor } from './probes';
import { isRunning, liveProcess, rssMiB, type StartOptions, startDetached, stopRecorded, tail } from './proc';

/** A process these scripts started on the host, as its pid file records it. */
export interface HostProcess {
  pid: number;
  rssMiB: number | undefined;
}

/** Either the host has what the service needs (and `start` launches it there), or why not. */
export type HostPrerequisites = { ok: true; start: () => Promise<string> } | { ok: false; reason: string };

/** What status rows, `onStart` and `stackDown(only)` call a service. */
export type ServiceName = ComposeService | 'issuer';

export interface StackService {
  /** What status rows, `onStart` and `stackDown(only)` call it; every Cassandra node is `cassandra`. */
  name: ServiceName;
  /** This one service among those of the same name (`cassandra-2`); `stackDown(only)` takes it too. */
  id: string;
  /** The Cassandra node it is, for nodes after the first (status rows read `cassandra-2`). */
  node?: number;
  /** What messages call it, e.g. "cannot start Cassandra". */
  title: string;
  /** The client port; something listening there that is not ours means the user runs one. */
  address: string;
  port: number;
  /** What clients connect to: the external override when set, else the one these scripts run. */
  endpoint: string;
  /** The user's own endpoint (then nothing is started or stopped) and the variable that sets it. */
  external: string | undefined;
  externalSetting: string;
  /** Where a host start records the process, so later calls find (and stop) only what is ours. */
  pidFile: string;
  hostPrerequisites: () => HostPrerequisites;
  /**
   * Its service in docker-compose.yml, the fallback where the host lacks the prerequisites; none for a
   * cluster's further nodes, which run on the host only.
   */
  compose: ComposeService | undefined;
  /** Needs nothing but Node: started on the host even when TRACKLOG_STACK=docker (the issuer). */
  hostOnly?: boolean;
  /** The id of a service that must be up before this one starts (a node joins through the seed). */
  startAfter?: string;
  /** Asks the service once whether it serves real requests; resolves to its version. */
  probe: () => Promise<string>;
  probeIntervalMs: number;
  /**
   * How long a probe may keep failing: `ours` for a process or container of ours (start-up can be
   * slow), `external` for the user's endpoint, `portTaken` for an unknown process on our port.
   */
  waitMs: { ours: number; external: number; portTaken: number };
  /** How long a stop waits for a clean exit (Cassandra drains on SIGTERM) before SIGKILL. */
  stopGraceMs: number;
}

/** The process a pid file records, if it is still running and still the one we started. */
export function recordedProcess(pidFile: string): HostProcess | undefined {
  const rec = liveProcess(pidFile);
  return rec ? { pid: rec.pid, rssMiB: rssMiB(rec.pid) } : undefined;
}

export interface HostLaunch {
  process: StartOptions;
  /** Polled until it resolves (to the version); the start fails when the process dies first. */
  ready: () => Promise<string>;
  readyTimeoutMs: number;
  readyIntervalMs: number;
  title: string;
  /** Logs whose last lines explain a failed start. */
  logs: string[];
  logLines: number;
  /** A start that failed is stopped again; this is its grace before SIGKILL. */
  abortGraceMs: number;
  /**
   * Why a failed start would pass if made again, from what the process logged during it (the new
   * lines of `logs`), or undefined when a new start would fail the same way. Such a failure is
   * started again, up to `tries` starts in all.
   */
  passingFailure?: (logged: string) => string | undefined;
  /** Starts in all when every failure is a passing one; 1 (no retry) unless given. */
  tries?: number;
  /** Told before a start is made again: which one comes next and why the last failed. */
  onRetry?: (nextTry: number, reason: string) => void;
}

/** The size of a log now, so that what a start writes after it can be read alone. */
function logSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** What a log gained from offset on (all of it when it was replaced by a shorter one). */
function loggedSince(path: string, offset: number): string {
  const size = logSize(path);
  const from = size < offset ? 0 : offset;
  if (size <= from) return '';
  const buf = Buffer.alloc(size - from);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

/**
 * Starts a detached host process and waits until it answers. A start that fails leaves nothing
 * running and says why: the error carries the tails of its logs. A failure that `passingFailure`
 * recognises in what this start logged is started again, up to `tries` starts.
 */
export async function launchOnHost(launch: HostLaunch): Promise<string> {
  const tries = Math.max(1, launch.tries ?? 1);
  for (let attempt = 1; ; attempt++) {
    const offsets = launch.logs.map(logSize);
    const rec = startDetached(launch.process);
    try {
      return await waitFor(launch.ready, {
        timeoutMs: launch.readyTimeoutMs,
        intervalMs: launch.readyIntervalMs,
        alive: () => isRunning(rec.pid),
        what: launch.title,
      });
    } catch (err: unknown) {
      // Read before the stop, whose own shutdown lines would push the cause out of the tails.
      const logged = launch.logs.map((file, i) => loggedSince(file, offsets[i] ?? 0)).join('\n');
      const logs = launch.logs.map((file) => `--- ${file}\n${tail(file, launch.logLines)}`).join('\n');
      await stopRecorded(launch.process.pidFile, launch.abortGraceMs);
      const reason = launch.passingFailure?.(logged);
      if (reason !== undefined && attempt < tries) {
        launch.onRetry?.(attempt + 1, reason);
        continue;
      }
      const why =
        reason !== undefined
          ? ` (${reason}; ${attempt} ${attempt === 1 ? 'start' : 'starts'} made, the most allowed)`
          : launch.passingFailure
            ? ' (not started again: nothing it logged is a failure that a new start passes)'
            : '';
      throw new Error(`${err instanceof Error ? err.message : String(err)}${why}\n${logs}`);
    }
  }
}
