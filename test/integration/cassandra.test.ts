import { types } from 'cassandra-driver';
import { useTestKeyspace } from './support/cassandra';

describe('the local Cassandra node', () => {
  const ks = useTestKeyspace();

  it('answers a real CQL query as Apache Cassandra 5.0', async () => {
    const rs = await ks.client.execute('SELECT release_version FROM system.local');
    expect(rs.first()?.get('release_version')).toMatch(/^5\.0\.\d+$/);
  });

  it('writes and reads rows of a table through prepared statements', async () => {
    await ks.client.execute(
      `CREATE TABLE ${ks.name}.plays (session_id int, item int, song text, length float,
         PRIMARY KEY ((session_id), item))`,
    );
    const insert = `INSERT INTO ${ks.name}.plays (session_id, item, song, length) VALUES (?, ?, ?, ?)`;
    const rows: [number, number, string, number][] = [
      [338, 4, 'Music Matters (Mark Knight Dub)', 495.3073],
      [338, 1, 'Sehr kosmisch', 477.23],
      [338, 2, 'Ça plane pour moi', 180.5],
      [7, 0, 'Other session', 100],
    ];
    for (const row of rows) await ks.client.execute(insert, row, { prepare: true });

    const rs = await ks.client.execute(
      `SELECT item, song, length FROM ${ks.name}.plays WHERE session_id = ?`,
      [338],
      { prepare: true },
    );
    expect(rs.rows.map((r) => [r.get('item'), r.get('song')])).toEqual([
      [1, 'Sehr kosmisch'],
      [2, 'Ça plane pour moi'],
      [4, 'Music Matters (Mark Knight Dub)'],
    ]);
    expect(rs.rows[2]?.get('length')).toBeCloseTo(495.3073, 3);
    expect(rs.columns.map((c) => c.type.code)).toEqual([
      types.dataTypes.int,
      types.dataTypes.varchar,
      types.dataTypes.float,
    ]);
  });
});
