// The plugin ships no type declarations; this is the part of its API the tests compare against.
declare module 'aws-sigv4-auth-cassandra-plugin' {
  import type { auth } from 'cassandra-driver';

  export class SigV4Authenticator implements auth.Authenticator {
    constructor(options: { region: string; chain: { resolvePromise(): Promise<unknown> }; date?: Date });
    initialResponse(callback: (err: Error | null, response: Buffer) => void): void;
    evaluateChallenge(challenge: Buffer, callback: (err: Error | null, response: Buffer) => void): void;
    onAuthenticationSuccess(token?: Buffer): void;
  }
}
