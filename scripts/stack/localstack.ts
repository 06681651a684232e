// LocalStack 4.14.0 (S3 + SQS) on the host: localstack-core from PyPI, installed from a pinned lock
// into a virtualenv in the user cache, run with `python -m localstack.runtime.main`, its state in
// .local/localstack/. 4.14.0 is the last release that starts without an auth token.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { localStackHealth, s3AndSqsReady } from './probes';
import { portInUse, runCommand } from './proc';
import { launchOnHost, type StackService } from './service';
import { LOCALSTACK_URL, type StackSettings, seconds, stackConfigDir, stackLog } from './settings';

export const LOCALSTACK_VERSION = '4.14.0';
const ADDRESS = '127.0.0.1';
const PORT = 4566;
const START_TIMEOUT_MS = 90_000;
const lockFile = join(stackConfigDir, 'localstack', 'requirements.lock');

export interface Python {
  path: string;
  version: string;
}

function pythonVersion(path: string): [number, number] | undefined {
  const out = spawnSync(path, ['-c', 'import sys; print(sys.version_info[0], sys.version_info[1])'], {
    encoding: 'utf8',
  });
  if (out.status !== 0) return undefined;
  const [major, minor] = out.stdout.trim().split(' ').map(Number);
  return major !== undefined && minor !== undefined ? [major, minor] : undefined;
}

/** A Python >= 3.12: TRACKLOG_PYTHON, then python3.13 / python3.12 / python3 on PATH, then pyenv's. */
export function findPython(s: StackSettings): Python | { missing: string } {
  const candidates = s.python ? [s.python] : ['python3.13', 'python3.12', 'python3'];
  const pyenv = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions');
  if (!s.python && existsSync(pyenv)) {
    for (const v of readdirSync(pyenv).sort().reverse()) {
      if (/^3\.1[23]\./.test(v)) candidates.push(join(pyenv, v, 'bin', 'python3'));
    }
  }
  const seen: string[] = [];
  for (const candidate of candidates) {
    const v = pythonVersion(candidate);
    if (!v) continue;
    if (v[0] === 3 && v[1] >= 12) return { path: candidate, version: `${v[0]}.${v[1]}` };
    seen.push(`${candidate} (${v[0]}.${v[1]})`);
  }
  return {
    missing:
      `LocalStack ${LOCALSTACK_VERSION} needs Python >= 3.12 (it uses 3.12 syntax); ` +
      `${seen.length > 0 ? `found only ${seen.join(', ')}` : 'none found'}. ` +
      'Install one (python3.12 or python3.13) and/or set TRACKLOG_PYTHON to it, or use TRACKLOG_STACK=docker.',
  };
}

function venvDir(s: StackSettings, python: Python): string {
  const lockHash = createHash('sha256').update(readFileSync(lockFile)).digest('hex').slice(0, 10);
  return join(s.cacheDir, `localstack-${LOCALSTACK_VERSION}-py${python.version}-${lockHash}`);
}

