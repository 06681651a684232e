// nodetool (org.apache.cassandra.tools.NodeTool, from the classpath the nodes run on) over a node's
// JMX port on 127.0.0.1: how the stack asks the cluster itself which nodes are up and joined (the
// gossip view of the node asked), and how a node leaves the ring.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cachedClasspath, confDir, jvmOptions } from './cassandra';
import { findJdk } from './java';
import { runCommand } from './proc';
import type { StackSettings } from './settings';

export type MemberStatus = 'up' | 'down';
export type MemberState = 'normal' | 'leaving' | 'joining' | 'moving';

/** One row of `nodetool status`: a member of the ring as the node asked sees it. */
export interface RingMember {
  address: string;
  status: MemberStatus;
  state: MemberState;
  /** As nodetool prints it ("104.39 KiB"), or "?" when the node asked has no figure. */
  load: string;
  tokens: number;
  /** Effective ownership ("66.7%"), or "?" when the keyspaces' replication differs. */
  owns: string;
  hostId: string;
  rack: string;
}

const STATES: Record<string, MemberState> = { N: 'normal', L: 'leaving', J: 'joining', M: 'moving' };

// "UN  127.0.0.1  104.39 KiB  16  66.7%  d4d9c19c-68c0-4f35-9495-a710b77ea238  rack1"; the load has a
// space before its unit, and a node that never reported one shows "?".
const ROW =
  /^([UD])([NLJM])\s+(\S+)\s+(\?|\S+ \S+)\s+(\d+)\s+(\S+)\s+([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s+(\S+)\s*$/;

/** The members `nodetool status` lists, in its order; the headers and legend are skipped. */
export function parseNodetoolStatus(text: string): RingMember[] {
  const members: RingMember[] = [];
  for (const line of text.split('\n')) {
    const m = ROW.exec(line.trim());
    if (!m) continue;
    const [, upDown, state, address, load, tokens, owns, hostId, rack] = m;
    members.push({
      address: (address ?? '').replace(/:\d+$/, ''),
      status: upDown === 'U' ? 'up' : 'down',
      state: STATES[state ?? 'N'] ?? 'normal',
      load: load ?? '?',
      tokens: Number(tokens),
      owns: owns ?? '?',
      hostId: hostId ?? '',
      rack: rack ?? '',
    });
  }
  return members;
}

/**
 * Runs nodetool against the node whose JMX port is given and resolves to its output; rejects with the
 * output when nodetool fails. The JVM flags are nodetool's own (bin/nodetool: a small heap) plus the
 * module exports and opens of jvm17.options, without which NodeTool fails on JDK 17.
 */
export async function nodetool(
  s: StackSettings,
  jmxPort: number,
  args: string[],
  timeoutMs = 60_000,
): Promise<string> {
  const classpath = cachedClasspath(s);
  if (classpath === undefined) throw new Error('no Cassandra classpath yet: `npm run stack:up` resolves it');
  const jdk = findJdk(process.env.JAVA_HOME);
  // Its history file and log go here rather than into ~/.cassandra.
  const home = join(s.localDir, 'nodetool');
  mkdirSync(home, { recursive: true });
  const r = await runCommand(
    jdk.java,
    [
      '-Xmx128m',
      // A short-lived client: the quickest JIT and GC to start (about 1.5 s instead of 3 here).
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      ...jvmOptions().filter((flag) => flag.startsWith('--add-')),
      `-Duser.home=${home}`,
      `-Dcassandra.logdir=${home}`,
      `-Dlogback.configurationFile=file://${join(confDir, 'logback-tools.xml')}`,
      '-cp',
      classpath,
      'org.apache.cassandra.tools.NodeTool',
      '-h',
      '127.0.0.1',
      '-p',
      String(jmxPort),
      ...args,
    ],
    { ...process.env, JAVA_HOME: jdk.home },
    undefined,
    timeoutMs,
  );
  if (r.status !== 0) {
    const why =
      r.status === null ? `did not finish within ${Math.round(timeoutMs / 1000)} s` : `exit ${r.status}`;
    throw new Error(`nodetool ${args.join(' ')} on JMX port ${jmxPort}: ${why}\n${r.output.trim()}`);
  }
  return r.output;
}
