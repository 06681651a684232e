// Structured JSON logs, one object per line on stderr (stdout belongs to the CLIs' reports; Lambda
// ships both to CloudWatch). Context such as the object key or request id rides along via child().

/** In order of severity: a logger at one level writes that level and those after it. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LOG_LEVELS)[number];
export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(context: Fields): Logger;
}

/** Errors serialise to nothing with JSON.stringify; keep name, message, code and stack. */
export function errorFields(err: unknown): Fields {
  if (err instanceof Error) {
    const out: Fields = { name: err.name, message: err.message, stack: err.stack };
    const code = (err as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (err.cause !== undefined) out.cause = errorFields(err.cause);
    return out;
  }
  return { message: String(err) };
}

function serialise(fields: Fields): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v instanceof Error ? errorFields(v) : v;
  return out;
}

export function createLogger(
  level: Level = 'info',
  context: Fields = {},
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const emit = (lvl: Level, msg: string, fields?: Fields) => {
    if (LOG_LEVELS.indexOf(lvl) < LOG_LEVELS.indexOf(level)) return;
    const entry = { time: new Date().toISOString(), level: lvl, msg, ...context, ...serialise(fields ?? {}) };
    write(`${JSON.stringify(entry)}\n`);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (more) => createLogger(level, { ...context, ...more }, write),
  };
}
