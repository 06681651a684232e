// Client-to-node TLS for the local cluster (`stack:up -- --tls`): a local CA and one certificate per
// node naming the node's own address (an IP SAN, 127.0.0.<n>), made with the JDK's keytool (the JDK
// is there whenever a node runs on the host; no openssl needed), created once in the run-state dir
// (.local/tls/) and reused by every later start. Clients trust the CA through CASSANDRA_TLS_CA_FILE
// and check each node's certificate against the address they dialled, as lib/cassandra/client.ts
// does, so a certificate that names another node is refused.
//
// The keystores are PKCS12 under one password: local, throwaway test material that never leaves the
// machine, never a secret of a deployment.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type { Jdk } from './java';
import { runCommand } from './proc';
import type { StackSettings } from './settings';

export const STACK_KEYSTORE_PASSWORD = 'tracklog-local';
/** Ten years: a local CA outlives any run-state dir that is not wiped. */
const VALIDITY_DAYS = '3650';

export interface StackTlsPaths {
  dir: string;
  /** The CA's key and certificate (signs the nodes' certificates). */
  caKeystore: string;
  /** The CA certificate, PEM: what clients trust (CASSANDRA_TLS_CA_FILE). */
  caFile: string;
}

export function stackTlsPaths(s: StackSettings): StackTlsPaths {
  const dir = join(s.localDir, 'tls');
  return { dir, caKeystore: join(dir, 'ca.p12'), caFile: join(dir, 'ca.pem') };
}

/** Node n's keystore: its key and its certificate chain (its own, signed by the CA, then the CA's). */
export function nodeKeystore(s: StackSettings, address: string): string {
  return join(stackTlsPaths(s).dir, `node-${address}.p12`);
}

async function keytool(jdk: Jdk, args: string[]): Promise<void> {
  const run = await runCommand(join(jdk.home, 'bin', 'keytool'), args, process.env);
  if (run.status !== 0) throw new Error(`keytool ${args[0]} failed:\n${run.output}`);
}

const store = (file: string) => [
  '-keystore',
  file,
  '-storetype',
  'PKCS12',
  '-storepass',
  STACK_KEYSTORE_PASSWORD,
];

/** The CA, made once: a later start reuses it, so certificates made before stay valid. */
async function ensureCa(jdk: Jdk, paths: StackTlsPaths): Promise<void> {
  if (existsSync(paths.caKeystore) && existsSync(paths.caFile)) return;
  // A half-made CA (an interrupted first start) is made again, with every node certificate.
  rmSync(paths.dir, { recursive: true, force: true });
  mkdirSync(paths.dir, { recursive: true });
  await keytool(jdk, [
    '-genkeypair',
    '-alias',
    'ca',
    '-dname',
    'CN=tracklog local CA',
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-validity',
    VALIDITY_DAYS,
    '-ext',
    'bc:c',
    '-ext',
    'ku:c=keyCertSign,cRLSign',
    ...store(paths.caKeystore),
  ]);
  await keytool(jdk, [
    '-exportcert',
    '-rfc',
    '-alias',
    'ca',
    '-file',
    paths.caFile,
    ...store(paths.caKeystore),
  ]);
}

/**
 * The keystore of the node at `address` (made the first time: key, certificate signed by the CA
 * with the address as its one subject alternative name, chain imported), and the CA file.
 */
export async function ensureNodeKeystore(
  s: StackSettings,
  jdk: Jdk,
  address: string,
): Promise<{ keystore: string; caFile: string }> {
  const paths = stackTlsPaths(s);
  await ensureCa(jdk, paths);
  const keystore = nodeKeystore(s, address);
  if (existsSync(keystore)) return { keystore, caFile: paths.caFile };
  const partial = `${keystore}.partial`;
  const csr = join(paths.dir, `node-${address}.csr`);
  const crt = join(paths.dir, `node-${address}.crt`);
  rmSync(partial, { force: true });
  await keytool(jdk, [
    '-genkeypair',
    '-alias',
    'node',
    '-dname',
    `CN=${address}, OU=tracklog local cluster`,
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-validity',
    VALIDITY_DAYS,
    ...store(partial),
  ]);
  await keytool(jdk, ['-certreq', '-alias', 'node', '-file', csr, ...store(partial)]);
  await keytool(jdk, [
    '-gencert',
    '-alias',
    'ca',
    '-infile',
    csr,
    '-outfile',
    crt,
    '-rfc',
    '-validity',
    VALIDITY_DAYS,
    '-ext',
    `san=ip:${address}`,
    '-ext',
    'ku:c=digitalSignature,keyEncipherment',
    '-ext',
    'eku=serverAuth',
    ...store(paths.caKeystore),
  ]);
  // The CA first, so that keytool accepts the signed certificate as a reply to the node's request.
  await keytool(jdk, ['-importcert', '-noprompt', '-alias', 'ca', '-file', paths.caFile, ...store(partial)]);
  await keytool(jdk, ['-importcert', '-alias', 'node', '-file', crt, ...store(partial)]);
  // Renamed when whole: a start interrupted halfway leaves no keystore that looks finished.
  renameSync(partial, keystore);
  rmSync(csr, { force: true });
  rmSync(crt, { force: true });
  return { keystore, caFile: paths.caFile };
}

/** The block of cassandra.yaml that makes a node take clients over TLS only, with its keystore. */
export function clientEncryptionYaml(keystore: string): string {
  return [
    '# Clients over TLS only (stack:up -- --tls): the node presents a certificate of the local CA naming',
    '# its own address (scripts/stack/tls.ts).',
    'client_encryption_options:',
    '  enabled: true',
    '  optional: false',
    `  keystore: ${keystore}`,
    `  keystore_password: ${STACK_KEYSTORE_PASSWORD}`,
    '  store_type: PKCS12',
    '  require_client_auth: false',
    '',
  ].join('\n');
}

/** Whether a node's generated config takes clients over TLS only (it carries clientEncryptionYaml's block). */
export function configTakesTls(yaml: string): boolean {
  return yaml.includes('\nclient_encryption_options:\n  enabled: true\n');
}

/** The TLS options of a stack script's own client (the readiness probe): the CA, each node checked by address. */
export function stackClientTls(caFile: string): ConnectionOptions {
  return { ca: [readFileSync(caFile)], rejectUnauthorized: true };
}
