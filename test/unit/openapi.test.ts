import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { openApiErrors } from '../support/openapi';

describe('openapi.yaml', () => {
  it('accepts a body shaped like the documented Q1 answer', () => {
    expect(
      openApiErrors('getSessionItem', 200, {
        sessionId: 1,
        itemInSession: 2,
        artist: 'a',
        song: 's',
        length: null,
      }),
    ).toEqual([]);
  });

  it.each([
    ['a missing field', { sessionId: 1, itemInSession: 2, artist: 'a', song: 's' }],
    ['an extra field', { sessionId: 1, itemInSession: 2, artist: 'a', song: 's', length: 1, extra: true }],
    [
      'an id beyond the int range',
      { sessionId: 2 ** 31, itemInSession: 2, artist: 'a', song: 's', length: 1 },
    ],
  ])('refuses %s, so the contract check can fail', (_case, body) => {
    expect(openApiErrors('getSessionItem', 200, body)).not.toEqual([]);
  });

  it('documents the error body of every 400', () => {
    const body = { error: { code: 'bad_request', message: 'limit must be…', parameter: 'limit' } };
    for (const op of ['getSessionItem', 'getUserSessionSongs', 'getListeners', 'getIngests'])
      expect(openApiErrors(op, 400, body)).toEqual([]);
  });

  it('refuses an undocumented status', () => {
    expect(() => openApiErrors('getSessionItem', 405, {})).toThrow('documents no 405 response');
  });

  it('documents the 404 of a cursor that names no page, on both listings', () => {
    const body = { error: { code: 'not_found', message: 'no such page…', parameter: 'cursor' } };
    for (const op of ['getUserSessionSongs', 'getListeners'])
      expect(openApiErrors(op, 404, body)).toEqual([]);
  });

  it('documents every error code the API answers with', () => {
    for (const code of ['bad_request', 'not_found', 'method_not_allowed', 'unavailable', 'internal'])
      expect(openApiErrors('getListeners', 400, { error: { code, message: 'm' } })).toEqual([]);
    expect(openApiErrors('getListeners', 400, { error: { code: 'teapot', message: 'm' } })).not.toEqual([]);
  });

  describe('the ingest status (getIngests)', () => {
    const version = {
      etag: 'e',
      versionId: null,
      status: 'in_progress',
      format: 'csv',
      compressed: false,
      parts: 1,
      rowsRead: 3,
      rowsWritten: 2,
      rowsSkipped: 1,
      rowsRejected: 0,
      writeRetries: 0,
      rejectsLocations: [],
      startedAt: '2025-11-27T12:00:00.000Z',
      finishedAt: null,
      durationMs: 10,
      error: null,
      failure: null,
      report: null,
      checkpoint: { part: 2, offset: 100, line: 4 },
      leaseUntil: '2025-11-27T12:15:00.000Z',
      splits: null,
    };

    it('accepts an in-progress version with its checkpoint and lease', () => {
      expect(openApiErrors('getIngests', 200, { source: 's3://b/k', versions: [version] })).toEqual([]);
    });

    it.each([
      ['no versions (that is a 404)', { source: 's3://b/k', versions: [] }],
      [
        'a status the ledger does not have',
        { source: 's3://b/k', versions: [{ ...version, status: 'duplicate' }] },
      ],
      ['a missing field', { source: 's3://b/k', versions: [{ ...version, leaseUntil: undefined }] }],
      ['splits without their total', { source: 's3://b/k', versions: [{ ...version, splits: { done: 1 } }] }],
      [
        'a checkpoint without its line',
        { source: 's3://b/k', versions: [{ ...version, checkpoint: { part: 2, offset: 1 } }] },
      ],
    ])('refuses %s', (_case, body) => {
      expect(openApiErrors('getIngests', 200, JSON.parse(JSON.stringify(body)))).not.toEqual([]);
    });

    it('gives an example answer that its own schema accepts', () => {
      const spec = parse(readFileSync(join(__dirname, '..', '..', 'openapi.yaml'), 'utf8'));
      const example = spec.paths['/ingests'].get.responses['200'].content['application/json'].example;
      expect(example.versions.length).toBeGreaterThan(0);
      expect(openApiErrors('getIngests', 200, example)).toEqual([]);
    });

    it('documents its 404', () => {
      const body = { error: { code: 'not_found', message: 'no ingest of s3://b/k is known' } };
      expect(openApiErrors('getIngests', 404, body)).toEqual([]);
    });
  });
});
