// What must hold once a run is quiet, checked against what the real code left in the simulated
// services — the ledger's rows and their history, the tables the real statements wrote, the report
// and rejects objects, the dead-letter queue — and what each version's bytes imply (scenario.ts),
// never against the simulator's own bookkeeping of what the code did.
import type { LedgerEntry } from '../../lib/cassandra/model';
import { TRANSITIONS } from '../../lib/ingest/lifecycle';
import { objectsInSqsBody } from '../../lib/ingest/notifications';
import type { IngestReport } from '../../lib/ingest/report';
import { splitOf } from '../../lib/ingest/splits';
import { s3ReportKey } from '../../lib/ingest/version-outputs';
import type { VersionSpec } from './scenario';
import { OUTPUTS, RAW, type World } from './world';

const sourceOf = (key: string) => `s3://${RAW}/${key}`;

function keysIn(body: string): string[] {
  try {
    return objectsInSqsBody(body).map((r) => r.key);
  } catch {
    return [];
  }
}

function parseReport(body: Buffer | undefined): IngestReport | undefined {
  if (!body) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as IngestReport;
  } catch {
    return undefined;
  }
}

/** The rejects object at s3://outputs/<key>, as lines. */
function rejectLines(world: World, location: string): { line: number; raw: string }[] | undefined {
  const key = location.replace(`s3://${OUTPUTS}/`, '');
  const body = world.outputs.get(key);
  if (!body) return undefined;
  return body
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { line: number; raw: string });
}

export function violations(world: World): string[] {
  const out: string[] = [];
  const { scenario } = world;
  const byEtag = new Map(scenario.versions.map((v) => [`${sourceOf(v.key)}|${v.etag}`, v]));
  const rows = [...world.ledger.rows.values()];

  // Never stuck: every version the ledger knows has ended. Without the sweep, one may be left in
  // progress only with its message in the dead-letter queue (its last delivery died).
  const dead = (key: string) => world.deadLetters.some((d) => keysIn(d.body).includes(key));
  // A plan that died before it marked its version planned leaves split rows no message names: only
  // the sweep (whose index they are filed in) takes them up; their version never waits on them.
  const unplanned = (e: LedgerEntry) => {
    const of = splitOf(e.etag);
    return of !== undefined && world.ledger.row(e.source, of.etag)?.splits === undefined;
  };
  for (const e of rows) {
    if (
      e.status === 'in_progress' &&
      (world.sweeps || !(dead(e.source.replace(`s3://${RAW}/`, '')) || unplanned(e)))
    )
      out.push(
        `${e.source} ${e.etag}: stuck in_progress at part ${e.parts}, quiet since ${e.updatedAt?.toISOString()}`,
      );
  }
  if (world.queue.size > 0) out.push(`${world.queue.size} message(s) still in the queue at the end`);

  // The newest version of every key ends completed (or failed, in the dead-letter queue, with its report).
  const newest = new Map<string, VersionSpec>();
  for (const v of scenario.versions) newest.set(v.key, v);
  for (const v of newest.values()) {
    const row = world.ledger.row(sourceOf(v.key), v.etag);
    if (!row) {
      // Every delivery failed before the ledger knew the version (S3 or the ledger down throughout):
      // its message must be in the dead-letter queue, where operators see it and redrive it.
      if (!world.deadLetters.some((d) => keysIn(d.body).includes(v.key)))
        out.push(
          `${v.key} ${v.etag}: the newest version was never ingested, and no message of it is in the dead-letter queue`,
        );
      continue;
    }
    if (
      v.outcome === 'input' &&
      !(row.status === 'failed' && (row.failure === 'input' || row.failure === 'transient')) &&
      (world.sweeps || !dead(v.key))
    )
      out.push(
        `${v.key} ${v.etag}: an empty JSON-lines object must fail (as input, or transiently on its last delivery), ended ${row.status} (${row.failure})`,
      );
    if (
      v.outcome === 'completed' &&
      row.status !== 'completed' &&
      row.status !== 'failed' &&
      (world.sweeps || !dead(v.key))
    )
      out.push(`${v.key} ${v.etag}: the newest version ended ${row.status}`);
  }

  for (const e of rows) {
    const split = splitOf(e.etag);
    const v = byEtag.get(`${e.source}|${split?.etag ?? e.etag}`);
    if (!v) {
      out.push(`${e.source} ${e.etag}: a ledger row of no uploaded version`);
      continue;
    }
    checkHistory(world, e, out);
    // A split has no report of its own; its version's sums it (checked with the version's).
    if (split) continue;
    if (e.splits !== undefined) checkSplits(world, e, out);
    // Every version that ended has its report, saying so, of its own version.
    const key = s3ReportKey('reports/', v.key, v.etag);
    const report = parseReport(world.outputs.get(key));
    if (e.status !== 'in_progress') {
      if (!report) out.push(`${v.key} ${v.etag}: ended ${e.status} without a report at ${key}`);
      else if (report.status !== e.status)
        out.push(`${v.key} ${v.etag}: the report says ${report.status}, the ledger ${e.status}`);
    }
    // A failed version that is still the object's is in the dead-letter queue, for operators to see;
    // an older one's message may have gone on to ingest its newer version (which ended on its own).
    if (
      e.status === 'failed' &&
      newest.get(v.key) === v &&
      !world.deadLetters.some((d) => keysIn(d.body).includes(v.key))
    )
      out.push(`${v.key} ${v.etag}: failed, but no message of it is in the dead-letter queue`);
    if (e.status === 'completed') checkCompleted(world, v, e, report, out);
  }

  checkTables(world, out);
  checkOutputs(world, out);
  // No bug: nothing failed as a defect (a broken invariant, an error nobody expected).
  for (const d of world.deadLetters) {
    const r = d.report ? (JSON.parse(d.report) as IngestReport) : undefined;
    if (r?.failure === 'defect') out.push(`${r.source} ${r.etag}: a defect: ${r.error}`);
  }
  for (const [key, body] of world.outputs) {
    const r = key.startsWith('reports/') ? parseReport(body) : undefined;
    if (r?.failure === 'defect') out.push(`${r.source} ${r.etag}: a defect in its report: ${r.error}`);
  }
  return out;
}

