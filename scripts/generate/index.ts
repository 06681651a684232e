// Public face of the synthetic event-log generator, for the CLI (scripts/generate.ts), tests and benchmarks.
export { type ParsedArgs, parseGenerateArgs, USAGE, UsageError } from './args';
export { Catalog, type Song } from './catalog';
export {
  type Auth,
  catalogSize,
  DEFAULT_DAYS,
  DEFAULT_SEED,
  DEFAULT_START,
  EventGenerator,
  type GeneratedEvent,
  type GenerateOptions,
  type GenerationStats,
  generateEvents,
  listenerCount,
  type Method,
  type Page,
  type Status,
} from './events';
export { CSV_COLUMNS, CSV_HEADER, csvField, csvRow, excelNumber, jsonLine } from './format';
export type { Gender, Level } from './people';
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
