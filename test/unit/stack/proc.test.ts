import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning, liveProcess, readPidFile, stopRecorded } from '../../../scripts/stack/proc';

describe('pid files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pid-'));

  it('recognises a recorded process only when its command line still carries the marker', () => {
    const file = join(dir, 'self.pid');
    writeFileSync(file, JSON.stringify({ pid: process.pid, marker: 'node', startedAt: 'now' }));
    expect(liveProcess(file)?.pid).toBe(process.pid);

    // Same pid, different marker: a recycled pid must not be mistaken for ours.
    writeFileSync(
      file,
      JSON.stringify({ pid: process.pid, marker: 'CassandraDaemon-xyz', startedAt: 'now' }),
    );
    expect(liveProcess(file)).toBeUndefined();
  });

  it('treats a torn pid file as absent', () => {
    const file = join(dir, 'torn.pid');
    writeFileSync(file, '{"pid": 12');
    expect(readPidFile(file)).toBeUndefined();
  });
});

describe('stopRecorded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stop-'));
  /** A shell that ignores SIGTERM, as a node busy draining would for a while. */
  const stubborn = (name: string) => {
    const marker = `stubborn-${name}-${process.pid}`;
    const child = spawn('sh', ['-c', `trap "" TERM; while :; do sleep 0.1; done # ${marker}`], {
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
    const pidFile = join(dir, `${name}.pid`);
    writeFileSync(pidFile, JSON.stringify({ pid: child.pid, marker, startedAt: 'now' }));
    return { pid: child.pid ?? -1, pidFile };
  };

  it('kills at once with SIGKILL first, without waiting out the grace', async () => {
    const { pid, pidFile } = stubborn('kill');
    const started = Date.now();
    expect(await stopRecorded(pidFile, 60_000, 'SIGKILL')).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(isRunning(pid)).toBe(false);
  });

  it('forces with SIGKILL after the grace when SIGTERM is ignored', async () => {
    const { pid, pidFile } = stubborn('term');
    expect(await stopRecorded(pidFile, 300)).toBe(true);
    expect(isRunning(pid)).toBe(false);
    expect(await stopRecorded(pidFile, 300)).toBe(false);
  });
});
