// One object version's lifecycle, owned here and nowhere else: its states and the moves between
// them (TRANSITIONS, as data), who may move it (the lease: admit() takes it, a Lease moves it),
// what a message for it has left to do (staleness), and what happens to the message once a
// delivery is over (messageAction). The pipeline reads records under a Lease; the notification
// handling, the report and the status endpoint ask this module instead of deciding themselves.
//
//   notification / continuation ──admit──▶ work (Lease) ──▶ checkpoint ──▶ in_progress (next part)
//                                    │                    ├──▶ complete  ──▶ completed
//                                    │                    ├──▶ supersede ──▶ superseded
//                                    │                    └──▶ fail      ──▶ in_progress + error (retried)
//                                    │                                     or failed (for good: the DLQ)
//                                    └─▶ duplicate · superseded · busy · stale (the message is done
//                                        or comes back later; the version is not touched)
import type { LedgerEntry, LedgerStatus } from '../cassandra/model';
import type { Clock } from '../clock';
import type { ReadPosition } from '../events/event';
import { MAX_RECEIVE_COUNT } from '../infra/events';
import type { Logger } from '../log';
import { type ErrorClass, type FailureKind, InvariantError, LeaseLostError, transient } from './failures';
import { type Ledger, type LedgerField, leaseHeld, REOPEN_FIELDS } from './ledger';
import { dayOf, type OpenIngests } from './open-ingests';
import { type IngestReport, type IngestStatus, ledgerEntryOf, NO_TOTALS, resumePositionOf } from './report';
import { splitOf } from './splits';

/** Which status may follow which in the ledger. An ended version moves again only when redriven. */
export const TRANSITIONS: Readonly<Record<LedgerStatus, readonly LedgerStatus[]>> = {
  in_progress: ['completed', 'superseded', 'failed'],
  // A failed version's message was dead-lettered; an operator's redrive brings it back to work.
  failed: ['in_progress'],
  completed: [],
  // The same bytes uploaded again after a newer version: its notification takes it up again.
  superseded: ['in_progress'],
};

/** A write that keeps the status (a renewal, a release, a checkpoint) is no move. */
export function assertTransition(from: LedgerStatus, to: LedgerStatus): void {
  if (from !== to && !TRANSITIONS[from].includes(to))
    throw new InvariantError(`an object version cannot move from ${from} to ${to}`);
}

/**
 * Why a message asking for part `ask` has nothing left to do on this version (undefined: it has).
 * A notification asks for part 1, a continuation for its part. A message whose part is recorded
 * resumes from the checkpoint unless the continuation of the last recorded part is known to have
 * been sent: that continuation carries the version on. Otherwise the send may have failed after
 * the checkpoint (this message then carried the version on itself, or another message whose send
 * failed too will come back), and a message left idle could be the only one left.
 */
export function staleness(entry: LedgerEntry, ask: number): string | undefined {
  // Nobody carries an ended version on: the message that asks for it (a redrive, a re-upload) does.
  if (entry.status !== 'in_progress' || ask > entry.parts) return undefined;
  if ((entry.continuedPart ?? 0) > entry.parts)
    return `part ${ask} ran before; the ledger is at part ${entry.parts}, and the continuation of part ${entry.continuedPart} was sent`;
  return undefined;
}

/**
 * Whether a failure ends the version (failed): input and defects always, a transient failure on
 * the message's last delivery. Otherwise it stays in progress, to be retried; a lost lease is the
 * holder's business.
 */
export function failureEnds(failure: FailureKind, lastDelivery: boolean): boolean {
  return failure === 'input' || failure === 'defect' || (failure === 'transient' && lastDelivery);
}

/** Whether a delivery's report is the version's last word: its report object is stored then. */
export function reportEndsVersion(report: IngestReport, lastDelivery: boolean): boolean {
  if (report.status === 'completed' || report.status === 'superseded') return true;
  return report.status === 'failed' && failureEnds(report.failure ?? 'defect', lastDelivery);
}

export type Admission =
  | { kind: 'work'; lease: Lease }
  | { kind: 'duplicate'; entry: LedgerEntry }
  | { kind: 'superseded'; entry: LedgerEntry }
  | { kind: 'busy'; entry: LedgerEntry; retryAfterMs: number }
  | { kind: 'stale'; entry: LedgerEntry; why: string };

/** The report status of a delivery that was not admitted to work. */
export const ADMISSION_STATUS: Readonly<Record<Exclude<Admission['kind'], 'work'>, IngestStatus>> = {
  duplicate: 'duplicate',
  superseded: 'superseded',
  busy: 'in_progress',
  stale: 'ignored',
};

