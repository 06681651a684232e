// The same two services through docker-compose.yml, for machines with a working Docker engine.
// A marker file records which services these scripts started, so `down` stops only those.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, type StackSettings, seconds, stackLog } from './settings';

export type ComposeService = 'cassandra' | 'localstack';

export function dockerWorks(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

function compose(args: string[]): void {
  const r = spawnSync('docker', ['compose', '-f', join(repoRoot, 'docker-compose.yml'), ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`docker compose ${args.join(' ')} failed (exit ${r.status})`);
}

function marker(s: StackSettings, service: ComposeService): string {
  return join(s.localDir, 'docker', `${service}.started`);
}

export function startedWithDocker(s: StackSettings, service: ComposeService): boolean {
  return existsSync(marker(s, service));
}

/** Starts one compose service and waits for its health check (compose --wait). */
export function composeUp(s: StackSettings, service: ComposeService): void {
  const started = Date.now();
  stackLog(`${service}: starting with docker compose (first run pulls the image)`);
  compose(['up', '--detach', '--wait', service]);
  mkdirSync(join(s.localDir, 'docker'), { recursive: true });
  writeFileSync(marker(s, service), `${new Date().toISOString()}\n`);
  stackLog(`${service}: container healthy in ${seconds(Date.now() - started)}`);
}

export function composeStop(s: StackSettings, service: ComposeService): boolean {
  if (!startedWithDocker(s, service)) return false;
  compose(['stop', service]);
  rmSync(marker(s, service), { force: true });
  return true;
}
