// The bench's CPU measures count what they say: a process's own CPU time from /proc, and a command's
// with the processes it starts (as cqlsh starts its workers).
import { processCpuMs, processCpuSplitMs, runWithCpu } from '../../bench/cpu';
import { readStackSettings } from '../../scripts/stack/settings';

/**
 * Spins until this process has used ms of user CPU time: on a loaded machine a loop of so much
 * wall time may be given much less CPU (once under 150 ms of a 300 ms loop), a loop of CPU time not.
 */
const busy = (ms: number) => {
  const start = process.cpuUsage();
  while (process.cpuUsage(start).user < ms * 1000);
};

describe('bench CPU time', () => {
  it("reads a process's user + system time from /proc", () => {
    const before = processCpuMs(process.pid);
    busy(300);
    const used = processCpuMs(process.pid) - before;
    // /proc counts in 10 ms ticks; the loop used 300 ms, and the process little else meanwhile.
    expect(used).toBeGreaterThanOrEqual(250);
    expect(used).toBeLessThan(2000);
  });

  it('splits the same time into user and system time', () => {
    const before = processCpuSplitMs(process.pid);
    busy(300);
    const after = processCpuSplitMs(process.pid);
    // A busy loop in JavaScript is user time; the two add up to what processCpuMs reads.
    expect(after.userMs - before.userMs).toBeGreaterThanOrEqual(250);
    expect(after.systemMs).toBeGreaterThanOrEqual(before.systemMs);
    expect(Math.abs(after.userMs + after.systemMs - processCpuMs(process.pid))).toBeLessThan(100);
  });

  it('counts the CPU time of a command and of the process it starts', async () => {
    // 300 ms of the child's own CPU time (not of wall time: see busy), counted with the parent's.
    const child = 'const s=process.cpuUsage();while(process.cpuUsage(s).user<300000);';
    const parent = `require('node:child_process').execFileSync(process.execPath,['-e',${JSON.stringify(child)}]);console.log('done')`;
    const r = await runWithCpu(readStackSettings(), process.execPath, ['-e', parent]);
    expect(r.status).toBe(0);
    expect(r.output.trim()).toBe('done');
    expect(r.cpuMs).toBeGreaterThanOrEqual(300);
  });

  it('passes a failing command’s exit status on', async () => {
    const r = await runWithCpu(readStackSettings(), process.execPath, ['-e', 'process.exit(3)']);
    expect(r.status).toBe(3);
  });
});
