// npm run bench [-- --events N] [--repeats R] [--rss 10,100,1024] [--read-requests N] [--skip a,b]
// One run, one machine, one local Cassandra node, one generated data set: our ingest (through the
// Lambda handler, from a LocalStack object) against the original row-by-row loop, cqlsh COPY FROM,
// DSBulk and the driver's own ceiling; our peak RSS as the input grows; read latency of the three
// queries through the raw driver, the handlers in-process and HTTP. Results go to bench/results/.
import { spawn } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Client } from 'cassandra-driver';
import { playTables } from '../lib/cassandra/model';
import { applySchema } from '../lib/cassandra/schema';
import { classify } from '../lib/events/classify';
import type { Play } from '../lib/events/event';
import { openRecords } from '../lib/events/input';
import { stackNames } from '../lib/infra/names';
import { createLogger } from '../lib/log';
import { writeEventFiles } from '../scripts/generate/index';
import { startLocalFlow } from '../scripts/local/flow';
import { uploadedEvent } from '../scripts/local/lambda-events';
import { startOffline } from '../scripts/local/offline';
import { putFiles, type Uploaded } from '../scripts/local/put-files';
import { CASSANDRA_VERSION } from '../scripts/stack/cassandra';
import { stackUp } from '../scripts/stack/index';
import { findJdk } from '../scripts/stack/java';
import { readStackSettings } from '../scripts/stack/settings';
import { buildBundles, outDir, repo } from './build';
import { dataset, sizedLogs } from './data';
import { type CopySettings, CQLSH_VERSION, copyFrom, ensureCqlsh } from './peers/cqlsh';
import { DSBULK_VERSION, dsbulkLoad, ensureDsbulk } from './peers/dsbulk';
import { summarizeProfile } from './profile';
import {
  apiEvent,
  compareModes,
  driverCalls,
  handlerCalls,
  httpCalls,
  type LatencyResult,
  type Mode,
  type Query,
  type Request,
  sampleRequests,
  summarizeRounds,
} from './reads';
import {
  type BenchResults,
  type ContenderResult,
  chartSvg,
  type FlowResult,
  type HandlerStart,
  type MemoryPoint,
  markdown,
} from './report';
import { round, spread } from './stats';

// The SDK's notice that its 2027 releases need Node 22 (the lockfile pins releases that support 20).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const KEYSPACE = 'bench';
const BUCKET = 'tracklog-bench';
const AWS_ENDPOINT = process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566';
const started = Date.now();

const log = (m: string) =>
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);

interface Args {
  events: number;
  repeats: number;
  rssMb: number[];
  readRequests: number;
  skip: Set<string>;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    events: 1_000_000,
    repeats: 3,
    rssMb: [10, 100, 1024],
    readRequests: 2000,
    skip: new Set(),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value = ''] = [argv[i], argv[i + 1]];
    i++;
    if (flag === '--events') args.events = Number(value);
    else if (flag === '--repeats') args.repeats = Number(value);
    else if (flag === '--rss') args.rssMb = value.split(',').map(Number);
    else if (flag === '--read-requests') args.readRequests = Number(value);
    else if (flag === '--skip') args.skip = new Set(value.split(','));
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!Number.isInteger(args.events) || args.events < 10_000)
    throw new Error('--events must be an integer >= 10000');
  if (!Number.isInteger(args.repeats) || args.repeats < 1)
    throw new Error('--repeats must be a positive integer');
  return args;
}

const childEnv = {
  ...process.env,
  CASSANDRA_KEYSPACE: KEYSPACE,
  AWS_ENDPOINT_URL: AWS_ENDPOINT,
  AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
  AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
  LOG_LEVEL: 'warn',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

function localS3(): S3Client {
  return new S3Client({
    endpoint: AWS_ENDPOINT,
    region: childEnv.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: childEnv.AWS_ACCESS_KEY_ID, secretAccessKey: childEnv.AWS_SECRET_ACCESS_KEY },
  });
}

/** Runs a bundled runner in its own node process and returns the JSON line it prints. */
function runNode<T>(script: string, args: string[], env: Record<string, string> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...childEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{'))
        reject(new Error(`${script} exited ${code}:\n${err.slice(-3000)}`));
      else resolve(JSON.parse(line) as T);
    });
  });
}

