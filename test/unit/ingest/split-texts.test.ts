// A gzip object's split texts in the outputs bucket (lib/ingest/split-texts.ts): each split's text
// whole and in order under its own key, streamed as a multipart upload of full chunks once it is
// longer than a chunk; a failed plan leaves no upload open.
import { gzipSync } from 'node:zlib';
import { planSplits } from '../../../lib/ingest/split-plan';
import { outputSplitTexts } from '../../../lib/ingest/split-texts';
import { s3SplitTextKey } from '../../../lib/ingest/version-outputs';
import { memoryOutputs } from '../../support/memory-outputs';

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const HEADER = 'page,artist,song,length,sessionId,itemInSession,userId,firstName,lastName';
const row = (i: number) => `NextSong,"Sigur Rós","Hoppípolla\n${i}",${200 + i},1,${i},9,Zoë,Ł`;

describe('outputSplitTexts', () => {
  it('keeps each split of a gzip plan as an object of its own, whole and in order', async () => {
    const text = Buffer.from(`${HEADER}\n${Array.from({ length: 300 }, (_, i) => row(i)).join('\n')}\n`);
    const { outputs, calls, objects } = memoryOutputs();
    const texts = outputSplitTexts(outputs, (s) => s3SplitTextKey('in/day.csv.gz', 'e1', s + 1), 1000);
    // 500 gzip bytes a split: 4,000 bytes of text, several chunks each.
    const plan = await planSplits(chunked(gzipSync(text), 512), 'day.csv.gz', 500, texts);
    expect(plan.splits.length).toBeGreaterThan(3);
    plan.splits.forEach((s) => {
      const key = `splits/in/day.csv.gz/e1/split-${String(s.index + 1).padStart(4, '0')}.txt`;
      expect(texts.locations[s.index]).toBe(`s3://outputs/${key}`);
      expect(objects.get(key)?.equals(text.subarray(s.start.offset, s.end))).toBe(true);
    });
    // Longer than a chunk: multipart, every part but the last a full chunk or more.
    const size = (c: string | undefined) =>
      Number(/^part \d+ \((\d+) bytes/.exec(c ?? '')?.[1] ?? Number.NaN);
    const parts = calls.filter((c) => c.startsWith('part'));
    expect(parts.length).toBeGreaterThan(plan.splits.length);
    calls.forEach((c, i) => {
      if (c.startsWith('part') && calls[i + 1]?.startsWith('part'))
        expect(size(c)).toBeGreaterThanOrEqual(1000);
    });
    expect(calls.filter((c) => c === 'complete')).toHaveLength(plan.splits.length);
  });

  it('stores a split shorter than a chunk with one put', async () => {
    const { outputs, calls } = memoryOutputs();
    const texts = outputSplitTexts(outputs, (s) => `t/${s}`, 1000);
    await texts.write(0, Buffer.from('a,b\n'));
    await texts.end(0);
    expect(calls).toEqual(['put t/0']);
  });

  it('aborts the upload open when the plan fails, and refuses text out of order', async () => {
    const { outputs, calls } = memoryOutputs({ failPart: 2 });
    const texts = outputSplitTexts(outputs, (s) => `t/${s}`, 10);
    await texts.write(0, Buffer.from('x'.repeat(20)));
    await expect(texts.write(0, Buffer.from('y'.repeat(20)))).rejects.toThrow(/SlowDown/);
    await texts.abandon();
    expect(calls.at(-1)).toBe('abort');
    const again = outputSplitTexts(memoryOutputs().outputs, (s) => `t/${s}`);
    await again.write(0, Buffer.from('a'));
    await expect(again.write(1, Buffer.from('b'))).rejects.toThrow(/before split 0/);
  });
});
