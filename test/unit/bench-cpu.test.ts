// The bench's CPU measures count what they say: a process's own CPU time from /proc, and a command's
// with the processes it starts (as cqlsh starts its workers).
import { processCpuMs, processCpuSplitMs, runWithCpu } from '../../bench/cpu';
import { readStackSettings } from '../../scripts/stack/settings';

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('bench CPU time', () => {
  it("reads a process's user + system time from /proc", () => {
    const before = processCpuMs(process.pid);
    busy(300);
    const used = processCpuMs(process.pid) - before;
    // /proc counts in 10 ms ticks; a loaded machine may give the loop less than its wall time.
    expect(used).toBeGreaterThanOrEqual(100);
    expect(used).toBeLessThan(2000);
  });

  it('splits the same time into user and system time', () => {
    const before = processCpuSplitMs(process.pid);
    busy(300);
    const after = processCpuSplitMs(process.pid);
    // A busy loop in JavaScript is user time; the two add up to what processCpuMs reads.
    expect(after.userMs - before.userMs).toBeGreaterThanOrEqual(100);
    expect(after.systemMs).toBeGreaterThanOrEqual(before.systemMs);
    expect(Math.abs(after.userMs + after.systemMs - processCpuMs(process.pid))).toBeLessThan(100);
  });

  it('counts the CPU time of a command and of the process it starts', async () => {
    const child = 'const t=Date.now()+300;while(Date.now()<t);';
    const parent = `require('node:child_process').execFileSync(process.execPath,['-e',${JSON.stringify(child)}]);console.log('done')`;
    const r = await runWithCpu(readStackSettings(), process.execPath, ['-e', parent]);
    expect(r.status).toBe(0);
    expect(r.output.trim()).toBe('done');
    expect(r.cpuMs).toBeGreaterThanOrEqual(150);
  });

  it('passes a failing command’s exit status on', async () => {
    const r = await runWithCpu(readStackSettings(), process.execPath, ['-e', 'process.exit(3)']);
    expect(r.status).toBe(3);
  });
});