async function main(args: Args): Promise<void> {
  const settings = readStackSettings();
  log('bringing the local stack up');
  await stackUp(settings);
  log('bundling the handlers and runners');
  const bundles = await buildBundles();
  const data = await dataset(outDir, args.events, 'bench', log);
  log(
    `data: ${data.events.toLocaleString()} events, ${data.plays.toLocaleString()} plays, ${(data.bytes / 1048576).toFixed(0)} MB`,
  );

  const client = new Client({ contactPoints: ['127.0.0.1:9042'], localDataCenter: 'datacenter1' });
  await client.connect();
  const reset = async () => {
    await client.execute(`DROP KEYSPACE IF EXISTS ${KEYSPACE}`);
    await applySchema(client, KEYSPACE, { class: 'SimpleStrategy', replicationFactor: 1 });
  };
  const s3 = localS3();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  const upload = async (key: string, file: string) => {
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: createReadStream(file),
        ContentLength: statSync(file).size,
      }),
    );
  };
  const warm = await writeEventFiles({ outDir: join(outDir, 'warmup'), events: 20_000, seed: 'warmup' });
  await upload('bench/warmup.csv', warm.files[0]?.path ?? '');
  await upload('bench/events.csv', data.eventsFile);

  const ingest: ContenderResult[] = [];
  const perSec = (rows: number, ms: number) => (rows * 1000) / ms;
  const contender = (
    name: string,
    description: string,
    ms: number[],
    rows: number,
    extra: Partial<ContenderResult> = {},
  ) => {
    const result: ContenderResult = {
      name,
      description,
      rowsPerSec: spread(ms.map((m) => perSec(rows, m))),
      cqlWritesPerSec: spread(ms.map((m) => perSec(rows * playTables.length, m))),
      ...extra,
    };
    ingest.push(result);
    log(
      `${name}: ${Math.round(result.rowsPerSec.median).toLocaleString()} rows/s (runs ${result.rowsPerSec.runs.map(Math.round).join(', ')})`,
    );
    return result;
  };

  // ours, then the reads on the data it loaded
  let reads: LatencyResult[] = [];
  let handlers: HandlerStart[] = [];
  let flow: FlowResult | undefined;
  if (!args.skip.has('ours')) {
    const wall: number[] = [];
    let eventsPerSec: number[] = [];
    for (let i = 0; i < args.repeats; i++) {
      await reset();
      log(`ours: run ${i + 1}/${args.repeats} (the bundled ingest handler, object in LocalStack)`);
      const r = await runNode<{
        report: { status: string; rowsWritten: number; rowsRead: number };
        wallMs: number;
      }>(bundles['runner-ours'] as string, [BUCKET, 'bench/events.csv', 'bench/warmup.csv']);
      if (r.report.status !== 'completed' || r.report.rowsWritten !== data.plays) {
        throw new Error(`ours did not complete: ${JSON.stringify(r.report)}`);
      }
      wall.push(r.wallMs);
      eventsPerSec = [...eventsPerSec, perSec(r.report.rowsRead, r.wallMs)];
    }
    contender('ours', 'ingest handler: LocalStack object → parse → validate → 3 tables', wall, data.plays, {
      settings: { concurrency: 64, batching: 'partition key, ≤30 statements' },
      notes: `events/s (all events read, incl. non-plays): ${spread(eventsPerSec).median.toFixed(0)}`,
    });
    if (!args.skip.has('reads'))
      reads = await readLatency(client, data.playsFile, bundles, args.readRequests, args.repeats);
    if (!args.skip.has('coldstart')) handlers = await coldStarts(data.playsFile, bundles, upload);
  }
  if (!args.skip.has('flow')) flow = await eventFlowLatency(reset, args.repeats);

  if (!args.skip.has('ceiling')) {
    // What this node accepts through this driver, parsing aside: both ways of writing pre-parsed
    // plays (our partition-grouped batches, and one prepared INSERT per row through the driver's
    // executeConcurrent) at several concurrencies, on a sample; the best is then run in full.
    type Sweep = { mode: 'batched' | 'rows'; concurrency: number; rowsPerSec: number };
    const sweep: Sweep[] = [];
    const sample = Math.min(200_000, data.plays);
    const ceilingRun = (mode: Sweep['mode'], c: number, limit?: number) =>
      runNode<{ wallMs: number }>(bundles['runner-ceiling'] as string, [
        data.playsFile,
        String(c),
        String(limit ?? 0),
        mode,
      ]);
    for (const mode of ['batched', 'rows'] as const) {
      for (const c of [16, 32, 64, 128, 256]) {
        await reset();
        const rate = perSec(sample, (await ceilingRun(mode, c, sample)).wallMs);
        sweep.push({ mode, concurrency: c, rowsPerSec: round(rate) });
        log(`ceiling sweep: ${mode} at concurrency ${c} → ${Math.round(rate).toLocaleString()} rows/s`);
      }
    }
    const best = sweep.reduce((a, b) => (b.rowsPerSec > a.rowsPerSec ? b : a));
    const wall: number[] = [];
    for (let i = 0; i < args.repeats; i++) {
      await reset();
      log(`ceiling: run ${i + 1}/${args.repeats}, ${best.mode} at concurrency ${best.concurrency}`);
      wall.push((await ceilingRun(best.mode, best.concurrency)).wallMs);
    }
    const how =
      best.mode === 'batched'
        ? 'through the same partition-batching sink'
        : 'one prepared INSERT per row (executeConcurrent)';
    contender('ceiling', `pre-parsed plays, no parsing, ${how}: the best of the sweep`, wall, data.plays, {
      settings: {
        mode: best.mode,
        concurrency: best.concurrency,
        sweep: sweep.map((s) => `${s.mode}@${s.concurrency}:${Math.round(s.rowsPerSec)}`).join(' '),
      },
    });
  }

  if (!args.skip.has('cqlsh')) {
    const cqlsh = await ensureCqlsh(settings, log);
    const q1 = playTables[0];
    const sampleFile = join(data.dir, 'sample-q1.csv');
    const q1Lines = readFileSync(data.tableCsv[q1.name] as string, 'utf8')
      .trimEnd()
      .split('\n');
    const sampleRows = Math.min(200_000, q1Lines.length - 1);
    writeFileSync(sampleFile, `${q1Lines.slice(0, sampleRows + 1).join('\n')}\n`);
    const tried = new Map<string, number>();
    const trial = async (c: CopySettings): Promise<number> => {
      const id = `${c.numProcesses}/${c.chunkSize}/${c.maxBatchSize}`;
      const known = tried.get(id);
      if (known !== undefined) return known;
      await reset();
      // A setting under which cqlsh gives rows up is out of the running, not the end of the bench.
      const ms = await copyFrom(
        cqlsh,
        KEYSPACE,
        q1.name,
        q1.columns.map((col) => col.name),
        sampleFile,
        sampleRows,
        c,
      ).then(
        (r) => r.ms,
        (err: unknown) => {
          log(`cqlsh tuning: ${id} failed: ${(err as Error).message.split('\n')[0]}`);
          return Number.POSITIVE_INFINITY;
        },
      );
      tried.set(id, ms);
      log(
        `cqlsh tuning: NUMPROCESSES=${c.numProcesses} CHUNKSIZE=${c.chunkSize} MAXBATCHSIZE=${c.maxBatchSize} → ${Math.round(perSec(sampleRows, ms)).toLocaleString()} rows/s`,
      );
      return ms;
    };
    // A grid over processes and batch size, then the chunk size at the best of them.
    let best: CopySettings = { numProcesses: 1, chunkSize: 5000, maxBatchSize: 20 };
    let bestMs = Number.POSITIVE_INFINITY;
    const consider = async (c: CopySettings) => {
      const ms = await trial(c);
      if (ms < bestMs) [best, bestMs] = [c, ms];
    };
    for (const numProcesses of [1, 2, 3, 4])
      for (const maxBatchSize of [20, 50, 100])
        await consider({ numProcesses, chunkSize: 5000, maxBatchSize });
    for (const chunkSize of [1000, 20_000]) await consider({ ...best, chunkSize });
    const wall: number[] = [];
    let retried = 0;
    for (let i = 0; i < args.repeats; i++) {
      await reset();
      log(`cqlsh COPY FROM: run ${i + 1}/${args.repeats}`);
      let total = 0;
      for (const t of playTables) {
        const r = await copyFrom(
          cqlsh,
          KEYSPACE,
          t.name,
          t.columns.map((c) => c.name),
          data.tableCsv[t.name] as string,
          data.plays,
          best,
        );
        total += r.ms;
        retried += r.retried;
      }
      wall.push(total);
    }
    contender('cqlsh COPY', `cqlsh ${CQLSH_VERSION} COPY FROM of each table's CSV`, wall, data.plays, {
      settings: {
        NUMPROCESSES: best.numProcesses,
        CHUNKSIZE: best.chunkSize,
        MAXBATCHSIZE: best.maxBatchSize,
        INGESTRATE: 'unlimited',
      },
      notes: `batches cqlsh retried after a write timeout (all runs): ${retried}`,
    });
  }

  if (!args.skip.has('dsbulk')) {
    try {
      const dsbulk = await ensureDsbulk(settings, log);
      const wall: number[] = [];
      for (let i = 0; i < args.repeats; i++) {
        await reset();
        log(`DSBulk: run ${i + 1}/${args.repeats}`);
        let total = 0;
        for (const t of playTables)
          total += await dsbulkLoad(
            dsbulk,
            KEYSPACE,
            t.name,
            data.tableCsv[t.name] as string,
            join(outDir, 'dsbulk-logs'),
          );
        wall.push(total);
      }
      contender(
        'DSBulk',
        `DSBulk ${DSBULK_VERSION} load of each table's CSV (defaults: batches by partition key)`,
        wall,
        data.plays,
        {
          settings: { batchMode: 'PARTITION_KEY (default)', heap: '1g' },
        },
      );
    } catch (err: unknown) {
      log(`DSBulk skipped: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  if (!args.skip.has('baseline')) {
    const sample = Math.min(2000, data.plays);
    const wall: number[] = [];
    for (let i = 0; i < args.repeats; i++) {
      await reset();
      log(
        `baseline: run ${i + 1}/${args.repeats} (${sample} plays, one awaited unprepared INSERT per row per table)`,
      );
      wall.push(
        (
          await runNode<{ wallMs: number }>(bundles['runner-baseline'] as string, [
            data.playsFile,
            String(sample),
          ])
        ).wallMs,
      );
    }
    contender(
      'baseline',
      "the original notebook's loop: one synchronous unprepared INSERT per row per table",
      wall,
      sample,
      {
        notes: `measured on the first ${sample} plays (${sample * 3} INSERTs); its rate does not depend on size`,
      },
    );
  }

  const memory: MemoryPoint[] = [];
  if (!args.skip.has('memory')) {
    for (const m of await sizedLogs(outDir, args.rssMb, log)) {
      const key = `bench/rss-${m.mb}mb.jsonl`;
      await upload(key, m.file);
      await reset();
      log(`memory: ingesting a ${(m.bytes / 1048576).toFixed(0)} MB JSON-lines object`);
      const r = await runNode<{
        report: { status: string; rowsWritten: number };
        wallMs: number;
        maxRssKb: number;
      }>(bundles['runner-ours'] as string, [BUCKET, key]);
      if (r.report.status !== 'completed') throw new Error(`memory run failed: ${JSON.stringify(r.report)}`);
      memory.push({
        inputMb: round(m.bytes / 1048576, 0),
        format: 'JSON lines',
        events: m.events,
        peakRssMb: round(r.maxRssKb / 1024, 0),
        rowsPerSec: round(perSec(r.report.rowsWritten, r.wallMs), 0),
      });
      log(`memory: peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MB`);
    }
  }

  let profile: Record<string, unknown> | undefined;
  if (!args.skip.has('profile')) profile = await profileGap(reset);

  await client.shutdown();
  s3.destroy();
  await writeResults(args, data, ingest, memory, reads, handlers, flow, profile);
}

async function readLatency(
  client: Client,
  playsFile: string,
  bundles: Record<string, string>,
  requests: number,
  rounds: number,
): Promise<LatencyResult[]> {
  log('reads: starting serverless offline');
  const offline = await startOffline({
    env: { CASSANDRA_KEYSPACE: KEYSPACE, LOG_LEVEL: 'warn' },
    name: 'bench',
  });
  try {
    Object.assign(process.env, childEnv);
    const handler = (name: string) => (require(bundles[name] as string) as { handler: never }).handler;
    const modes = {
      driver: driverCalls(client, KEYSPACE),
      handler: handlerCalls({
        q1: handler('getSessionItem'),
        q2: handler('getUserSessionSongs'),
        q3: handler('getListeners'),
      }),
      http: httpCalls(offline.baseUrl),
    };
    const sample = sampleRequests(playsFile, requests);
    const results: LatencyResult[] = [];
    for (const query of ['q1', 'q2', 'q3'] as Query[]) {
      for (const concurrency of [1, 32]) {
        const calls = { driver: modes.driver[query], handler: modes.handler[query], http: modes.http[query] };
        const byMode = await compareModes(calls, sample[query], concurrency, rounds);
        for (const mode of Object.keys(calls) as Mode[]) {
          const m = summarizeRounds(byMode[mode]);
          results.push({ query, mode, concurrency, requests, ...m });
          log(
            `reads: ${query} ${mode} c=${concurrency}: p50 ${m.p50} p95 ${m.p95} p99 ${m.p99} ms ` +
              `(median of ${rounds} rounds; p99 ${m.p99Spread.min}–${m.p99Spread.max})`,
          );
        }
      }
    }
    return results;
  } finally {
    await offline.stop();
  }
}

/**
 * Each deployed handler's bundle size and cold start, in fresh Node processes: module load (what
 * Lambda reports as Init Duration), first invocation (connects, prepares) and a warm second one.
 * Medians of five starts. Needs the data ours loaded (the API events ask for existing plays).
 */
async function coldStarts(
  playsFile: string,
  bundles: Record<string, string>,
  upload: (key: string, file: string) => Promise<void>,
): Promise<HandlerStart[]> {
  const dir = join(outDir, 'coldstart');
  mkdirSync(dir, { recursive: true });
  const eventFile = (name: string, event: unknown) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(event));
    return file;
  };
  const sample = sampleRequests(playsFile, 1);
  const api = (q: Query) => eventFile(q, apiEvent(sample[q][0] as Request));
  const tiny = await writeEventFiles({ outDir: join(dir, 'data'), events: 200, seed: 'coldstart' });
  const starts = 5;
  const cases: { name: string; events: (run: number) => Promise<[string, string]> }[] = [
    { name: 'getSessionItem', events: async () => [api('q1'), api('q1')] },
    { name: 'getUserSessionSongs', events: async () => [api('q2'), api('q2')] },
    { name: 'getListeners', events: async () => [api('q3'), api('q3')] },
    {
      name: 'ingest',
      // A new 200-event object per start (a re-delivered one would be a duplicate, not an ingest).
      events: async (run) => {
        const keys = [`bench/cold-${run}-a.csv`, `bench/cold-${run}-b.csv`];
        for (const k of keys) await upload(k, tiny.files[0]?.path ?? '');
        return [
          eventFile(`ingest-${run}-a`, uploadedEvent(BUCKET, keys[0] as string)),
          eventFile(`ingest-${run}-b`, uploadedEvent(BUCKET, keys[1] as string)),
        ];
      },
    },
  ];
  const out: HandlerStart[] = [];
  for (const c of cases) {
    const runs: { initMs: number; firstMs: number; secondMs: number }[] = [];
    for (let run = 0; run < starts; run++) {
      const [first, second] = await c.events(run);
      runs.push(
        await runNode(bundles['runner-coldstart'] as string, [bundles[c.name] as string, first, second]),
      );
    }
    const med = (k: 'initMs' | 'firstMs' | 'secondMs') => round(spread(runs.map((r) => r[k])).median, 1);
    const bytes = statSync(bundles[c.name] as string).size;
    const entry: HandlerStart = {
      handler: c.name,
      bundleKb: round(bytes / 1024, 0),
      bundleGzipKb: round(gzipSync(readFileSync(bundles[c.name] as string)).length / 1024, 0),
      initMs: med('initMs'),
      firstInvokeMs: med('firstMs'),
      warmInvokeMs: med('secondMs'),
      starts,
    };
    out.push(entry);
    log(
      `cold start: ${c.name} bundle ${entry.bundleKb} KB (${entry.bundleGzipKb} KB gzipped), init ${entry.initMs} ms, ` +
        `first invocation ${entry.firstInvokeMs} ms, warm ${entry.warmInvokeMs} ms`,
    );
  }
  return out;
}

/** The real event logs, when this machine has them (never copied into the repository). */
function realDataFile(): string | undefined {
  const dir = process.env.TRACKLOG_REAL_DATA_DIR ?? join(repo, '..', 'shared', 'data', 'event_data');
  if (!existsSync(dir)) return undefined;
  // The busiest day: the largest file.
  return readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

/** The last play of a log (the one that becomes queryable last). */
async function lastPlay(file: string): Promise<Play | undefined> {
  let last: Play | undefined;
  const input = await openRecords(createReadStream(file), file);
  for await (const batch of input.batches)
    for (const rec of batch) {
      if (rec.kind !== 'event') continue;
      const c = classify(rec.fields);
      if (c.kind === 'play') last = c.play;
    }
  return last;
}

/**
 * Upload to queryable, through the whole local event flow (LocalStack bucket → ObjectCreated → SQS
 * → forwarder → the ingest under serverless offline → Cassandra → the HTTP API): from the start of
 * the PutObject until GET /sessions/{id}/items/{n} answers 200 for the file's last play.
 */
async function eventFlowLatency(reset: () => Promise<void>, rounds: number): Promise<FlowResult> {
  const real = realDataFile();
  const file =
    real ??
    (await writeEventFiles({ outDir: join(outDir, 'flow'), events: 500, seed: 'flow' })).files[0]?.path ??
    '';
  const play = await lastPlay(file);
  if (!play) throw new Error(`${file} holds no song play`);
  const names = stackNames('tracklog-bench', 'local');
  const running = await startLocalFlow({
    awsEndpoint: AWS_ENDPOINT,
    region: childEnv.AWS_REGION,
    keyspace: KEYSPACE,
    names,
    log: createLogger('warn', { fn: 'bench-flow' }),
    offline: { name: 'bench-flow' },
  });
  try {
    const url = `${running.offline.baseUrl}/sessions/${play.sessionId}/items/${play.itemInSession}`;
    const ms: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await reset();
      const started = performance.now();
      const [{ key }] = (await putFiles(running.s3, [file], {
        bucket: names.bucket,
        prefix: `flow/${Date.now()}-${i}/`,
      })) as [Uploaded];
      for (;;) {
        const res = await fetch(url);
        await res.arrayBuffer();
        if (res.status === 200) break;
        if (performance.now() - started > 120_000) throw new Error(`${key} was not queryable after 120 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
      ms.push(performance.now() - started);
      log(
        `event flow: ${basename(file)} queryable ${Math.round(ms[ms.length - 1] ?? 0)} ms after the upload began`,
      );
    }
    return {
      file: real ? `real: ${basename(file)}` : `generated: ${basename(file)}`,
      bytes: statSync(file).size,
      uploadToQueryableMs: spread(ms),
    };
  } finally {
    await running.stop();
  }
}

