import {
  addColumnCql,
  alterKeyspaceCql,
  createKeyspaceCql,
  createTableCql,
  insertStatement,
  keyedSelectCql,
} from '../../../lib/cassandra/cql';
import { allTables, listenersBySong, playsBySession, songsByUserSession } from '../../../lib/cassandra/model';
import type { Play } from '../../../lib/events/event';

const play: Play = {
  sessionId: 338,
  itemInSession: 4,
  userId: 10,
  artist: 'Faithless',
  song: 'Music Matters (Mark Knight Dub)',
  length: 495.3073,
  firstName: 'Sylvie',
  lastName: undefined,
};

describe('the data model', () => {
  it('gives each query a table keyed by exactly what the query is given', () => {
    expect(playsBySession.partitionKey).toEqual(['session_id']);
    expect(playsBySession.clustering).toEqual([{ column: 'item_in_session', order: 'ASC' }]);
    expect(songsByUserSession.partitionKey).toEqual(['user_id', 'session_id']);
    expect(songsByUserSession.columns.filter((c) => c.static).map((c) => c.name)).toEqual([
      'first_name',
      'last_name',
    ]);
    expect(listenersBySong.partitionKey).toEqual(['song']);
    expect(listenersBySong.clustering.map((c) => c.column)).toEqual(['user_id']);
  });

  it('names every table once', () => {
    const names = allTables.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('CQL derived from the model', () => {
  it('creates the Q2 table with its compound partition key, static names and clustering order', () => {
    expect(createTableCql('tracklog', songsByUserSession)).toBe(
      [
        'CREATE TABLE IF NOT EXISTS tracklog.songs_by_user_session (',
        '  user_id int,',
        '  session_id int,',
        '  item_in_session int,',
        '  artist text,',
        '  song text,',
        '  first_name text STATIC,',
        '  last_name text STATIC,',
        '  PRIMARY KEY ((user_id, session_id), item_in_session)',
        ') WITH CLUSTERING ORDER BY (item_in_session ASC)',
      ].join('\n'),
    );
  });

  it('creates keyspaces with either replication strategy', () => {
    expect(createKeyspaceCql('ks', { class: 'SimpleStrategy', replicationFactor: 1 })).toBe(
      "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
    );
    expect(
      createKeyspaceCql('ks', { class: 'NetworkTopologyStrategy', datacenters: { dc1: 3, 'us-east': 2 } }),
    ).toBe(
      "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'us-east': 2}",
    );
  });

  it('binds a play to the insert in column order, leaving missing values undefined (unset, not null)', () => {
    const insert = insertStatement('tracklog', listenersBySong);
    expect(insert.cql).toBe(
      'INSERT INTO tracklog.listeners_by_song (song, user_id, first_name, last_name) VALUES (?, ?, ?, ?)',
    );
    expect(insert.values(play)).toEqual(['Music Matters (Mark Knight Dub)', 10, 'Sylvie', undefined]);
    expect(insert.values(play)[3]).toBeUndefined();
  });

  it('builds keyed selects on the partition key, optionally narrowed by clustering columns', () => {
    expect(
      keyedSelectCql(
        'tracklog',
        playsBySession,
        ['session_id', 'item_in_session'],
        ['artist', 'song', 'length'],
      ),
    ).toBe(
      'SELECT artist, song, length FROM tracklog.plays_by_session WHERE session_id = ? AND item_in_session = ?',
    );
    expect(keyedSelectCql('tracklog', listenersBySong, ['song'], ['user_id'])).toBe(
      'SELECT user_id FROM tracklog.listeners_by_song WHERE song = ?',
    );
  });

  it.each([
    ['half a compound partition key', songsByUserSession, ['user_id']],
    ['a clustering column alone', playsBySession, ['item_in_session']],
    ['a regular column', listenersBySong, ['first_name']],
    ['key columns out of order', songsByUserSession, ['session_id', 'user_id']],
  ])('refuses to build a read on %s (it would need ALLOW FILTERING)', (_case, table, keys) => {
    expect(() => keyedSelectCql('tracklog', table as typeof playsBySession, keys, ['song'])).toThrow(
      /a read must restrict the partition key/,
    );
  });

  it('refuses a column the table does not have', () => {
    expect(() => keyedSelectCql('tracklog', listenersBySong, ['song'], ['length'])).toThrow(
      'no column length',
    );
  });

  describe('names the keyspace the same way in every statement', () => {
    const simple = { class: 'SimpleStrategy', replicationFactor: 1 } as const;
    const statements = (ks: string) => [
      createKeyspaceCql(ks, simple),
      alterKeyspaceCql(ks, simple),
      createTableCql(ks, songsByUserSession),
      addColumnCql(ks, songsByUserSession, 'first_name'),
      insertStatement(ks, playsBySession).cql,
      keyedSelectCql(ks, listenersBySong, ['song'], ['user_id']),
    ];

    it('bare when it is lowercase, as the config requires', () => {
      const [create, alter, table, add, insert, select] = statements('tracklog');
      expect(create).toMatch(/^CREATE KEYSPACE IF NOT EXISTS tracklog WITH/);
      expect(alter).toBe(
        "ALTER KEYSPACE tracklog WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
      );
      expect(table).toMatch(/^CREATE TABLE IF NOT EXISTS tracklog\.songs_by_user_session \(/);
      expect(add).toBe('ALTER TABLE tracklog.songs_by_user_session ADD first_name text STATIC');
      expect(insert).toMatch(/^INSERT INTO tracklog\.plays_by_session /);
      expect(select).toMatch(/ FROM tracklog\.listeners_by_song WHERE/);
    });

    it('quoted everywhere, ALTER included, when it is not', () => {
      for (const cql of statements('Mixed_Case')) expect(cql).toMatch(/ "Mixed_Case"[ .]/);
    });
  });

  it('refuses to add a column the model does not have', () => {
    expect(() => addColumnCql('tracklog', playsBySession, 'colour')).toThrow('no column colour');
  });
});
