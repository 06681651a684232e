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
    for (const op of ['getSessionItem', 'getUserSessionSongs', 'getListeners'])
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
});
