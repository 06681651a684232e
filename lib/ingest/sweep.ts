// The sweep: "nothing stops half-way silently" even when a message is lost outside our code (a
// queue's retention ran out, a message deleted by hand, a redrive gone wrong) or a version's last
// delivery died. On a schedule (functions/sweep.ts) it reads the index of versions that may be in
// progress (lib/ingest/open-ingests.ts) and looks at each version once:
// - ended: its index entries go (unless filed after it ended: a reopening not yet written);
// - in progress with a live lease, or changed less than two leases ago: somebody carries it on;
// - otherwise nobody does: it is resumed with a continuation for its next part (if a message was in
//   fact still on its way, the lifecycle finds one of the two stale), the resume noted in the
//   ledger and the version filed again under today, so it never falls out of the days read;
// - resumed MAX_SWEEP_RESUMES times with no part recorded since (every delivery dies, say of
//   memory): it is ended failed, its report stored and a message left in the dead-letter queue,
//   rather than resumed for ever.
// Each resumed or ended version counts in IngestsStalled, which alarms. A sweep stops starting new
// versions at its deadline; the next one goes on.
import type { S3EventRecord } from 'aws-lambda';
import type { LedgerEntry, OpenIngest } from '../cassandra/model';
import type { Clock } from '../clock';
import { ConcurrencyLimit } from '../concurrency';
import type { Logger } from '../log';
import { type Ledger, leaseHeld } from './ledger';
import { assertTransition } from './lifecycle';
import { continuationBody, encodeS3Key } from './notifications';
import { dayOf, type OpenIngests, recentDays } from './open-ingests';
import type { OutputStore } from './output-store';
import type { IngestQueue } from './queue';
import { buildReport, outcomeOf, reportJson } from './report';
import { splitRowsOf } from './split-version';
import { joinSplits, splitOf, splitProgress } from './splits';
import { s3ReportKey } from './version-outputs';

/** How many days of the index each sweep reads: a version notified longer ago is not looked for. */
export const SWEEP_DAYS = 7;
/** A version quiet for this many leases (32 minutes by default) is stalled: no message is coming. */
export const STALLED_AFTER_LEASES = 2;
/** Resumes with no part recorded in between before the sweep ends a version failed. */
export const MAX_SWEEP_RESUMES = 3;
/** Versions looked at once. */
const CONCURRENCY = 8;

export interface SweepDeps {
  ledger: Ledger;
  open: OpenIngests;
  queue: Pick<IngestQueue, 'send' | 'deadLetter'>;
  /** Where a version it ends gets its report: the outputs bucket, or the source's own when none is set. */
  outputs: (sourceBucket: string) => OutputStore;
  reportsPrefix: string;
  clock: Clock;
  log: Logger;
  leaseMs: number;
  /** No version is started after this (epoch ms); none: every one is looked at. */
  deadline?: number;
}

export interface SweepResult {
  /** Versions looked at (a version filed several times is looked at once). */
  looked: number;
  /** Versions that had ended, taken out of the index. */
  ended: number;
  /** Versions resumed: nobody carried them on. */
  resumed: { source: string; etag: string; part: number }[];
  /** Versions ended failed: resumed MAX_SWEEP_RESUMES times, they got nowhere. */
  gaveUp: { source: string; etag: string }[];
  /** Splits not yet taken by any delivery, sent their message again (waiting, not stalled). */
  waiting: number;
  /** Versions that could not be looked at, or were left for the next sweep at the deadline. */
  errors: number;
  deferred: number;
}

/** The bucket and key of an s3:// source; undefined for a local file's. */
function s3Location(source: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
  return match ? { bucket: match[1] as string, key: match[2] as string } : undefined;
}

/** The S3 record a notification of this version (a split's: of its object's) would carry. */
function recordOf(
  bucket: string,
  key: string,
  entry: Pick<LedgerEntry, 'etag' | 'versionId'>,
): S3EventRecord {
  const eTag = splitOf(entry.etag)?.etag ?? entry.etag;
  return {
    eventSource: 'aws:s3',
    eventName: 'ObjectCreated:Put',
    s3: {
      bucket: { name: bucket },
      object: {
        key: encodeS3Key(key),
        eTag,
        ...(entry.versionId ? { versionId: entry.versionId } : {}),
      },
    },
  } as S3EventRecord;
}

