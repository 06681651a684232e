import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_START_TRIES, startFailurePasses } from '../../../scripts/stack/cassandra';
import { stopRecorded } from '../../../scripts/stack/proc';
import { type HostLaunch, launchOnHost } from '../../../scripts/stack/service';

describe('startFailurePasses', () => {
  it.each([
    [
      'the seed not answering the shadow round',
      'ERROR [main] Exception encountered during startup\njava.lang.RuntimeException: Unable to contact any seeds: [/127.0.0.1:7000]',
      'it could not reach the seed, node 1, in time',
    ],
    [
      'the shadow round itself giving up',
      'java.lang.RuntimeException: Unable to gossip with any peers',
      'it could not reach the seed, node 1, in time',
    ],
    [
      'the node before still joining',
      'java.lang.UnsupportedOperationException: Other bootstrapping/leaving/moving nodes detected, cannot bootstrap while cassandra.consistent.rangemovement is true.',
      'another node was still joining the ring as this one saw it',
    ],
  ])('passes on a new start: %s', (_, logged, reason) => {
    expect(startFailurePasses(logged)).toBe(reason);
  });

  it.each([
    ['a port taken', 'Failed to bind port 7000 on 127.0.0.3'],
    ['a heap too small', 'java.lang.OutOfMemoryError: Java heap space'],
    ['a bad setting', 'Invalid yaml. Please remove properties [foo] from your cassandra.yaml'],
    ['nothing logged', ''],
  ])('fails again on a new start: %s', (_, logged) => {
    expect(startFailurePasses(logged)).toBeUndefined();
  });
});

describe('launchOnHost, started again on a passing failure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'launch-'));
  const pidFiles: string[] = [];
  // A test that fails halfway must not leave its process running.
  afterAll(async () => {
    for (const pidFile of pidFiles) await stopRecorded(pidFile, 1000);
  });

  /**
   * A process that logs `failures` times "Unable to contact any seeds" and exits (counting its starts
   * in a file), then, on the next start, writes a ready file and runs until stopped.
   */
  function flaky(name: string, failures: number, message = 'Unable to contact any seeds'): HostLaunch {
    const starts = join(dir, `${name}.starts`);
    const ready = join(dir, `${name}.ready`);
    const log = join(dir, `${name}.log`);
    const marker = `launch-test-${name}-${process.pid}`;
    pidFiles.push(join(dir, `${name}.pid`));
    const script =
      `echo x >> ${starts}; n=$(wc -l < ${starts}); ` +
      `if [ "$n" -le ${failures} ]; then echo "${message}"; exit 1; fi; ` +
      `touch ${ready}; while :; do sleep 0.1; done # ${marker}`;
    return {
      process: {
        command: 'sh',
        args: ['-c', script],
        env: process.env,
        cwd: dir,
        logFile: log,
        pidFile: join(dir, `${name}.pid`),
        marker,
      },
      ready: async () => {
        if (!existsSync(ready)) throw new Error('not ready');
        return 'v1';
      },
      readyTimeoutMs: 20_000,
      readyIntervalMs: 50,
      title: name,
      logs: [log],
      logLines: 5,
      abortGraceMs: 1000,
      passingFailure: startFailurePasses,
      tries: NODE_START_TRIES,
    };
  }
  const startsOf = (name: string) =>
    readFileSync(join(dir, `${name}.starts`), 'utf8')
      .trim()
      .split('\n').length;

  it('starts a node again that could not reach the seed, and is ready on the start that passes', async () => {
    const retries: [number, string][] = [];
    const launch = flaky('twice', 2);
    const version = await launchOnHost({ ...launch, onRetry: (n, why) => retries.push([n, why]) });
    expect(version).toBe('v1');
    expect(startsOf('twice')).toBe(3);
    expect(retries).toEqual([
      [2, 'it could not reach the seed, node 1, in time'],
      [3, 'it could not reach the seed, node 1, in time'],
    ]);
    expect(await stopRecorded(launch.process.pidFile, 1000)).toBe(true);
  });

  it('gives up after the last allowed start, saying why and how many starts were made', async () => {
    await expect(launchOnHost(flaky('always', 99))).rejects.toThrow(
      `(it could not reach the seed, node 1, in time; ${NODE_START_TRIES} starts made, the most allowed)`,
    );
    expect(startsOf('always')).toBe(NODE_START_TRIES);
  });

  it('does not start again a failure that would repeat, and judges each start by its own lines', async () => {
    // The log holds an earlier start's seed failure; this start's own failure is another one.
    const launch = flaky('other', 1);
    await expect(launchOnHost(launch)).resolves.toBe('v1');
    const bad = flaky('bad', 5, 'Invalid yaml');
    await expect(
      launchOnHost({ ...bad, logs: [launch.process.logFile, bad.process.logFile] }),
    ).rejects.toThrow(
      'bad exited during start-up (not started again: nothing it logged is a failure that a new start passes)\n',
    );
    expect(startsOf('bad')).toBe(1);
    await stopRecorded(launch.process.pidFile, 1000);
  });
});
