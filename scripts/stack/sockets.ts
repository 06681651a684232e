// Which addresses processes listen on, read from `ss -ltunpH` (iproute2): every port the local stack
// opens (LocalStack, each Cassandra node's CQL, storage and JMX ports, serverless offline) must be on
// loopback only, and test/integration/loopback.test.ts checks it with these.
import { spawnSync } from 'node:child_process';

export interface ListeningSocket {
  protocol: 'tcp' | 'udp';
  /** As ss prints it, without brackets or an interface suffix: 127.0.0.1, 0.0.0.0, *, ::, ::1. */
  address: string;
  port: number;
  /** The processes holding it, from the users:(("name",pid=…,fd=…)) column. */
  pids: number[];
  /** ss's whole line, for messages. */
  line: string;
}

/** The sockets of `ss -ltunpH` output (TCP listening, UDP bound), one a line. */
export function parseSs(text: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const [netid, , , , local] = line.split(/\s+/);
    if ((netid !== 'tcp' && netid !== 'udp') || local === undefined) continue;
    const m = /^(.*):(\d+|\*)$/.exec(local);
    if (!m) continue;
    const address = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
    const pids = [...line.matchAll(/pid=(\d+)/g)].map((p) => Number(p[1]));
    sockets.push({ protocol: netid, address, port: m[2] === '*' ? 0 : Number(m[2]), pids, line });
  }
  return sockets;
}

/** 127.0.0.0/8 and ::1 (also as an IPv4-mapped IPv6 address); not the wildcards 0.0.0.0, ::, *. */
export function isLoopback(address: string): boolean {
  const v4 = address.replace(/^::ffff:/i, '');
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) return true;
  return address === '::1' || /^0{0,4}(:0{0,4}){6}:0{0,3}1$/.test(address);
}

/** Every socket listening on this machine, with the pids of the processes the caller may see. */
export function listeningSockets(): ListeningSocket[] {
  const ss = spawnSync('ss', ['-ltunpH'], { encoding: 'utf8' });
  if (ss.status !== 0) throw new Error(`ss -ltunpH failed: ${ss.stderr || ss.error?.message}`);
  return parseSs(ss.stdout);
}

/** The pids and all their descendants (a JVM's or Python's own children open sockets too). */
export function withDescendants(pids: readonly number[], psOutput?: string): number[] {
  const text = psOutput ?? spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).stdout ?? '';
  const children = new Map<number, number[]>();
  for (const line of text.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (pid === undefined || ppid === undefined || Number.isNaN(pid) || Number.isNaN(ppid)) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const found = new Set<number>();
  const queue = [...pids];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (found.has(pid)) continue;
    found.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...found];
}
