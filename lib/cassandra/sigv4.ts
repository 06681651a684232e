// SigV4 authentication for Amazon Keyspaces. The handshake and the signature are the ones of
// aws-sigv4-auth-cassandra-plugin (its signing module is used as is); credentials come from the
// AWS SDK v3 provider chain that the Lambda runtime already ships, instead of the plugin's
// SDK v2 chain, which would add tens of megabytes to every function bundle.
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { auth } from 'cassandra-driver';

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

type CredentialSource = () => Promise<Credentials>;

interface SigningModule {
  computeSigV4SignatureCassandraRequest(input: {
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string | undefined;
    date: Date;
    nonce: string;
  }): string;
}

const signing = require('aws-sigv4-auth-cassandra-plugin/lib/sigv4-auth-signature') as SigningModule;

/** Keyspaces sends "nonce=<value>,..." as its challenge. */
export function nonceOf(challenge: Buffer): string | undefined {
  return /nonce=([^,]+)/.exec(challenge.toString('utf8'))?.[1];
}

class SigV4Authenticator implements auth.Authenticator {
  constructor(
    private readonly region: string,
    private readonly credentials: CredentialSource,
    private readonly now: () => Date,
  ) {}

  initialResponse(callback: (err: Error | null, response: Buffer) => void): void {
    callback(null, Buffer.from('SigV4\0\0', 'utf8'));
  }

  evaluateChallenge(challenge: Buffer, callback: (err: Error | null, response: Buffer) => void): void {
    const nonce = nonceOf(challenge);
    if (!nonce) {
      callback(new Error(`no nonce in the SigV4 challenge: ${challenge.toString('utf8')}`), Buffer.alloc(0));
      return;
    }
    this.credentials().then(
      (creds) => {
        const signed = signing.computeSigV4SignatureCassandraRequest({
          region: this.region,
          accessKeyId: creds.accessKeyId,
          secretAccessKey: creds.secretAccessKey,
          sessionToken: creds.sessionToken,
          date: this.now(),
          nonce,
        });
        callback(null, Buffer.from(signed, 'utf8'));
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), Buffer.alloc(0)),
    );
  }

  onAuthenticationSuccess(): void {}
}

export class SigV4AuthProvider implements auth.AuthProvider {
  constructor(
    private readonly region: string,
    private readonly credentials: CredentialSource = defaultProvider(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  newAuthenticator(): auth.Authenticator {
    return new SigV4Authenticator(this.region, this.credentials, this.now);
  }
}
