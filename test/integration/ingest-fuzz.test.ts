// The ingest fuzzer's bounded run (the long one is `npm run fuzz:ingest`): mutated event logs and
// files that are not event logs, through the whole pipeline with the real sink and ledger. Every
// outcome is completed with read = written + skipped + rejected, or failed with a message that
// names the problem; nothing that is not an event log completes; nothing crashes.
import { loadConfig } from '../../lib/config';
import { runIngestFuzz } from '../../scripts/fuzz/ingest';
import { MUTATION_KINDS } from '../../scripts/fuzz/mutations';
import { useSchemaKeyspace } from './support/cassandra';

describe('the ingest, fuzzed', () => {
  const ks = useSchemaKeyspace();

  it('keeps its invariants for every mutated input', async () => {
    const count = Number(process.env.FUZZ_INGEST_INPUTS ?? 240);
    const run = await runIngestFuzz({
      client: ks.client,
      cfg: loadConfig({ ...process.env, CASSANDRA_KEYSPACE: ks.name }),
      count,
      seed: 20261127,
    });
    expect(
      run.results
        .filter((r) => r.problems.length > 0)
        .map((r) => `${r.input.name}: ${r.problems.join('; ')}`),
    ).toEqual([]);
    expect(run.results).toHaveLength(count + 2);
    // Every kind of mutation ran, and both outcomes happened: the run is not vacuous.
    expect(Object.keys(run.byKind).sort()).toEqual([...MUTATION_KINDS, '20 MB line'].sort());
    expect(run.results.some((r) => r.report.status === 'completed' && r.report.rowsWritten > 0)).toBe(true);
    expect(run.results.some((r) => r.report.status === 'failed')).toBe(true);
  }, 600_000);
});
