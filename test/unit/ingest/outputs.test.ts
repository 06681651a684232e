import { join } from 'node:path';
import {
  commonDirectory,
  localOutputs,
  OutputCollisionError,
  type OutputTarget,
  outputNames,
} from '../../../lib/ingest/outputs';

const file = (path: string): OutputTarget => ({ kind: 'file', path });
const s3 = (bucket: string, key: string): OutputTarget => ({ kind: 's3', bucket, key });

describe('outputNames', () => {
  it.each<[string, OutputTarget[], string[]]>([
    ['a single file by its name', [file('/data/in/events.csv')], ['events.csv']],
    [
      'files of one folder by their names',
      [file('/data/in/a.csv'), file('/data/in/b.json.gz')],
      ['a.csv', 'b.json.gz'],
    ],
    [
      'same-named files by their path below the folder they share',
      [file('/data/in/day1/events.csv'), file('/data/in/day2/events.csv'), file('/data/in/events.csv')],
      ['day1/events.csv', 'day2/events.csv', 'events.csv'],
    ],
    [
      'files with nothing but / in common',
      [file('/a/events.csv'), file('/b/events.csv')],
      ['a/events.csv', 'b/events.csv'],
    ],
    [
      'S3 objects by bucket and key, same-named keys kept apart',
      [s3('raw', '2018/11/events.csv'), s3('raw', '2018/12/events.csv'), s3('other', '2018/11/events.csv')],
      ['s3/raw/2018/11/events.csv', 's3/raw/2018/12/events.csv', 's3/other/2018/11/events.csv'],
    ],
    [
      'an S3 key that tries to climb out of the output folder',
      [s3('raw', '../../etc/passwd.csv'), s3('raw', 'a/./b.csv')],
      ['s3/raw/%2E%2E/%2E%2E/etc/passwd.csv', 's3/raw/a/%2E/b.csv'],
    ],
  ])('names %s', (_case, targets, names) => {
    expect(outputNames(targets)).toEqual(names);
  });

  it.each<[string, OutputTarget[]]>([
    ['the same file twice', [file('/data/a.csv'), file('/data/./a.csv')]],
    ['names that differ only in case', [file('/data/Events.csv'), file('/data/events.csv')]],
    ['a local path that spells an S3 name', [file('/x/s3/raw/a.csv'), file('/x/b.csv'), s3('raw', 'a.csv')]],
  ])('refuses, before anything is ingested, %s', (_case, targets) => {
    expect(() => outputNames(targets)).toThrow(OutputCollisionError);
    expect(() => outputNames(targets)).toThrow(/would both be reported as/);
  });
});

describe('commonDirectory', () => {
  it('is the deepest folder holding every path, compared by whole names', () => {
    expect(commonDirectory(['/data/in2/a.csv', '/data/in/b.csv'])).toBe('/data');
    expect(commonDirectory(['/data/in/x/a.csv', '/data/in/x/y/b.csv'])).toBe('/data/in/x');
  });
});

describe('localOutputs', () => {
  it('puts the report and the rejects side by side', () => {
    expect(localOutputs('out', 'day1/events.csv')).toEqual({
      report: join('out', 'day1', 'events.csv.report.json'),
      rejectsBase: join('out', 'day1', 'events.csv.rejected'),
    });
  });
});
