// An object that cannot be read as an event log at all (not a header, corrupt compression, a
// runaway record). The ingest reports it as failed with this message; it never crashes the run.
export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}