export interface LifecycleDeps {
  ledger: Ledger;
  /** The sweep's index; absent for sources the sweep cannot resume (the CLI's local files). */
  open?: OpenIngests | undefined;
  /** Who this delivery is. */
  owner: string;
  leaseMs: number;
  clock: Clock;
  log: Logger;
}

/**
 * Takes the version's lease for a message asking for part `ask`, or says why there is nothing to
 * do. A notification files the version in the sweep's index first, and so does the reopening of a
 * failed version, so no version in progress is ever missing from it.
 */
export async function admit(
  deps: LifecycleDeps,
  fresh: LedgerEntry,
  ask: number,
  joinOnly = false,
): Promise<Admission> {
  const { clock } = deps;
  // A split's row is written by its version's plan, with its range; a message never creates it.
  const split = splitOf(fresh.etag) !== undefined;
  if (ask === 1 && !split) await fileOpen(deps, fresh);
  const claim = split
    ? await deps.ledger.claimExisting(fresh, deps.owner, deps.leaseMs)
    : await deps.ledger.claim(fresh, deps.owner, deps.leaseMs);
  if (!claim) return { kind: 'stale', entry: fresh, why: 'a split its version has not planned (yet)' };
  if (claim.kind === 'done') return { kind: 'duplicate', entry: claim.entry };
  if (claim.kind === 'busy') {
    const retryAfterMs = Math.max(0, (claim.entry.leaseUntil?.getTime() ?? 0) - clock.now());
    return { kind: 'busy', entry: claim.entry, retryAfterMs };
  }
  const lease = new Lease(deps, claim.entry);
  try {
    return await decide(deps, lease, fresh, ask, joinOnly);
  } catch (err: unknown) {
    // Never keep a lease this delivery will not use: its own retry would find the version busy.
    await lease.release().catch(() => undefined);
    throw err;
  }
}

/** Under the lease just taken: work on the version, or let it go and say why not. */
async function decide(
  deps: LifecycleDeps,
  lease: Lease,
  fresh: LedgerEntry,
  ask: number,
  joinOnly: boolean,
): Promise<Admission> {
  const { entry } = lease;
  // A split's call to join its version: nothing to do once the version ended (joined before, or
  // ended otherwise); only a notification or a redrive takes an ended version up again.
  if (joinOnly && entry.status !== 'in_progress') {
    await lease.release();
    return { kind: 'stale', entry, why: `asked to join its splits, it had ended ${entry.status}` };
  }
  // A continuation of a superseded version has nothing to do; a notification of it is the same
  // bytes uploaded again (a revert), or a late one: taken up again, it reads the object if it is
  // that version still, and ends superseded again if not.
  // A superseded split is taken up again only by its version (lib/ingest/split-version.ts), once
  // the object is that version again: a late message of it would find the object gone again.
  if (entry.status === 'superseded' && (ask > 1 || splitOf(entry.etag) !== undefined)) {
    await lease.release();
    return { kind: 'superseded', entry };
  }
  const why = staleness(entry, ask);
  if (why !== undefined) {
    await lease.release();
    return { kind: 'stale', entry, why };
  }
  if (entry.status !== 'in_progress') {
    // Taken out of the index when it ended: back in, before it is in progress again.
    await fileOpen(deps, fresh);
    await lease.reopen();
  }
  return { kind: 'work', lease };
}

/** Files the version in the sweep's index (lib/ingest/sweep.ts) under today. */
export async function fileOpen(deps: LifecycleDeps, version: LedgerEntry): Promise<void> {
  const { open } = deps;
  if (!open) return;
  const now = deps.clock.now();
  const filed = { day: dayOf(now), source: version.source, etag: version.etag, filedAt: new Date(now) };
  await transient('open ingests index: add', () => open.add(filed));
}

/** The lease on one version, held by one delivery: every move of the version goes through it. */
export class Lease {
  private renewAt: number;

  constructor(
    private readonly deps: LifecycleDeps,
    /** The version as this lease last wrote it (or found it). */
    public entry: LedgerEntry,
  ) {
    this.renewAt = deps.clock.now() + deps.leaseMs / 3;
  }

  /** The part this delivery works on. */
  get part(): number {
    return this.entry.parts + 1;
  }

  /** Where this part starts reading: the checkpoint earlier parts left, or the start. */
  get resumeAt(): ReadPosition | undefined {
    return resumePositionOf(this.entry);
  }

  /** Keeps the lease while a part reads on (a third of its time before it runs out). */
  async renewIfDue(): Promise<void> {
    if (this.deps.clock.now() >= this.renewAt) await this.renew();
  }

