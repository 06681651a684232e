// An outputs bucket in memory (lib/ingest/output-store.ts), recording every call, for the unit tests
// of what writes to it; a part can be made to fail.
import { TransientError } from '../../lib/ingest/failures';
import type { OutputStore, Upload } from '../../lib/ingest/output-store';

/** An outputs bucket in memory, recording every call. */
export function memoryOutputs(opts: { failPart?: number } = {}) {
  const calls: string[] = [];
  const objects = new Map<string, Buffer>();
  const outputs: OutputStore = {
    location: (key) => `s3://outputs/${key}`,
    async put(key, body) {
      calls.push(`put ${key}`);
      objects.set(key, Buffer.from(body));
    },
    async remove(keys) {
      calls.push(`remove ${keys.join(' ')}`);
      for (const key of keys) objects.delete(key);
    },
    async startUpload(key) {
      calls.push(`start ${key}`);
      const parts: Buffer[] = [];
      const upload: Upload = {
        async part(body) {
          if (parts.length + 1 === opts.failPart) throw new TransientError('uploading part: SlowDown');
          calls.push(`part ${parts.length + 1} (${body.length} bytes)`);
          parts.push(body);
        },
        async complete() {
          calls.push('complete');
          objects.set(key, Buffer.concat(parts));
        },
        async abort() {
          calls.push('abort');
        },
      };
      return upload;
    },
  };
  return { outputs, calls, objects };
}
