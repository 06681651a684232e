// Reads speculate to a second coordinator, writes never (lib/cassandra/client.ts, ReadSpeculation):
// the plan the driver asks for each request, and the client the functions build.
import { createClient, ReadSpeculation } from '../../../lib/cassandra/client';
import { loadConfig } from '../../../lib/config';

/** The delays the driver would be given for one request: it asks until it gets -1. */
function delays(policy: ReadSpeculation, query: string | object[]): number[] {
  const plan = policy.newPlan('ks', query);
  const out: number[] = [];
  for (let d = plan.nextExecution(); d >= 0 && out.length < 5; d = plan.nextExecution()) out.push(d);
  return out;
}

describe('ReadSpeculation', () => {
  const policy = new ReadSpeculation(1000);

  it('sends a read to one more coordinator, once, after the delay', () => {
    expect(delays(policy, 'SELECT artist FROM ks.plays_by_session WHERE session_id = ?')).toEqual([1000]);
    expect(delays(policy, '  select * from ks.t')).toEqual([1000]);
  });

  it('never speculates a write, a batch or a lightweight transaction', () => {
    expect(delays(policy, 'INSERT INTO ks.t (a) VALUES (?)')).toEqual([]);
    expect(delays(policy, 'UPDATE ks.t SET a = ? WHERE k = ? IF revision = ?')).toEqual([]);
    expect(delays(policy, [{ query: 'SELECT 1', params: [] }])).toEqual([]);
    expect(delays(policy, 'SELECTED_NOT_A_KEYWORD')).toEqual([]);
  });

  const policyOf = (client: object) =>
    (client as { options: { policies: { speculativeExecution: unknown } } }).options.policies
      .speculativeExecution;

  it('is what the query API\u2019s client speculates with: a third of the per-attempt timeout', () => {
    const api = loadConfig({ CASSANDRA_REQUEST_TIMEOUT_MS: '3000' }).cassandra;
    const chosen = policyOf(createClient(api, 'queries'));
    expect(chosen).toBeInstanceOf(ReadSpeculation);
    expect((chosen as ReadSpeculation).delayMs).toBe(1000);
  });

  it('is not in the ingest\u2019s client, whose ledger reads are serial', () => {
    expect(policyOf(createClient(loadConfig({}).cassandra))).not.toBeInstanceOf(ReadSpeculation);
    expect(policyOf(createClient(loadConfig({}).cassandra, 'ingest'))).not.toBeInstanceOf(ReadSpeculation);
  });
});