  /**
   * Renews the lease now: the write proves it is still held, as right before an outcome is stored
   * where no lease guards it (the report object), so that a delivery that lost the lease while it
   * was slow stores nothing over the outcome of the one that took over.
   */
  async renew(): Promise<void> {
    const now = this.deps.clock.now();
    this.renewAt = now + this.deps.leaseMs / 3;
    await this.put({
      ...this.entry,
      leaseOwner: this.deps.owner,
      leaseUntil: new Date(now + this.deps.leaseMs),
    });
  }

  /**
   * A failed version redriven, or a superseded one uploaded again: in progress again, from its
   * checkpoint. A split version's totals are its splits' (joined again when they end): it starts
   * over at none, fanned out again to every split not completed (lib/ingest/split-version.ts).
   */
  async reopen(): Promise<void> {
    const split = this.entry.splits !== undefined;
    return this.put(
      {
        ...this.entry,
        ...(split
          ? { ...NO_TOTALS, rejectsLocations: [], durationMs: undefined, finishedAt: undefined }
          : {}),
        status: 'in_progress',
        error: undefined,
        failure: undefined,
        errorClass: undefined,
        continuedPart: undefined,
      },
      REOPEN_FIELDS,
    );
  }

  /** The part ended at `next`; the next part starts there (the lease is let go for it). */
  async checkpoint(report: IngestReport, next: ReadPosition): Promise<void> {
    const from = this.resumeAt?.offset ?? 0;
    if (next.offset <= from)
      throw new InvariantError(
        `a checkpoint must move forward: part ${this.part} ends at ${next.offset}, began at ${from}`,
      );
    return this.record(report, 'in_progress', next);
  }

  async complete(report: IngestReport): Promise<void> {
    return this.record(report, 'completed', undefined);
  }

  /**
   * The object was overwritten: what earlier parts did stays, this part adds nothing, and the
   * checkpoint stays where they left it (the same bytes uploaded again go on from there).
   */
  async supersede(report: IngestReport): Promise<void> {
    return this.put(ledgerEntryOf(report, 'superseded', this.resumeAt, undefined));
  }

  /**
   * The part failed. `ends`: the version ends failed (failureEnds, once its report is stored);
   * otherwise it stays in progress with the error, to be retried from its checkpoint. Earlier
   * parts' totals and checkpoint stay; the lease is let go so a retry may start at once.
   */
  async fail(error: string, failure: FailureKind, errorClass: ErrorClass, ends: boolean): Promise<void> {
    return this.put({
      ...this.entry,
      status: ends ? 'failed' : 'in_progress',
      error,
      failure,
      errorClass,
      leaseOwner: undefined,
      leaseUntil: undefined,
    });
  }

  /** Lets the lease go and changes nothing else. */
  async release(): Promise<void> {
    return this.put({ ...this.entry, leaseOwner: undefined, leaseUntil: undefined });
  }

  /** A part's outcome, counted: one more part, and the lease let go. */
  private async record(
    report: IngestReport,
    status: LedgerStatus,
    next: ReadPosition | undefined,
  ): Promise<void> {
    if (report.parts !== this.part)
      throw new InvariantError(`part ${this.part} reported as part ${report.parts}`);
    return this.put(ledgerEntryOf(report, status, next, undefined));
  }

  /**
   * The version's splits are planned (their rows written, lib/ingest/split-version.ts): it is carried
   * on by them now, and its lease is let go. Nothing was read for it: no part is counted.
   */
  async planned(
    splits: number,
    format: LedgerEntry['format'],
    compressed: boolean,
    planMs: number,
  ): Promise<void> {
    if (this.entry.parts !== 0 || this.entry.splits !== undefined)
      throw new InvariantError(
        `only a version not yet read may be split (part ${this.part}, splits ${this.entry.splits})`,
      );
    return this.put({
      ...this.entry,
      splits,
      format,
      compressed,
      // The plan's own time: the joined report adds the splits' to it.
      durationMs: planMs,
      // Carried on by its splits from now: resumes before the plan do not count against it.
      sweepResumes: undefined,
      error: undefined,
      failure: undefined,
      errorClass: undefined,
      leaseOwner: undefined,
      leaseUntil: undefined,
    });
  }

  /** Its splits all ended: the version ends as they add up to (lib/ingest/splits.ts, joinSplits). */
  async join(report: IngestReport): Promise<void> {
    if (report.status !== 'completed' && report.status !== 'failed' && report.status !== 'superseded')
      throw new InvariantError(`a join ends the version; ${report.status} does not`);
    return this.put(ledgerEntryOf(report, report.status, undefined, undefined));
  }

