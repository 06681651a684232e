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

  it('is what the client speculates with: a third of the per-attempt timeout', () => {
    const api = loadConfig({ CASSANDRA_REQUEST_TIMEOUT_MS: '3000' }).cassandra;
    const client = createClient(api);
    const chosen = (client as unknown as { options: { policies: { speculativeExecution: unknown } } }).options
      .policies.speculativeExecution;
    expect(chosen).toBeInstanceOf(ReadSpeculation);
    expect((chosen as ReadSpeculation).delayMs).toBe(1000);
  });
});