export async function sweep(deps: SweepDeps): Promise<SweepResult> {
  const { open, clock, log } = deps;
  const now = clock.now();
  const result: SweepResult = {
    looked: 0,
    ended: 0,
    resumed: [],
    gaveUp: [],
    waiting: 0,
    errors: 0,
    deferred: 0,
  };
  // Every entry of the days read, by version.
  const versions = new Map<string, OpenIngest[]>();
  for (const day of recentDays(now, SWEEP_DAYS)) {
    try {
      for (const filed of await open.list(day)) {
        const id = `${filed.source}\u0000${filed.etag}`;
        versions.set(id, [...(versions.get(id) ?? []), filed]);
      }
    } catch (err: unknown) {
      result.errors++;
      log.warn('could not read a day of the index; the next sweep tries again', { day, err });
    }
  }
  const limit = new ConcurrencyLimit(CONCURRENCY);
  const running = [...versions.values()].map(async (filed) => {
    await limit.acquire();
    try {
      if (deps.deadline !== undefined && clock.now() >= deps.deadline) {
        result.deferred++;
        return;
      }
      result.looked++;
      await lookAt(deps, filed, now, result);
    } catch (err: unknown) {
      result.errors++;
      log.warn('could not look at a version in progress; the next sweep tries again', {
        filed: filed[0],
        err,
      });
    } finally {
      limit.release();
    }
  });
  await Promise.all(running);
  return result;
}

/** One version, with every index entry it has: remove them, leave it, resume it, or end it. */
async function lookAt(deps: SweepDeps, filed: OpenIngest[], now: number, result: SweepResult): Promise<void> {
  const { ledger, open, log } = deps;
  const first = filed[0] as OpenIngest;
  const stalledAfter = STALLED_AFTER_LEASES * deps.leaseMs;
  const entry = await ledger.find(first.source, first.etag);
  if (entry && entry.status !== 'in_progress') {
    // Filed after the version ended, an entry may be a reopening's (a redrive, a re-upload) not yet
    // written: it stays until it is stale.
    const endedAt = (entry.updatedAt ?? entry.startedAt).getTime();
    const done = filed.filter(
      (f) => !(f.filedAt.getTime() > endedAt && now - f.filedAt.getTime() < stalledAfter),
    );
    for (const f of done) await open.remove(f);
    if (done.length > 0) result.ended++;
    return;
  }
  if (entry && leaseHeld(entry, now)) return;
  // No row yet: the notification's claim never happened; it is resumed as its first part.
  const lastFiled = Math.max(...filed.map((f) => f.filedAt.getTime()));
  const quietMs = now - (entry ? (entry.updatedAt ?? entry.startedAt).getTime() : lastFiled);
  if (quietMs < stalledAfter) return;
  if (!entry && splitOf(first.etag)) {
    // Filed by a plan that died before it wrote the split's row: the version's next plan files it again.
    for (const f of filed) await open.remove(f);
    result.ended++;
    return;
  }
  // A split version is carried on by its splits, each swept on its own, until they all ended: then
  // by its join (lost, when the sweep sees it). Not known to be fanned out, it is resumed too.
  if (entry?.splits !== undefined && (entry.continuedPart ?? 0) >= 1) {
    const rows = (await splitRowsOf(ledger, entry)).filter((r): r is LedgerEntry => r !== undefined);
    if (joinSplits(entry, rows).kind === 'running') return;
  }
  const at = s3Location(first.source);
  if (!at) return;
  // A split no delivery has taken yet is most likely waiting behind the others in the queue (a
  // version fans out to all its splits at once, the queue runs a few at a time): it is sent again in
  // case its message was lost, but never counted as stalled, nor given up for waiting.
  if (entry && splitOf(entry.etag) && entry.parts === 0 && !entry.leaseOwner && entry.error === undefined)
    return resend(deps, entry, at, result);
  if (entry && (entry.sweepResumes ?? 0) >= MAX_SWEEP_RESUMES) return giveUp(deps, entry, at, result);
  // Noted first: a resume that cannot be noted (the row changed: somebody is at it) is not sent.
  if (
    entry &&
    !(await ledger.writeIfUnchanged(entry, { ...entry, sweepResumes: (entry.sweepResumes ?? 0) + 1 }))
  )
    return;
  const version = entry ?? { etag: first.etag, versionId: undefined, parts: 0 };
  const part = version.parts + 1;
  await open.add({ day: dayOf(now), source: first.source, etag: first.etag, filedAt: new Date(now) });
  await deps.queue.send(
    continuationBody(
      { record: recordOf(at.bucket, at.key, version) },
      {
        etag: version.etag,
        versionId: version.versionId,
        part,
        // A split version is joined (or fanned out again), never reopened by a late resume.
        ...(entry?.splits !== undefined ? { join: true } : {}),
      },
    ),
  );
  result.resumed.push({ source: first.source, etag: first.etag, part });
  log.error('a version in progress had nobody carrying it on; resumed it', {
    source: first.source,
    etag: first.etag,
    part,
    quietMs,
    resumes: (entry?.sweepResumes ?? 0) + 1,
  });
}