/** CPU profiles of ours and of the ceiling on the same 200,000-event sample: where ours spends more. */
async function profileGap(reset: () => Promise<void>): Promise<Record<string, unknown>> {
  const bundles = await buildBundles(true);
  const dir = join(outDir, 'profiles');
  const sample = await dataset(outDir, 200_000, 'profile', log);
  const s3 = localS3();
  await s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: 'bench/profile.csv', Body: readFileSync(sample.eventsFile) }),
  );
  s3.destroy();
  // Only the timed part is profiled (the runners start V8's profiler around it when BENCH_PROFILE
  // names a file), so the ceiling's loading of its pre-parsed plays and ours' warm-up are not counted.
  const profiled = async (name: string, script: string, args: string[]) => {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.cpuprofile`);
    rmSync(file, { force: true });
    await reset();
    const r = await runNode<{ wallMs: number; cpuMs: number }>(script, args, { BENCH_PROFILE: file });
    return {
      wallMs: round(r.wallMs),
      cpuMs: round(r.cpuMs),
      cpuMicrosPerPlay: round((r.cpuMs * 1000) / sample.plays, 1),
      selfMs: summarizeProfile(file),
    };
  };
  log('profile: ours on 200,000 events (unminified bundle)');
  const ours = await profiled('ours', bundles['runner-ours'] as string, [
    BUCKET,
    'bench/profile.csv',
    'bench/warmup.csv',
  ]);
  log('profile: the ceiling on the same plays');
  const ceiling = await profiled('ceiling', bundles['runner-ceiling'] as string, [sample.playsFile, '64']);
  return { sampleEvents: sample.events, samplePlays: sample.plays, ours, ceiling };
}

async function writeResults(
  args: Args,
  data: { events: number; plays: number; bytes: number },
  ingest: ContenderResult[],
  memory: MemoryPoint[],
  reads: LatencyResult[],
  handlers: HandlerStart[],
  flow: FlowResult | undefined,
  profile: Record<string, unknown> | undefined,
): Promise<void> {
  const rate = (name: string) => ingest.find((c) => c.name === name)?.rowsPerSec.median ?? null;
  const ours = rate('ours');
  const ratio = (other: string) => {
    const o = rate(other);
    return ours !== null && o ? round(ours / o, 3) : null;
  };
  const at1GB = memory.find((m) => m.inputMb >= 900)?.peakRssMb ?? null;
  const p99 = (mode: string, query: string, c: number) =>
    reads.find((r) => r.mode === mode && r.query === query && r.concurrency === c)?.p99;
  const handlerVsDriver = reads.length
    ? Math.max(
        ...(['q1', 'q2', 'q3'] as const).flatMap((q) =>
          [1, 32].map((c) => (p99('handler', q, c) ?? Number.NaN) / (p99('driver', q, c) ?? Number.NaN)),
        ),
      )
    : null;
  const goal = (text: string, value: number | null, met: (v: number) => boolean) => ({
    goal: text,
    value: value === null || Number.isNaN(value) ? null : round(value, 3),
    met: value === null || Number.isNaN(value) ? null : met(value),
  });
  const jdk = findJdk(process.env.JAVA_HOME);
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: {
      cpuModel: cpus()[0]?.model.trim(),
      cpus: cpus().length,
      memoryGb: round(totalmem() / 1024 ** 3, 1),
      os: `${type()} ${release()}`,
      node: process.version,
      java: `JDK ${jdk.major}`,
      cassandra: CASSANDRA_VERSION,
      cassandraHeap: readStackSettings().cassandraHeap,
    },
    config: {
      events: data.events,
      plays: data.plays,
      bytes: data.bytes,
      repeats: args.repeats,
      readRequests: args.readRequests,
    },
    summary: {
      oursRowsPerSec: ours ?? 0,
      ceilingRowsPerSec: rate('ceiling') ?? 0,
      cqlshRowsPerSec: rate('cqlsh COPY') ?? 0,
      baselineRowsPerSec: rate('baseline') ?? 0,
      dsbulkRowsPerSec: rate('DSBulk'),
      peakRssMbAt1GB: at1GB,
      ratios: {
        oursToCeiling: ratio('ceiling'),
        oursToCqlsh: ratio('cqlsh COPY'),
        oursToDsbulk: ratio('DSBulk'),
        oursToBaseline: ratio('baseline'),
        handlerP99ToDriverP99Max: handlerVsDriver === null ? null : round(handlerVsDriver, 3),
      },
      goals: {
        'ours / ceiling': goal('>= 0.85', ratio('ceiling'), (v) => v >= 0.85),
        'ours / cqlsh COPY': goal('>= 2', ratio('cqlsh COPY'), (v) => v >= 2),
        'peak RSS at 1 GB (MB)': goal('<= 256', at1GB, (v) => v <= 256),
        'handler p99 / driver p99 (worst query)': goal('<= 1.2', handlerVsDriver, (v) => v <= 1.2),
      },
    },
    ingest,
    memory,
    reads,
    handlers,
    ...(flow ? { flow } : {}),
    ...(profile ? { profile } : {}),
    durationMs: Date.now() - started,
  };
  const dir = join(repo, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = results.date.slice(0, 10);
  writeFileSync(join(dir, `${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.md'), markdown(results));
  writeFileSync(join(dir, 'latest.svg'), chartSvg(results));
  log(
    `done in ${((Date.now() - started) / 60000).toFixed(1)} min; results in bench/results/ (${stamp}.json, latest.md, latest.svg)`,
  );
  process.stdout.write(markdown(results));
}

main(parseArgs(process.argv.slice(2))).then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
