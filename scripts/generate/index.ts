// Public face of the synthetic event-log generator, for the CLI (scripts/generate.ts), tests and benchmarks.
export { type ParsedArgs, parseGenerateArgs, SYNOPSIS, USAGE, UsageError } from './args';
export { Catalog, type Song } from './catalog';
export {
  catalogSize,
  DEFAULT_DAYS,
  DEFAULT_SEED,
  DEFAULT_START,
  EventGenerator,
  type GeneratedEvent,
  type GenerateOptions,
  type GenerationStats,
  generateEvents,
} from './events';
export { CSV_COLUMNS, CSV_HEADER, csvField, csvRow, excelNumber, jsonLine } from './format';
export { SESSION_ID_BASE, USER_ID_BASE } from './ids';
export type { Auth, Method, Page, Status } from './pages';
export type { Gender, Level } from './people';
export { listenerCount } from './sessions';
export {
  eventsInFile,
  type GenerateSummary,
  OUTPUT_FORMATS,
  type OutputFormat,
  outputFileNames,
  type WriteOptions,
  type WrittenFile,
  writeEventFiles,
} from './writers';
