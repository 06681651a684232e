// The API's reads (the three queries and the ingest ledger of one object), each a single-partition
// prepared SELECT derived from the data model, behind a small interface so the HTTP layer can be
// tested with a fake.
import { type Client, errors, type QueryOptions, type types } from 'cassandra-driver';
import { consistencyCode } from '../cassandra/client';
import { keyedSelectCql } from '../cassandra/cql';
import {
  ingestLedger,
  type LedgerEntry,
  listenersBySong,
  playsBySession,
  songsByUserSession,
} from '../cassandra/model';
import type { CassandraConfig } from '../config';
import { ledgerEntryOfRow } from '../ingest/ledger';
import { noSuchPage } from './cursor';

export interface PageOptions {
  limit: number;
  pageState: string | undefined;
}

export interface Page<Row> {
  rows: Row[];
  /** Set when Cassandra says there may be more rows. */
  pageState: string | undefined;
}

export interface SessionItemRow {
  artist: string;
  song: string;
  length: number | null;
}

export interface UserSessionPage extends Page<{ itemInSession: number; artist: string; song: string }> {
  firstName: string | null;
  lastName: string | null;
}

export interface ListenerRow {
  userId: number;
  firstName: string | null;
  lastName: string | null;
}

export interface QueryStore {
  sessionItem(sessionId: number, itemInSession: number): Promise<SessionItemRow | undefined>;
  userSessionSongs(userId: number, sessionId: number, page: PageOptions): Promise<UserSessionPage>;
  listeners(song: string, page: PageOptions): Promise<Page<ListenerRow>>;
  /** Every ledger row of one source (one per object version, in etag order); none when never ingested. */
  ingestVersions(source: string): Promise<LedgerEntry[]>;
}

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

export class CassandraQueryStore implements QueryStore {
  private readonly sessionItemCql: string;
  private readonly userSessionCql: string;
  /** The user's names alone (static columns), for a trailing page that has no rows left. */
  private readonly userNamesCql: string;
  private readonly listenersCql: string;
  /** The whole partition of a source, every column: ledgerEntryOfRow maps a row back to a LedgerEntry. */
  private readonly ingestVersionsCql: string;
  private readonly options: QueryOptions;

  constructor(
    private readonly client: Client,
    cfg: CassandraConfig,
  ) {
    const ks = cfg.keyspace;
    this.sessionItemCql = keyedSelectCql(
      ks,
      playsBySession,
      ['session_id', 'item_in_session'],
      ['artist', 'song', 'length'],
    );
    this.userSessionCql = keyedSelectCql(
      ks,
      songsByUserSession,
      ['user_id', 'session_id'],
      ['item_in_session', 'artist', 'song', 'first_name', 'last_name'],
    );
    this.userNamesCql = `${keyedSelectCql(ks, songsByUserSession, ['user_id', 'session_id'], ['first_name', 'last_name'])} LIMIT 1`;
    this.listenersCql = keyedSelectCql(ks, listenersBySong, ['song'], ['user_id', 'first_name', 'last_name']);
    this.ingestVersionsCql = keyedSelectCql(
      ks,
      ingestLedger,
      ['source'],
      ingestLedger.columns.map((c) => c.name),
    );
    this.options = { prepare: true, isIdempotent: true, consistency: consistencyCode(cfg.readConsistency) };
  }

  private async page(cql: string, params: unknown[], page: PageOptions): Promise<types.ResultSet> {
    try {
      return await this.client.execute(cql, params, {
        ...this.options,
        fetchSize: page.limit,
        ...(page.pageState ? { pageState: page.pageState } : {}),
      });
    } catch (err: unknown) {
      // A signed cursor whose paging state Cassandra no longer accepts (e.g. after a schema change):
      // the page it named is gone, as for a cursor that does not verify.
      if (page.pageState && err instanceof errors.ResponseError && /paging state/i.test(err.message)) {
        throw noSuchPage();
      }
      throw err;
    }
  }

  async sessionItem(sessionId: number, itemInSession: number): Promise<SessionItemRow | undefined> {
    const row = (
      await this.client.execute(this.sessionItemCql, [sessionId, itemInSession], this.options)
    ).first();
    if (!row) return undefined;
    return { artist: row.get('artist'), song: row.get('song'), length: row.get('length') ?? null };
  }

  async userSessionSongs(userId: number, sessionId: number, page: PageOptions): Promise<UserSessionPage> {
    const rs = await this.page(this.userSessionCql, [userId, sessionId], page);
    let first = rs.rows[0];
    if (!first && page.pageState) {
      // A trailing empty page still answers with the user's name (a static column of the partition).
      first = (await this.client.execute(this.userNamesCql, [userId, sessionId], this.options)).first();
    }
    return {
      rows: rs.rows.map((r) => ({
        itemInSession: r.get('item_in_session'),
        artist: r.get('artist'),
        song: r.get('song'),
      })),
      pageState: rs.pageState ?? undefined,
      firstName: str(first?.get('first_name')),
      lastName: str(first?.get('last_name')),
    };
  }

  async listeners(song: string, page: PageOptions): Promise<Page<ListenerRow>> {
    const rs = await this.page(this.listenersCql, [song], page);
    return {
      rows: rs.rows.map((r) => ({
        userId: r.get('user_id'),
        firstName: str(r.get('first_name')),
        lastName: str(r.get('last_name')),
      })),
      pageState: rs.pageState ?? undefined,
    };
  }

  async ingestVersions(source: string): Promise<LedgerEntry[]> {
    const rs = await this.client.execute(this.ingestVersionsCql, [source], this.options);
    // An object has a row per version it was uploaded as: few, but the iterator reads every page.
    const entries: LedgerEntry[] = [];
    for await (const row of rs) entries.push(ledgerEntryOfRow(row));
    return entries;
  }
}
