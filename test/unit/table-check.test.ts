// The check the integration and fault tests make of the tables after an ingest (and after a node
// killed mid-ingest): exact, for each of the three tables. A row lost, a row added or a value changed
// in any one table must fail it, whichever table and whatever the counts elsewhere.
import { generateEvents } from '../../scripts/generate/index';
import { differences, expectedContents, type TableContents } from '../integration/support/expected';

const expected = expectedContents(generateEvents({ events: 2000, seed: 'table-check' }));
const tables = Object.keys(expected) as (keyof TableContents)[];
const copy = (c: TableContents): TableContents => ({
  plays_by_session: new Map(c.plays_by_session),
  songs_by_user_session: new Map(c.songs_by_user_session),
  listeners_by_song: new Map(c.listeners_by_song),
});

describe('the tables checked against the source', () => {
  it('finds no difference when every table holds exactly what the source implies', () => {
    expect(tables).toEqual(['plays_by_session', 'songs_by_user_session', 'listeners_by_song']);
    for (const t of tables) expect(expected[t].size).toBeGreaterThan(100);
    expect(differences(expected, copy(expected))).toEqual([]);
  });

  it.each(tables)('fails when one row of %s is lost, and names it', (table) => {
    const actual = copy(expected);
    const [key] = [...actual[table].keys()].slice(-1) as [string];
    actual[table].delete(key);
    const found = differences(expected, actual);
    expect(found).toContain(`${table}: ${expected[table].size - 1} rows, expected ${expected[table].size}`);
    expect(found).toContain(`${table} ${key}: missing != ${expected[table].get(key)}`);
    expect(found.every((line) => line.startsWith(table))).toBe(true);
  });

  it.each(tables)('fails when %s holds a row the source does not imply, or a changed value', (table) => {
    const added = copy(expected);
    added[table].set('no|such|row', 'x');
    expect(differences(expected, added)).toEqual([
      `${table}: ${expected[table].size + 1} rows, expected ${expected[table].size}`,
    ]);
    const changed = copy(expected);
    const [key] = [...changed[table].keys()] as [string];
    changed[table].set(key, 'changed');
    expect(differences(expected, changed)).toEqual([
      `${table} ${key}: changed != ${expected[table].get(key)}`,
    ]);
  });

  it('fails when a row is swapped for another: the counts match, the keys do not', () => {
    const actual = copy(expected);
    const [key] = [...actual.listeners_by_song.keys()] as [string];
    actual.listeners_by_song.delete(key);
    actual.listeners_by_song.set('no|such|row', 'x');
    expect(differences(expected, actual)).toEqual([
      `listeners_by_song ${key}: missing != ${expected.listeners_by_song.get(key)}`,
    ]);
  });
});
