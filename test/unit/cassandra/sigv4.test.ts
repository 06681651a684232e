import { SigV4Authenticator as PluginAuthenticator } from 'aws-sigv4-auth-cassandra-plugin';
import { nonceOf, SigV4AuthProvider } from '../../../lib/cassandra/sigv4';

const creds = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'token-1',
};
const date = new Date('2026-11-25T10:00:00Z');
const challenge = Buffer.from('nonce=91703fdc2ef562e19fbdab0f58e42fe5,and=more', 'utf8');

function answer(
  authenticator: { evaluateChallenge(c: Buffer, cb: (e: Error | null, r: Buffer) => void): void },
  c: Buffer,
) {
  return new Promise<string>((resolve, reject) =>
    authenticator.evaluateChallenge(c, (err, res) => (err ? reject(err) : resolve(res.toString('utf8')))),
  );
}

describe('SigV4AuthProvider (Amazon Keyspaces)', () => {
  const ours = new SigV4AuthProvider(
    'eu-west-1',
    async () => creds,
    () => date,
  ).newAuthenticator();

  it('asks for SigV4 in its initial response', async () => {
    const initial = await new Promise<Buffer>((resolve) =>
      ours.initialResponse((_e: Error | null, r: Buffer) => resolve(r)),
    );
    expect(initial.toString('utf8')).toBe('SigV4\0\0');
  });

  it('answers a challenge exactly as aws-sigv4-auth-cassandra-plugin does', async () => {
    const plugin = new PluginAuthenticator({
      region: 'eu-west-1',
      chain: { resolvePromise: async () => creds },
      date,
    });
    const expected = await answer(plugin, challenge);
    expect(expected).toContain('signature=');
    expect(await answer(ours, challenge)).toBe(expected);
  });

  it('fails the handshake on a challenge without a nonce', async () => {
    await expect(answer(ours, Buffer.from('hello'))).rejects.toThrow('no nonce in the SigV4 challenge');
  });

  it('reads the nonce from the challenge', () => {
    expect(nonceOf(challenge)).toBe('91703fdc2ef562e19fbdab0f58e42fe5');
  });
});