/**
 * A split version: as many split rows as its plan made, tiling its text from 0; ended only once
 * every split ended, completed only if every split completed, superseded only if one was.
 */
function checkSplits(world: World, e: LedgerEntry, out: string[]): void {
  const splits = [...world.ledger.rows.values()]
    .filter((r) => r.source === e.source && splitOf(r.etag)?.etag === e.etag)
    .sort((a, b) => a.etag.localeCompare(b.etag));
  const name = `${e.source} ${e.etag}`;
  if (splits.length !== e.splits)
    out.push(`${name}: planned ${e.splits} splits, the ledger has ${splits.length}`);
  splits.forEach((r, i) => {
    if (splitOf(r.etag)?.split !== i + 1) out.push(`${name}: split rows are not numbered 1..n (${r.etag})`);
    const before = splits[i - 1];
    if ((before ? before.splitEnd : 0) !== r.splitStart)
      out.push(
        `${name}: split ${i + 1} starts at ${r.splitStart}, the one before ends at ${before?.splitEnd ?? 0}`,
      );
  });
  if (e.status === 'in_progress') return;
  const statuses = splits.map((r) => r.status);
  // A message of a split its version's join saw failed may take it up again (a duplicate does, as
  // it takes up any failed version): with the sweep it ends again; without, it is left in progress
  // only with its message in the dead-letter queue (the check of every row above).
  if (statuses.includes('in_progress') && (world.sweeps || e.status === 'completed'))
    out.push(`${name}: ended ${e.status} while a split is in progress`);
  if (e.status === 'completed' && statuses.some((x) => x !== 'completed'))
    out.push(`${name}: completed, with splits ${statuses.join(',')}`);
  if (e.status === 'superseded' && !statuses.includes('superseded') && e.errorClass !== 'stalled')
    out.push(`${name}: superseded, and no split was`);
}

/** The row moved only as TRANSITIONS allow, and its checkpoint only forward. */
function checkHistory(world: World, e: LedgerEntry, out: string[]): void {
  const history = world.ledger.history.get(`${e.source}|${e.etag}`) ?? [];
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1] as LedgerEntry;
    const b = history[i] as LedgerEntry;
    if (a.status !== b.status && !TRANSITIONS[a.status].includes(b.status))
      out.push(`${e.source} ${e.etag}: moved from ${a.status} to ${b.status}`);
    // A split version reopened starts its totals over: they are its splits', joined again.
    if (b.parts < a.parts && !(b.splits !== undefined && b.parts === 0 && a.status !== 'in_progress'))
      out.push(`${e.source} ${e.etag}: parts went back from ${a.parts} to ${b.parts}`);
    if (b.parts === a.parts && b.resumeOffset !== a.resumeOffset && b.status === 'in_progress')
      out.push(
        `${e.source} ${e.etag}: the checkpoint moved (${a.resumeOffset} → ${b.resumeOffset}) without a part`,
      );
    if (b.parts > a.parts && b.status === 'in_progress' && (b.resumeOffset ?? 0) <= (a.resumeOffset ?? 0))
      out.push(
        `${e.source} ${e.etag}: part ${b.parts} checkpointed at ${b.resumeOffset}, not past ${a.resumeOffset}`,
      );
    // A split version's parts are its splits' parts, added up when they are joined.
    if (b.parts > a.parts + 1 && b.splits === undefined)
      out.push(`${e.source} ${e.etag}: parts jumped from ${a.parts} to ${b.parts}`);
  }
}

