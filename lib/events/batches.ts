// Reads an object-mode stream a buffer-full at a time. Handing records over in arrays instead of one
// promise per record takes most of the per-record async overhead off the ingest's hot path.
import { once } from 'node:events';
import type { Readable } from 'node:stream';

export async function* readBatches<T>(readable: Readable): AsyncGenerator<T[]> {
  for (;;) {
    const batch: T[] = [];
    for (let item = readable.read() as T | null; item !== null; item = readable.read() as T | null)
      batch.push(item);
    if (batch.length > 0) {
      yield batch;
      continue;
    }
    if (readable.readableEnded || readable.destroyed) {
      if (readable.errored) throw readable.errored;
      return;
    }
    // Whichever comes first: more data, the end, or an error (once() rejects on 'error').
    const ac = new AbortController();
    try {
      await Promise.race([
        once(readable, 'readable', { signal: ac.signal }),
        once(readable, 'end', { signal: ac.signal }),
        once(readable, 'close', { signal: ac.signal }),
      ]);
    } finally {
      ac.abort();
    }
  }
}
