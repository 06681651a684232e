// npm run upload -- --wait against a running local event flow: the script, run as a user runs it,
// uploads to that flow's bucket, waits for each file's report in its outputs bucket, prints one line
// per file, and exits 1 when one failed; quiet about the SDK's Node version notice by itself.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quirks } from '../support/quirks';
import { useSchemaKeyspace } from './support/cassandra';
import { useLocalFlow } from './support/flow';

const repo = join(__dirname, '..', '..');
const HEADER =
  'artist,auth,firstName,gender,itemInSession,lastName,length,level,location,method,page,registration,sessionId,song,status,ts,userId';

function uploadCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // The test environment silences the notice; the script must do it on its own.
  const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...env } = process.env;
  return new Promise((resolve) => {
    execFile(
      join(repo, 'node_modules', '.bin', 'tsx'),
      ['scripts/upload.ts', ...args],
      { cwd: repo, env, timeout: 180_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('npm run upload -- --wait', () => {
  const ks = useSchemaKeyspace();
  const flow = useLocalFlow('upload-wait', ks);
  const { names } = flow;
  const dir = mkdtempSync(join(tmpdir(), 'upload-wait-'));
  const file = (name: string, body: Buffer | string) => {
    writeFileSync(join(dir, name), body);
    return join(dir, name);
  };
  const target = () => ['--bucket', names.bucket, '--outputs-bucket', names.outputs, '--timeout', '120'];

  it('prints the outcome of a file with bad rows and of a file that is not an event log, and exits 1', async () => {
    const good = file('good.csv', quirks);
    const bad = file('bad.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
    const res = await uploadCli(['--wait', ...target(), good, bad]);
    expect(res.code).toBe(1);
    expect(res.stderr).not.toContain('NodeVersionSupportWarning');
    const lines = res.stdout.trimEnd().split('\n');
    // The two uploads, then the two outcomes, in the order they came.
    expect(lines.slice(0, 2).sort()).toEqual([
      `s3://${names.bucket}/incoming/bad.csv`,
      `s3://${names.bucket}/incoming/good.csv`,
    ]);
    expect(lines.slice(2).sort()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^s3://${names.bucket}/incoming/bad\\.csv: failed: .+ \\(it can never be ingested as it is: its message is in the dead-letter queue; upload a fixed version, then npm run redrive\\)$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^s3://${names.bucket}/incoming/good\\.csv: completed, 14 rows read, 6 written, 2 skipped, 6 rejected; ` +
            `rejects in s3://${names.outputs}/rejected/incoming/good\\.csv/[0-9a-f]{32}/part-0001-[0-9a-f-]{8}\\.jsonl$`,
        ),
      ),
    ]);
  });

  it('exits 0 when every file ended well, a re-upload of the same bytes reported as a duplicate', async () => {
    const rows = Array.from(
      { length: 5 },
      (_, i) =>
        `Band,Logged In,Ann,F,${i},Lee,${100 + i},free,"City, ST",PUT,NextSong,,${770_000},Song ${i},200,${i},77`,
    );
    const clean = file('clean.csv', `${HEADER}\r\n${rows.join('\r\n')}\r\n`);
    const first = await uploadCli(['--wait', ...target(), clean]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(
      `s3://${names.bucket}/incoming/clean.csv: completed, 5 rows read, 5 written, 0 skipped, 0 rejected\n`,
    );
    // A duplicate is told by its version's ingest having begun before the upload, less a second of
    // clock slack: upload again at least that long after.
    await new Promise((r) => setTimeout(r, 1500));
    const again = await uploadCli(['--wait', ...target(), clean]);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toMatch(
      /incoming\/clean\.csv: duplicate, already ingested at \S+: 5 rows read, 5 written, 0 skipped, 0 rejected\n/,
    );
  });

  it('gives up after --timeout when no report comes, and exits 1', async () => {
    const lonely = file('lonely.csv', `${HEADER}\r\n`);
    // The outputs bucket notifies nothing: an upload there is never ingested.
    const res = await uploadCli([
      '--wait',
      '--bucket',
      names.outputs,
      '--outputs-bucket',
      names.outputs,
      '--timeout',
      '2',
      lonely,
    ]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(
      `s3://${names.outputs}/incoming/lonely.csv: no outcome within 2 s (still in progress, or being retried: GET /ingests?source=… says how far it got)`,
    );
  });
});
