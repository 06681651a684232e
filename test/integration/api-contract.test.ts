// The contract and the API agree: schemathesis, with every check it has, against serverless offline
// in front of the real Cassandra, for about 30 s (the long run is `npm run fuzz:api`). The keyspace
// holds the rows the contract's examples name, so its examples and the links from their answers
// (next pages, a session's songs as plays and as titles) reach real rows rather than 404s, and the
// quirks fixture, whose titles are full of reserved URL characters.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config';
import { localOutputs, outputNames } from '../../lib/ingest/outputs';
import { ingestFilePart } from '../../lib/ingest/service';
import { createLogger } from '../../lib/log';
import {
  describeFigures,
  ensureSchemathesis,
  examplesCsv,
  type FuzzFigures,
  runSchemathesis,
} from '../../scripts/fuzz/api';
import { type Offline, startOffline } from '../../scripts/local/offline';
import { readStackSettings, stackLog } from '../../scripts/stack/settings';
import { useSchemaKeyspace } from './support/cassandra';

const RUN_SECONDS = 30;

/** Checks that apply to every operation of this API; each must have run, not only been listed. */
const CORE_CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  'positive_data_acceptance',
  'negative_data_rejection',
  'unsupported_method',
];

describe('the query API against openapi.yaml (schemathesis, every check)', () => {
  const ks = useSchemaKeyspace();
  const dir = mkdtempSync(join(tmpdir(), 'api-contract-'));
  let api: Offline | undefined;
  let st: string;

  beforeAll(async () => {
    // The first run installs schemathesis from PyPI into the user cache (later runs reuse it).
    st = await ensureSchemathesis(readStackSettings(), stackLog);
    writeFileSync(join(dir, 'examples.csv'), examplesCsv());
    const rt = {
      cfg: loadConfig({ ...process.env, CASSANDRA_KEYSPACE: ks.name }),
      client: ks.client,
      log: createLogger('error', {}, () => undefined),
    };
    const files = [join(dir, 'examples.csv'), join(__dirname, '..', 'fixtures', 'quirks.csv')];
    const names = outputNames(files.map((path) => ({ kind: 'file' as const, path })));
    for (const [i, file] of files.entries()) {
      const { rejectsBase } = localOutputs(dir, names[i] as string);
      expect((await ingestFilePart(rt, file, rejectsBase)).status).toBe('completed');
    }
    api = await startOffline({ env: { CASSANDRA_KEYSPACE: ks.name }, name: `api-contract-${ks.name}` });
  }, 600_000);
  afterAll(async () => {
    await api?.stop();
  });

  let figures: FuzzFigures;

  it(`finds no failure and no error in a ${RUN_SECONDS} s run`, async () => {
    if (!api) throw new Error('serverless offline did not start');
    figures = await runSchemathesis(st, {
      baseUrl: api.baseUrl,
      maxTimeSeconds: RUN_SECONDS,
      reportDir: join(dir, 'schemathesis'),
    });
    const summary = describeFigures(figures);
    // The figures every run; schemathesis's own output too on a failure (a curl line for each).
    stackLog(`schemathesis against the API:\n${summary}`);
    if (figures.exitCode !== 0) process.stderr.write(`${figures.output}\n`);
    expect({
      failures: figures.failures,
      errors: figures.errors,
      exitCode: figures.exitCode,
      summary,
    }).toEqual({
      failures: [],
      errors: [],
      exitCode: 0,
      summary,
    });
  }, 300_000);

  it('made enough requests, ran every check that applies, and reached every kind of answer', () => {
    expect(figures.requests).toBeGreaterThan(100);
    for (const check of CORE_CHECKS)
      expect({ check, ran: (figures.checks[check]?.passed ?? 0) > 0 }).toEqual({ check, ran: true });
    // 200s from the examples and links, 400s from invalid parameters, 404s from unknown keys and
    // foreign cursors, 405s from the methods the contract does not declare.
    for (const status of ['200', '400', '404', '405'])
      expect({ status, seen: (figures.byStatus[status] ?? 0) > 0 }).toEqual({ status, seen: true });
    expect(Object.keys(figures.byStatus).filter((s) => s.startsWith('5'))).toEqual([]);
  });
});
