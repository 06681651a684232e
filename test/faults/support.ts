// What the fault tests share: a generated object uploaded to the local event flow, the outcome read
// back (report, ledger, queues, tables computed from the events), and the real processes faults
// are done to (LocalStack paused with SIGSTOP; serverless offline killed by the flow itself).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Client } from 'cassandra-driver';
import { SCOPES } from '../../lib/auth';
import { generateEvents, writeEventFiles } from '../../scripts/generate/index';
import type { RunningFlow } from '../../scripts/local/flow';
import { localAuthorization } from '../../scripts/stack/issuer';
import { localStackPaths } from '../../scripts/stack/localstack';
import { liveProcess } from '../../scripts/stack/proc';
import { readStackSettings } from '../../scripts/stack/settings';
import {
  actualContents,
  differences,
  expectedContents,
  type TableContents,
} from '../integration/support/expected';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface GeneratedObject {
  body: Buffer;
  events: number;
  expected: TableContents;
}

/** A generated CSV of `events` events, and what the tables must hold once it is ingested. */
export async function generatedObject(events: number, seed: string): Promise<GeneratedObject> {
  const dir = mkdtempSync(join(tmpdir(), `fault-${seed}-`));
  const written = await writeEventFiles({ outDir: dir, events, seed });
  return {
    body: readFileSync(written.files[0]?.path ?? ''),
    events,
    expected: expectedContents(generateEvents({ events, seed })),
  };
}

export async function upload(local: RunningFlow, key: string, body: Buffer): Promise<void> {
  await local.s3.send(new PutObjectCommand({ Bucket: local.flow.bucket, Key: key, Body: body }));
}

/** Messages in a queue, visible or being worked on. */
export async function messagesIn(local: RunningFlow, queueUrl: string): Promise<number> {
  const { Attributes } = await local.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

/** Waits (a bounded while) for the ingest queue to empty: every message, retries included, consumed. */
export async function queueDrained(local: RunningFlow, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let left = await messagesIn(local, local.flow.queueUrl);
  while (left > 0 && Date.now() < deadline) {
    await sleep(500);
    left = await messagesIn(local, local.flow.queueUrl);
  }
  return left;
}

/** The ledger row of an object (its only version), or undefined. */
export async function ledgerRow(client: Client, keyspace: string, source: string) {
  const rs = await client.execute(
    `SELECT status, parts, rows_read, rows_written, lease_owner, resume_offset FROM ${keyspace}.ingest_ledger WHERE source = ?`,
    [source],
    { prepare: true },
  );
  return rs.first() ?? undefined;
}

/** How many splits of an object a delivery holds the lease of right now (are being ingested). */
export async function splitLeasesHeld(client: Client, keyspace: string, source: string): Promise<number> {
  const rs = await client.execute(
    `SELECT etag, lease_until FROM ${keyspace}.ingest_ledger WHERE source = ?`,
    [source],
    { prepare: true },
  );
  const now = Date.now();
  return rs.rows.filter(
    (r) =>
      String(r.get('etag')).includes('/split-') &&
      ((r.get('lease_until') as Date | null)?.getTime() ?? 0) > now,
  ).length;
}

/** Waits until check() holds, polling; the time it took, or a failure naming what was awaited. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
  return Date.now() - started;
}

/** The tables' differences from what the events imply: none when nothing was lost or added. */
export async function tableDifferences(
  client: Client,
  keyspace: string,
  expected: TableContents,
): Promise<string[]> {
  return (await tablesAgainstSource(client, keyspace, expected)).differences;
}

/**
 * Every row of the three tables read back and compared with what the events imply (exact: the same
 * keys, each with the same values), with each table's rows expected and found for the figures.
 */
export async function tablesAgainstSource(
  client: Client,
  keyspace: string,
  expected: TableContents,
): Promise<{
  differences: string[];
  rows: Record<keyof TableContents, { expected: number; found: number }>;
}> {
  const actual = await actualContents(client, keyspace);
  const count = (table: keyof TableContents) => ({
    expected: expected[table].size,
    found: actual[table].size,
  });
  return {
    differences: differences(expected, actual),
    rows: {
      plays_by_session: count('plays_by_session'),
      songs_by_user_session: count('songs_by_user_session'),
      listeners_by_song: count('listeners_by_song'),
    },
  };
}

/** The running LocalStack's pid (the stack scripts' own process, never another). */
export function localStackPid(): number {
  const rec = liveProcess(localStackPaths(readStackSettings()).pidFile);
  if (!rec) throw new Error('no LocalStack started by the stack scripts is running');
  return rec.pid;
}

/** Freezes the process (SIGSTOP) for ms, then lets it go on (SIGCONT), whatever happens meanwhile. */
export async function paused(pid: number, ms: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(ms);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/** A figure for test/faults/RESULTS.md, printed where the run's output shows it. */
export function figure(fault: string, fields: Record<string, unknown>): void {
  process.stdout.write(`[fault] ${fault}: ${JSON.stringify(fields)}\n`);
}

/** The ledger's name of an object: its S3 URL. */
export const source = (bucket: string, key: string) => `s3://${bucket}/${key}`;

/** Asks the API for plays it must know, over and over, until stopped: every answer, counted. */
export function askContinuously(
  baseUrl: string,
  plays: { sessionId: number; itemInSession: number; song: string }[],
) {
  const counts = { requests: 0, ok: 0, wrong: 0, status5xx: 0, status503WithRetryAfter: 0, other: 0 };
  let running = true;
  const loop = (async () => {
    const auth = await localAuthorization([SCOPES.read]);
    for (let i = 0; running; i++) {
      const p = plays[i % plays.length] as (typeof plays)[number];
      const res = await fetch(`${baseUrl}/sessions/${p.sessionId}/items/${p.itemInSession}`, {
        headers: auth,
      }).catch(() => undefined);
      counts.requests++;
      if (!res) counts.other++;
      else if (res.status === 200) {
        const body = (await res.json()) as { song?: string };
        if (body.song === p.song) counts.ok++;
        else counts.wrong++;
      } else {
        await res.arrayBuffer();
        if (res.status >= 500) counts.status5xx++;
        if (res.status === 503 && res.headers.get('retry-after')) counts.status503WithRetryAfter++;
        else if (res.status < 500) counts.other++;
      }
      await sleep(20);
    }
  })();
  return {
    counts,
    async stop() {
      running = false;
      await loop;
      return counts;
    },
  };
}

/**
 * Plays of a generated object, as the API must return them while `other` is being ingested: only
 * positions `other` does not also hold (generated logs of different seeds share session ids, and
 * the later ingest rightly overwrites a shared position with its own play).
 */
export function someSongs(object: GeneratedObject, n: number, other?: GeneratedObject) {
  const entries = [...object.expected.plays_by_session.entries()].filter(
    ([key]) => !other?.expected.plays_by_session.has(key),
  );
  if (entries.length < n) throw new Error(`only ${entries.length} plays to ask for, ${n} wanted`);
  return entries.slice(0, n).map(([key, value]) => {
    const [sessionId, itemInSession] = key.split('|').map(Number) as [number, number];
    return { sessionId, itemInSession, song: value.split('|')[1] as string };
  });
}
