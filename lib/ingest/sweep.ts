// The sweep: "nothing stops half-way silently" even when a message is lost outside our code (a
// queue's retention ran out, a message deleted by hand, a redrive gone wrong). On a schedule
// (functions/sweep.ts) it reads the index of versions that may be in progress
// (lib/ingest/open-ingests.ts), and resumes every one that nobody carries on: in progress, no live
// lease, and unchanged for longer than any message is away in normal operation (two leases). It
// sends the version a continuation for its next part; if a message was in fact still on its way,
// the lifecycle finds one of the two stale (lib/ingest/lifecycle.ts, staleness). Versions that
// ended are taken out of the index. Each resumed version is counted (IngestsStalled) and alarmed.
import type { S3EventRecord } from 'aws-lambda';
import type { LedgerEntry } from '../cassandra/model';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import { type Ledger, leaseHeld } from './ledger';
import { continuationBody, encodeS3Key } from './notifications';
import { type OpenIngests, recentDays } from './open-ingests';
import type { IngestQueue } from './queue';

/** How many days of the index each sweep reads: a version notified longer ago is not looked for. */
export const SWEEP_DAYS = 7;
/** A version quiet for this many leases (32 minutes by default) is stalled: no message is coming. */
export const STALLED_AFTER_LEASES = 2;

export interface SweepDeps {
  ledger: Ledger;
  open: OpenIngests;
  queue: Pick<IngestQueue, 'send'>;
  clock: Clock;
  log: Logger;
  leaseMs: number;
}

export interface SweepResult {
  /** Index entries looked at. */
  looked: number;
  /** Versions that had ended, taken out of the index. */
  ended: number;
  /** Versions resumed: nobody carried them on. */
  resumed: { source: string; etag: string; part: number }[];
  /** Entries that could not be looked at (tried again at the next sweep). */
  errors: number;
}

/** The S3 record a notification of this version would carry, for a message that resumes it. */
function recordOf(entry: Pick<LedgerEntry, 'source' | 'etag' | 'versionId'>): S3EventRecord | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(entry.source);
  if (!match) return undefined;
  const [, bucket, key] = match as unknown as [string, string, string];
  return {
    eventSource: 'aws:s3',
    eventName: 'ObjectCreated:Put',
    s3: {
      bucket: { name: bucket },
      object: {
        key: encodeS3Key(key),
        eTag: entry.etag,
        ...(entry.versionId ? { versionId: entry.versionId } : {}),
      },
    },
  } as S3EventRecord;
}

export async function sweep(deps: SweepDeps): Promise<SweepResult> {
  const { ledger, open, clock, log } = deps;
  const now = clock.now();
  const result: SweepResult = { looked: 0, ended: 0, resumed: [], errors: 0 };
  const stalledAfter = STALLED_AFTER_LEASES * deps.leaseMs;
  for (const day of recentDays(now, SWEEP_DAYS)) {
    let filedThatDay: Awaited<ReturnType<OpenIngests['list']>>;
    try {
      filedThatDay = await open.list(day);
    } catch (err: unknown) {
      result.errors++;
      log.warn('could not read a day of the index; the next sweep tries again', { day, err });
      continue;
    }
    for (const filed of filedThatDay) {
      result.looked++;
      try {
        const entry = await ledger.find(filed.source, filed.etag);
        if (entry && entry.status !== 'in_progress') {
          // Filed after the version ended, the entry may be a reopening's (a redrive) not yet
          // written: it stays until it is stale.
          const endedAt = (entry.updatedAt ?? entry.startedAt).getTime();
          if (filed.filedAt.getTime() > endedAt && now - filed.filedAt.getTime() < stalledAfter) continue;
          await open.remove(filed);
          result.ended++;
          continue;
        }
        if (entry && leaseHeld(entry, now)) continue;
        // No row yet: the notification's claim never happened; it is resumed as its first part.
        const quietMs = now - (entry ? (entry.updatedAt ?? entry.startedAt) : filed.filedAt).getTime();
        if (quietMs < stalledAfter) continue;
        const version = entry ?? { source: filed.source, etag: filed.etag, versionId: undefined, parts: 0 };
        const record = recordOf(version);
        if (!record) continue;
        const part = version.parts + 1;
        await deps.queue.send(
          continuationBody({ record }, { etag: version.etag, versionId: version.versionId, part }),
        );
        result.resumed.push({ source: version.source, etag: version.etag, part });
        log.error('a version in progress had nobody carrying it on; resumed it', {
          source: version.source,
          etag: version.etag,
          part,
          quietMs,
        });
      } catch (err: unknown) {
        result.errors++;
        log.warn('could not look at a version in progress; the next sweep tries again', { filed, err });
      }
    }
  }
  return result;
}
