// The query parameters as the contract describes them: what is optional, what may be empty, what a
// title may be. The contract's schemas are read from openapi.yaml, so the two cannot drift apart.
import type { S3Client } from '@aws-sdk/client-s3';
import { MAX_TEXT_LENGTH } from '../../../lib/events/event';
import { s3Source } from '../../../lib/ingest/sources';
import {
  DEFAULT_LIMIT,
  MAX_SOURCE_LENGTH,
  NOT_BLANK,
  pageRequest,
  S3_SOURCE_PATTERN,
  songParam,
  sourceParam,
} from '../../../lib/queries/params';
import { parameter, parameterSchema } from '../../support/openapi';

const query = (qs: string) => new URLSearchParams(qs);

function refusal(fn: () => unknown): { statusCode: number; parameter?: string; message: string } {
  try {
    fn();
  } catch (err: unknown) {
    return err as { statusCode: number; parameter?: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('optional parameters given empty', () => {
  it.each([
    ['nothing', ''],
    ['an empty limit', 'limit='],
    ['an empty cursor', 'cursor='],
    ['both empty', 'limit=&cursor='],
    ['a bare limit', 'limit'],
  ])('count as absent: %s is the first page of the default size', (_case, qs) => {
    expect(pageRequest(query(qs))).toEqual({ limit: DEFAULT_LIMIT, cursor: undefined });
  });

  it('are what the contract says (allowEmptyValue on limit and cursor, not on the required song)', () => {
    for (const op of ['getUserSessionSongs', 'getListeners']) {
      expect(parameter(op, 'limit').allowEmptyValue).toBe(true);
      expect(parameter(op, 'cursor').allowEmptyValue).toBe(true);
    }
    expect(parameter('getListeners', 'song')).toMatchObject({ required: true });
    expect(parameter('getListeners', 'song').allowEmptyValue).toBeUndefined();
  });

  it('still refuse a limit that is given but is no page size', () => {
    expect(refusal(() => pageRequest(query('limit=%20')))).toMatchObject({
      statusCode: 400,
      parameter: 'limit',
      message: 'limit must be an integer between 1 and 1000, got " "',
    });
  });
});

describe('a parameter given twice', () => {
  it.each([
    ['limit', 'limit=5&limit=6'],
    ['cursor', 'cursor=a&cursor=b'],
    ['limit', 'limit=&limit=5'],
  ])('is a 400 naming %s (which value was meant is a guess)', (name, qs) => {
    expect(refusal(() => pageRequest(query(qs)))).toMatchObject({ statusCode: 400, parameter: name });
  });

  it('is a 400 for song too', () => {
    expect(refusal(() => songParam(query('song=a&song=b')))).toMatchObject({
      statusCode: 400,
      parameter: 'song',
      message: 'song is given 2 times; give it once',
    });
  });
});

describe('the song title', () => {
  it.each([
    ['absent', ''],
    ['empty', 'song='],
    ['spaces', 'song=%20%20'],
    ['a tab and a line break', 'song=%09%0A'],
    ['an ideographic space and a BOM', `song=${encodeURIComponent('\u3000\ufeff')}`],
  ])('is refused when %s, naming song', (_case, qs) => {
    expect(refusal(() => songParam(query(qs)))).toMatchObject({ statusCode: 400, parameter: 'song' });
  });

  it.each([
    ['a control character that is not white space', '\u001c'],
    ['a zero-width space (not white space to trim either)', '\u200b'],
    ['padding around a word', '  Yellow  '],
  ])('is accepted as given when it holds %s', (_case, song) => {
    expect(songParam(query(`song=${encodeURIComponent(song)}`))).toBe(song);
  });

  it(`is counted in code points, as the contract's maxLength counts: ${MAX_TEXT_LENGTH} emoji pass, one more fails`, () => {
    const emoji = '\u{1f3b5}';
    expect(songParam(query(`song=${encodeURIComponent(emoji.repeat(MAX_TEXT_LENGTH))}`))).toHaveLength(
      2 * MAX_TEXT_LENGTH,
    );
    expect(
      refusal(() => songParam(query(`song=${encodeURIComponent(emoji.repeat(MAX_TEXT_LENGTH + 1))}`))),
    ).toMatchObject({ statusCode: 400, parameter: 'song' });
  });

  it("has the contract's schema: 1 to MAX_TEXT_LENGTH characters, not blank by the API's own test", () => {
    expect(parameterSchema('getListeners', 'song')).toEqual({
      type: 'string',
      minLength: 1,
      maxLength: MAX_TEXT_LENGTH,
      pattern: NOT_BLANK.source,
    });
  });

  it('is blank by NOT_BLANK exactly when trim() empties it, for every BMP character', () => {
    const disagree: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      if (NOT_BLANK.test(ch) !== (ch.trim() !== '')) disagree.push(c.toString(16));
    }
    expect(disagree).toEqual([]);
  });
});

describe('the ingest source', () => {
  const longestBucket = `a${'b'.repeat(61)}c`;

  it.each([
    ['a plain key', 's3://tracklog-local-raw-events/incoming/events.csv'],
    [
      'a key with spaces, a plus, non-ASCII and reserved characters',
      's3://bucket/a b+c/Ça va? #1 & 100%.csv',
    ],
    ['a key that starts with a slash', 's3://bucket//events.csv'],
    ['a key holding a line break', 's3://bucket/a\nb.csv'],
    ['a bucket with dots and digits', 's3://my.bucket-2/k'],
    ['the longest bucket and key', `s3://${longestBucket}/${'\u{1f3b5}'.repeat(1024)}`],
  ])('accepts %s, as the ingest names the object (s3://<bucket>/<key>)', (_case, source) => {
    expect(sourceParam(query(`source=${encodeURIComponent(source)}`))).toBe(source);
  });

  it('is at most MAX_SOURCE_LENGTH code points: s3://, a 63-character bucket, / and a 1,024-byte key', () => {
    expect(MAX_SOURCE_LENGTH).toBe(1093);
    const longest = `s3://${longestBucket}/${'k'.repeat(1024)}`;
    expect([...longest]).toHaveLength(MAX_SOURCE_LENGTH);
    expect(refusal(() => sourceParam(query(`source=${longest}k`)))).toMatchObject({
      statusCode: 400,
      parameter: 'source',
      message: `source must be at most ${MAX_SOURCE_LENGTH} characters`,
    });
  });

  it.each([
    ['absent', '', 'source is required'],
    ['empty', 'source=', 'source is required'],
    ['given twice', 'source=s3://b1/k&source=s3://b2/k', 'source is given 2 times; give it once'],
    [
      'not an s3:// URL',
      'source=/tmp/events.csv',
      'source must be an S3 object as s3://<bucket>/<key>, got "/tmp/events.csv"',
    ],
  ])('is a 400 naming source when %s', (_case, qs, message) => {
    expect(refusal(() => sourceParam(query(qs)))).toMatchObject({
      statusCode: 400,
      parameter: 'source',
      message,
    });
  });

  it("has the contract's schema: the pattern and length the API enforces", () => {
    expect(parameter('getIngests', 'source')).toMatchObject({ in: 'query', required: true });
    expect(parameterSchema('getIngests', 'source')).toEqual({
      type: 'string',
      maxLength: MAX_SOURCE_LENGTH,
      pattern: S3_SOURCE_PATTERN,
    });
  });

  it("is the form lib/ingest/sources.ts gives an S3 object's source", () => {
    // Naming the object sends nothing, so no client is needed.
    const noClient = {} as S3Client;
    const source = s3Source(noClient, 'tracklog-prod-raw-events', 'in/a b.csv', { stallMs: 1000 }).source;
    expect(source).toBe('s3://tracklog-prod-raw-events/in/a b.csv');
    expect(sourceParam(query(`source=${encodeURIComponent(source)}`))).toBe(source);
  });
});