async function ensureVenv(s: StackSettings, python: Python): Promise<string> {
  const dir = venvDir(s, python);
  const done = join(dir, '.installed');
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(s.cacheDir, { recursive: true });
  stackLog(
    `localstack: installing localstack-core ${LOCALSTACK_VERSION} (S3, SQS) and its pinned dependencies ` +
      `from PyPI into ${dir} (first run only, about 40 MB)`,
  );
  const started = Date.now();
  const run = async (cmd: string, args: string[]) => {
    const r = await runCommand(cmd, args);
    if (r.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.output}`);
    }
  };
  await run(python.path, ['-m', 'venv', dir]);
  await run(join(dir, 'bin', 'python'), [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '-r',
    lockFile,
  ]);
  writeFileSync(done, `${new Date().toISOString()}\n`);
  stackLog(`localstack: installed in ${seconds(Date.now() - started)}`);
  return dir;
}

export function localStackPaths(s: StackSettings) {
  const root = join(s.localDir, 'localstack');
  return { root, pidFile: join(root, 'localstack.pid'), log: join(root, 'localstack.log') };
}

/** LocalStack as the ladder sees it. */
export function localStack(s: StackSettings): StackService {
  const endpoint = s.externalAws ?? LOCALSTACK_URL;
  return {
    name: 'localstack',
    id: 'localstack',
    title: 'LocalStack',
    address: ADDRESS,
    port: PORT,
    endpoint,
    external: s.externalAws,
    externalSetting: 'AWS_ENDPOINT_URL',
    pidFile: localStackPaths(s).pidFile,
    hostPrerequisites: () => {
      const python = findPython(s);
      return 'path' in python
        ? { ok: true, start: () => startLocalStackOnHost(s, python) }
        : { ok: false, reason: python.missing };
    },
    compose: 'localstack',
    probe: async () => {
      const h = await localStackHealth(endpoint);
      if (!s3AndSqsReady(h))
        throw new Error(`s3=${h.services.s3 ?? 'absent'} sqs=${h.services.sqs ?? 'absent'}`);
      return h.version;
    },
    probeIntervalMs: 250,
    waitMs: { ours: START_TIMEOUT_MS, external: 30_000, portTaken: 15_000 },
    stopGraceMs: 15_000,
  };
}

/** The environment LocalStack runs with: S3 and SQS only, served on 127.0.0.1 alone. */
export function localStackEnv(root: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG,
    SERVICES: 's3,sqs',
    EAGER_SERVICE_LOADING: '1',
    GATEWAY_LISTEN: `${ADDRESS}:${PORT}`,
    // The default runtime server, twisted, binds only GATEWAY_LISTEN's port, on 0.0.0.0: its
    // TwistedRuntimeServer.register (localstack/runtime/server/twisted.py) builds
    // TCP4ServerEndpoint(reactor, port) without the host ("TODO: interface = host?"), still so
    // upstream. Hypercorn, the default before 3.5 and still shipped, binds host:port as given
    // (HypercornRuntimeServer: `bind = [str(host_and_port) ...]`) and serves HTTP and HTTPS on
    // the port as twisted does (localstack/http/duplex_socket.py).
    GATEWAY_SERVER: 'hypercorn',
    LOCALSTACK_HOST: `${ADDRESS}:${PORT}`,
    // Queue URLs of the form http://127.0.0.1:4566/queue/<region>/<account>/<name>: resolvable without DNS.
    SQS_ENDPOINT_STRATEGY: 'path',
    DNS_ADDRESS: '0',
    DISABLE_EVENTS: '1',
    SKIP_SSL_CERT_DOWNLOAD: '1',
    PERSISTENCE: '0',
    FILESYSTEM_ROOT: join(root, 'fs'),
  };
}

async function startLocalStackOnHost(s: StackSettings, python: Python): Promise<string> {
  const paths = localStackPaths(s);
  const started = Date.now();
  const venv = await ensureVenv(s, python);
  if (await portInUse(PORT, ADDRESS)) {
    throw new Error(
      `port ${PORT} on ${ADDRESS} is taken by another process that is not LocalStack; ` +
        'stop it, or point AWS_ENDPOINT_URL at the S3/SQS endpoint you run yourself.',
    );
  }
  mkdirSync(paths.root, { recursive: true });
  stackLog(`localstack: starting ${LOCALSTACK_VERSION} (Python ${python.version}) on ${LOCALSTACK_URL}`);
  const pythonBin = join(venv, 'bin', 'python');
  const version = await launchOnHost({
    process: {
      command: pythonBin,
      args: ['-m', 'localstack.runtime.main'],
      env: localStackEnv(paths.root),
      cwd: paths.root,
      logFile: paths.log,
      pidFile: paths.pidFile,
      marker: pythonBin,
    },
    ready: async () => {
      const h = await localStackHealth(LOCALSTACK_URL);
      if (!s3AndSqsReady(h)) throw new Error(`s3=${h.services.s3} sqs=${h.services.sqs}`);
      return h.version;
    },
    readyTimeoutMs: START_TIMEOUT_MS,
    readyIntervalMs: 250,
    title: 'LocalStack',
    logs: [paths.log],
    logLines: 20,
    abortGraceMs: 5000,
  });
  stackLog(`localstack: ready in ${seconds(Date.now() - started)} (${version}, s3 and sqs available)`);
  return version;
}