  private async put(next: LedgerEntry, fields?: readonly LedgerField[]): Promise<void> {
    assertTransition(this.entry.status, next.status);
    // A version's plan and a split's range are set once and kept by every later write.
    const kept = {
      splits: next.splits ?? this.entry.splits,
      splitStart: next.splitStart ?? this.entry.splitStart,
      splitEnd: next.splitEnd ?? this.entry.splitEnd,
    };
    const written = await this.deps.ledger.write(
      { ...next, ...kept, revision: this.entry.revision },
      this.deps.owner,
      fields,
    );
    if (!written) throw new LeaseLostError();
    this.entry = written;
  }
}

/** How the version looks to the status endpoint: who holds it, and where its next part starts. */
export function versionState(entry: LedgerEntry, now: number) {
  const resume = resumePositionOf(entry);
  return {
    leaseUntil: leaseHeld(entry, now) ? entry.leaseUntil : undefined,
    checkpoint: resume ? { part: entry.parts + 1, offset: resume.offset, line: resume.line } : undefined,
  };
}

export type MessageAction =
  /** Done with: the queue may delete it. */
  | { kind: 'ack' }
  /** The part ended at a checkpoint: send the next part's continuation, then delete this one. */
  | { kind: 'continue'; part: number }
  /** Comes back after a backoff (the queue's redrive policy counts its deliveries). */
  | { kind: 'retry'; delaySeconds: number; why: string }
  /**
   * Sent again as a new message (its deliveries counted from 0) after delaySeconds, then this one
   * deleted: a message that only waits for another delivery's lease must not be dead-lettered for
   * waiting, nor dropped while that delivery may be dead.
   */
  | { kind: 'requeue'; delaySeconds: number; why: string }
  /** To the dead-letter queue now, with the report. */
  | { kind: 'dead-letter'; why: string }
  /**
   * The version was split (lib/ingest/split-version.ts): send each split named its first message,
   * mark the version continued (on the row at `revision`), then delete this one.
   */
  | { kind: 'fan-out'; splits: string[]; revision: number | undefined };

/** The first retry comes back after 5 s, then 10, 20, … up to 15 minutes. */
export function retryDelaySeconds(receiveCount: number): number {
  return Math.min(900, 5 * 2 ** Math.max(0, receiveCount - 1));
}

/**
 * What a delivery's report means for its message. On its last delivery a message that would come
 * back is dead-lettered when it failed, or sent again as a new message when it only waited for
 * another delivery's lease: never left for the queue to dead-letter silently.
 */
export function messageAction(report: IngestReport, receiveCount: number): MessageAction {
  const last = receiveCount >= MAX_RECEIVE_COUNT;
  const backoff = retryDelaySeconds(receiveCount);
  const why = report.error ?? report.status;
  if (report.fanOut)
    return { kind: 'fan-out', splits: report.fanOut.splits, revision: report.fanOut.revision };
  // A failed join: a split failed for good, so the version has ended failed. Its message waits in
  // the dead-letter queue for a redrive, which reopens the version and fans out to its splits again.
  if (report.status === 'failed' && report.splits !== undefined)
    return { kind: 'dead-letter', why: `a split failed: ${why}` };
  switch (report.status) {
    case 'completed':
    case 'duplicate':
    case 'ignored':
    case 'superseded':
      return { kind: 'ack' };
    case 'in_progress':
      if (report.checkpoint) return { kind: 'continue', part: report.checkpoint.part };
      return {
        kind: last ? 'requeue' : 'retry',
        delaySeconds: Math.max(backoff, report.retryAfterSeconds ?? 0),
        why,
      };
    case 'failed':
      switch (report.failure ?? 'defect') {
        case 'input':
        case 'defect':
          return { kind: 'dead-letter', why };
        case 'transient':
          return last ? { kind: 'dead-letter', why } : { kind: 'retry', delaySeconds: backoff, why };
        case 'lease_lost':
          return { kind: last ? 'requeue' : 'retry', delaySeconds: backoff, why };
      }
  }
}

/**
 * Whether a split's delivery leaves its version to be joined: the split ended (completed,
 * superseded, failed for good), or had ended before (a duplicate), and every split of the version
 * has ended as far as the delivery could tell (`joinDue`, lib/ingest/pipeline.ts). The version's
 * own delivery joins (lib/ingest/split-version.ts); one asked too early does nothing. Asking only
 * when all ended keeps one join message per version, not one per split: with many splits, every
 * one of those met a busy version and came back, again and again (simulator seed 207507).
 */
export function joinsAfter(report: IngestReport, action: MessageAction): boolean {
  if (report.etag === undefined || splitOf(report.etag) === undefined || report.joinDue === false)
    return false;
  if (report.status === 'failed') return action.kind === 'dead-letter';
  return report.status === 'completed' || report.status === 'superseded' || report.status === 'duplicate';
}