/** A completed version: counted once each, its rejects kept once each, its report the ledger's. */
function checkCompleted(
  world: World,
  v: VersionSpec,
  e: LedgerEntry,
  report: IngestReport | undefined,
  out: string[],
): void {
  const want = {
    rowsRead: v.records,
    rowsWritten: v.plays,
    rowsSkipped: v.skipped,
    rowsRejected: v.rejects.length,
  };
  for (const [what, got] of [
    ['ledger', e],
    ['report', report],
  ] as const) {
    if (!got) continue;
    for (const [field, n] of Object.entries(want)) {
      const have = (got as unknown as Record<string, number>)[field];
      if (have !== n)
        out.push(`${v.key} ${v.etag}: the ${what} counts ${field} ${have}, the object holds ${n}`);
    }
  }
  if (report && report.parts !== e.parts)
    out.push(`${v.key} ${v.etag}: the report has ${report.parts} parts, the ledger ${e.parts}`);
  const kept: number[] = [];
  for (const location of e.rejectsLocations) {
    const lines = rejectLines(world, location);
    if (!lines) out.push(`${v.key} ${v.etag}: the ledger lists ${location}, which does not exist`);
    else kept.push(...lines.map((l) => l.line));
  }
  const expected = v.rejects.map((r) => r.line);
  if (JSON.stringify([...kept].sort((a, b) => a - b)) !== JSON.stringify(expected))
    out.push(
      `${v.key} ${v.etag}: rejects kept at lines [${kept.join(',')}], the object rejects [${expected.join(',')}]`,
    );
  // Every row the version implies is in the tables, as it is in the object.
  for (const [table, expectedRows] of Object.entries(v.tables)) {
    const rows = world.tables.get(table);
    for (const [key, row] of expectedRows) {
      const got = rows?.get(key);
      if (!got) out.push(`${v.key} ${v.etag}: ${table} lacks ${key}`);
      else if (JSON.stringify(row) !== JSON.stringify(pick(got, Object.keys(row))))
        out.push(
          `${v.key} ${v.etag}: ${table} ${key} holds ${JSON.stringify(got)}, the object ${JSON.stringify(row)}`,
        );
    }
  }
}

function pick(row: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, row[k]]));
}

/** Nothing in the tables that no uploaded version holds (versions never share a row). */
function checkTables(world: World, out: string[]): void {
  for (const [table, rows] of world.tables) {
    for (const [key, row] of rows) {
      const from = world.scenario.versions.find((v) =>
        v.tables[table as keyof VersionSpec['tables']].has(key),
      );
      const want = from?.tables[table as keyof VersionSpec['tables']].get(key);
      if (!want) out.push(`${table} holds ${key}, which no version holds`);
      else if (JSON.stringify(want) !== JSON.stringify(pick(row, Object.keys(want))))
        out.push(`${table} ${key} holds ${JSON.stringify(row)}, its version ${JSON.stringify(want)}`);
    }
  }
}

/** No version's outputs hold another's: reports name their own version, rejects only their own lines. */
function checkOutputs(world: World, out: string[]): void {
  for (const w of world.outputWrites) {
    const text = /^splits\/(.+)\/([^/]+)\/split-\d{4}\.txt$/.exec(w.key);
    if (text) {
      const [, key, etag] = text as unknown as [string, string, string];
      if (!world.scenario.versions.some((x) => x.key === key && x.etag === etag))
        out.push(`${w.by} wrote ${w.key}, the text of no uploaded version`);
      continue;
    }
    const m =
      /^(reports|rejected)\/(.+)\/(?!split-)([^/]+?)(\.json|(?:\/split-\d{4})?\/part-\d{4}-[^/]+\.jsonl)$/.exec(
        w.key,
      );
    if (!m) {
      out.push(`${w.by} wrote ${w.key}, which names no version`);
      continue;
    }
    const [, kind, key, etag] = m as unknown as [string, string, string, string];
    const v = world.scenario.versions.find((x) => x.key === key && x.etag === etag);
    if (!v) {
      out.push(`${w.by} wrote ${w.key}, of no uploaded version`);
      continue;
    }
    if (kind === 'reports') {
      const r = parseReport(w.body);
      if (r?.etag !== etag || r.source !== sourceOf(key))
        out.push(`${w.by} wrote into ${w.key} the report of ${r?.source} ${r?.etag}`);
    } else {
      const own = new Set(v.rejects.map((r) => r.line));
      for (const l of w.body.toString('utf8').split('\n').filter(Boolean)) {
        const line = (JSON.parse(l) as { line: number }).line;
        if (!own.has(line))
          out.push(`${w.by} wrote into ${w.key} a reject of line ${line}, not one of its version's`);
      }
    }
  }
}
