import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localStackPython } from '../../../scripts/stack/index';
import { readStackSettings } from '../../../scripts/stack/settings';

describe('localStackPython', () => {
  const saved = { PATH: process.env.PATH, PYENV_ROOT: process.env.PYENV_ROOT };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  /** An executable that answers the version probe as a Python major.minor would. */
  const fakePython = (path: string, version: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, `#!/bin/sh\necho "${version.replace('.', ' ')}"\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const host = { ...readStackSettings(), mode: 'host' as const, python: undefined, externalAws: undefined };

  it("finds pyenv's newest 3.12/3.13 when python3 on PATH is 3.11 (the CI machine)", () => {
    const root = mkdtempSync(join(tmpdir(), 'py-'));
    fakePython(join(root, 'bin', 'python3'), '3.11');
    fakePython(join(root, 'pyenv', 'versions', '3.12.1', 'bin', 'python3'), '3.12');
    const newest = fakePython(join(root, 'pyenv', 'versions', '3.13.0', 'bin', 'python3'), '3.13');
    process.env.PATH = join(root, 'bin');
    process.env.PYENV_ROOT = join(root, 'pyenv');
    expect(localStackPython(host)).toEqual({ ok: true, message: `${newest} (Python 3.13)` });
  });

  it('fails with a message naming what it found when there is no Python >= 3.12', () => {
    const root = mkdtempSync(join(tmpdir(), 'py-'));
    fakePython(join(root, 'bin', 'python3'), '3.11');
    process.env.PATH = join(root, 'bin');
    process.env.PYENV_ROOT = join(root, 'no-pyenv');
    const check = localStackPython(host);
    expect(check.ok).toBe(false);
    expect(check.message).toContain('needs Python >= 3.12');
    expect(check.message).toContain('found only python3 (3.11)');
  });

  it('takes TRACKLOG_PYTHON alone when it is set', () => {
    const root = mkdtempSync(join(tmpdir(), 'py-'));
    const old = fakePython(join(root, 'python-old'), '3.10');
    expect(localStackPython({ ...host, python: old })).toMatchObject({ ok: false });
    const ok = fakePython(join(root, 'python-new'), '3.12');
    expect(localStackPython({ ...host, python: ok })).toEqual({ ok: true, message: `${ok} (Python 3.12)` });
  });

  it('needs no Python when the user runs the endpoint or LocalStack runs in Docker', () => {
    process.env.PATH = mkdtempSync(join(tmpdir(), 'empty-'));
    expect(localStackPython({ ...host, externalAws: 'http://localhost:4566' }).ok).toBe(true);
    expect(localStackPython({ ...host, mode: 'docker' }).ok).toBe(true);
  });
});
