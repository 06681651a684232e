import { classify } from '../../../lib/events/classify';
import { MAX_TEXT_LENGTH } from '../../../lib/events/event';

const play = {
  artist: "Des'ree",
  auth: 'Logged In',
  firstName: 'Kaylee',
  gender: 'F',
  itemInSession: '1',
  lastName: 'Summers',
  length: '246.30812',
  level: 'free',
  location: 'Phoenix-Mesa-Scottsdale, AZ',
  method: 'PUT',
  page: 'NextSong',
  registration: '1.54034E+12',
  sessionId: '139',
  song: 'You Gotta Be',
  status: '200',
  ts: '1.54111E+12',
  userId: '8',
};

describe('classify', () => {
  it('turns a CSV play into a typed play', () => {
    expect(classify(play)).toEqual({
      kind: 'play',
      play: {
        sessionId: 139,
        itemInSession: 1,
        userId: 8,
        artist: "Des'ree",
        song: 'You Gotta Be',
        length: 246.30812,
        firstName: 'Kaylee',
        lastName: 'Summers',
      },
    });
  });

  it('accepts JSON-lines values: numbers as numbers and the userId as a string', () => {
    const json = {
      ...play,
      sessionId: 139,
      itemInSession: 1,
      length: 246.30812,
      userId: '8',
      ts: 1541121934796,
    };
    expect(classify(json)).toMatchObject({
      kind: 'play',
      play: { sessionId: 139, userId: 8, length: 246.30812 },
    });
  });

  it.each([
    ['Home', { page: 'Home', artist: '', song: '', length: '' }],
    ['Login with an empty userId (logged out)', { page: 'Login', userId: '', auth: 'Logged Out' }],
    ['Thumbs Up', { page: 'Thumbs Up' }],
  ])('skips a %s event: not a play, not an error', (_name, fields) => {
    expect(classify({ ...play, ...fields })).toEqual({ kind: 'skip' });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an empty userId', { userId: '' }, 'userId is missing'],
    ['a null userId (JSON)', { userId: null }, 'userId is missing'],
    ['a missing sessionId', { sessionId: undefined }, 'sessionId is missing'],
    ['a non-numeric sessionId', { sessionId: 'abc' }, 'sessionId is not a number: "abc"'],
    ['a fractional itemInSession', { itemInSession: '1.5' }, 'itemInSession is not an integer: "1.5"'],
    [
      'a userId beyond the int range',
      { userId: '3000000000' },
      'userId is outside the 32-bit int range: "3000000000"',
    ],
    [
      'a sessionId below the int range',
      { sessionId: -2147483649 },
      'sessionId is outside the 32-bit int range: -2147483649',
    ],
    [
      'a spreadsheet-mangled id too big for an int',
      { sessionId: '1.54111E+12' },
      'sessionId is outside the 32-bit int range: "1.54111E+12"',
    ],
    ['a negative length', { length: '-5' }, 'length is negative: "-5"'],
    ['a non-numeric length', { length: 'long' }, 'length is not a number: "long"'],
    ['an infinite length (JSON)', { length: 'Infinity' }, 'length is not a number: "Infinity"'],
    ['a length that overflows to Infinity', { length: '1e999' }, 'length is not a finite number: "1e999"'],
    ['a negative overflowing length', { length: '-1E+400' }, 'length is not a finite number: "-1E+400"'],
    ['a NaN length (a number value)', { length: Number.NaN }, 'length is not a finite number: NaN'],
    ['an infinite length (a number value)', { length: Infinity }, 'length is not a finite number: Infinity'],
    ['an overflowing sessionId', { sessionId: '9e999' }, 'sessionId is not a finite number: "9e999"'],
    ['an empty artist', { artist: '' }, 'artist is empty'],
    ['a whitespace-only song', { song: '   ' }, 'song is empty'],
    ['a numeric song (JSON)', { song: 42 }, 'song is not text: 42'],
    [
      'an absurdly long song title',
      { song: 'x'.repeat(MAX_TEXT_LENGTH + 1) },
      `song is longer than ${MAX_TEXT_LENGTH} characters (${MAX_TEXT_LENGTH + 1})`,
    ],
    [
      'an absurdly long first name',
      { firstName: 'y'.repeat(5000) },
      `firstName is longer than ${MAX_TEXT_LENGTH} characters (5000)`,
    ],
    ['no page at all', { page: '' }, 'page is missing: cannot tell a play from other events'],
  ])('rejects a play with %s', (_name, fields, reason) => {
    expect(classify({ ...play, ...fields })).toEqual({ kind: 'reject', reason });
  });

  it.each([
    ['an integer written as a decimal', { itemInSession: '10.0' }, { itemInSession: 10 }],
    ['E notation that is an exact integer', { userId: '1.2E+1' }, { userId: 12 }],
    [
      'the int range limits',
      { sessionId: '2147483647', userId: '-2147483648' },
      { sessionId: 2147483647, userId: -2147483648 },
    ],
    ['a zero length', { length: '0' }, { length: 0 }],
  ])('accepts %s', (_name, fields, expected) => {
    expect(classify({ ...play, ...fields })).toMatchObject({ kind: 'play', play: expected });
  });

  it('leaves absent optional values unset rather than empty', () => {
    const result = classify({ ...play, length: '', firstName: null, lastName: undefined });
    expect(result).toMatchObject({ kind: 'play' });
    if (result.kind !== 'play') throw new Error('expected a play');
    expect(result.play.length).toBeUndefined();
    expect(result.play.firstName).toBeUndefined();
    expect(result.play.lastName).toBeUndefined();
  });

  it('keeps titles exactly as written, reserved URL characters and non-ASCII included', () => {
    const song = `  Ça plane / pour moi? #1 100% + "live" & 'more'  `;
    expect(classify({ ...play, song })).toMatchObject({ kind: 'play', play: { song } });
  });
});
