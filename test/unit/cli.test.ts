import { parseCommandLine, UsageError, wholeNumber } from '../../scripts/cli';

describe('parseCommandLine', () => {
  const options = {
    out: { type: 'string' as const, default: 'ingest-out' },
    exit: { type: 'boolean' as const },
  };

  it('reads options and positionals, with defaults', () => {
    expect(parseCommandLine(['a.csv', '--exit', 'b.csv'], options, true)).toMatchObject({
      values: { out: 'ingest-out', exit: true },
      positionals: ['a.csv', 'b.csv'],
    });
    expect(parseCommandLine(['--out=dir'], options).values.out).toBe('dir');
  });

  it.each([
    [['--fast'], 'unknown option --fast'],
    [['--out'], '--out needs a value'],
    [['stray'], 'takes no arguments besides its options'],
  ])('refuses %j with a usage error: %s', (argv, message) => {
    let caught: unknown;
    try {
      parseCommandLine(argv, options);
    } catch (err: unknown) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as Error).message).toBe(message);
  });
});

describe('wholeNumber', () => {
  it('takes the fallback when the option is absent and the number when it is whole and large enough', () => {
    expect(wholeNumber('events', undefined, 20_000, 100)).toBe(20_000);
    expect(wholeNumber('events', '500', 20_000, 100)).toBe(500);
  });

  it.each(['99', '1.5', 'many', ''])('refuses %j, naming the option', (raw) => {
    expect(() => wholeNumber('events', raw, 20_000, 100)).toThrow('--events must be an integer >= 100');
  });
});