/** A split not yet taken by any delivery: its first message again (a duplicate finds it busy or done). */
async function resend(
  deps: SweepDeps,
  entry: LedgerEntry,
  at: { bucket: string; key: string },
  result: SweepResult,
): Promise<void> {
  await deps.queue.send(
    continuationBody(
      { record: recordOf(at.bucket, at.key, entry) },
      { etag: entry.etag, versionId: entry.versionId, part: 1 },
    ),
  );
  result.waiting++;
  deps.log.info('a split not yet taken by any delivery: sent its message again', { etag: entry.etag });
}

/** Resumed again and again, it got nowhere: ended failed, with its report, in the dead-letter queue. */
async function giveUp(
  deps: SweepDeps,
  entry: LedgerEntry,
  at: { bucket: string; key: string },
  result: SweepResult,
): Promise<void> {
  const error =
    `resumed ${entry.sweepResumes} times by the sweep and never got past part ${entry.parts + 1}: ` +
    'its deliveries die before they record anything (out of memory or time?)';
  // A split version's counts are its splits' (its own are set only when they are joined).
  const totals =
    entry.splits !== undefined
      ? splitProgress(
          entry,
          (await splitRowsOf(deps.ledger, entry)).filter((r) => r !== undefined),
        ).totals
      : {};
  const report = buildReport(entry.source, 'failed', {
    ...outcomeOf(entry),
    ...totals,
    etag: entry.etag,
    versionId: entry.versionId,
    finishedAt: new Date(deps.clock.now()).toISOString(),
    durationMs: entry.durationMs ?? 0,
    error,
    failure: 'transient',
    errorClass: 'stalled',
  });
  assertTransition(entry.status, 'failed');
  const split = splitOf(entry.etag);
  // The report first, as the ingest does: a version that ended always has its report (a split's
  // is its version's, once the splits are joined).
  if (!split)
    await deps
      .outputs(at.bucket)
      .put(
        s3ReportKey(deps.reportsPrefix, at.key, entry.etag),
        `${reportJson(report, 2)}\n`,
        'application/json',
      );
  // Then the message operators redrive once the cause is fixed; then the end. Ended twice by two
  // sweeps at once, it has two messages in the dead-letter queue: a redrive of either finds the other done.
  const body = continuationBody(
    { record: recordOf(at.bucket, at.key, entry) },
    { etag: entry.etag, versionId: entry.versionId, part: entry.parts + 1 },
  );
  await deps.queue.deadLetter(body, error, reportJson(report));
  const ended = await deps.ledger.writeIfUnchanged(entry, {
    ...entry,
    ...totals,
    status: 'failed',
    error,
    failure: 'transient',
    errorClass: 'stalled',
    leaseOwner: undefined,
    leaseUntil: undefined,
  });
  if (!ended) return;
  // A split ended: its version joins (and ends failed with it).
  if (split)
    await deps.queue.send(
      continuationBody(
        { record: recordOf(at.bucket, at.key, entry) },
        { etag: split.etag, versionId: entry.versionId, part: 1, join: true },
      ),
    );
  result.gaveUp.push({ source: entry.source, etag: entry.etag });
  deps.log.error('a version got nowhere however often it was resumed; ended it failed', {
    source: entry.source,
    error,
  });
}
