// The ways of reading the event log that the parsing section measures (bench/runners/parsing.ts
// says what each is), shared by the section and its runner.
export const PARSING_WAYS = [
  'read',
  'csv-parse',
  "csv-parse, reader's options",
  'reader, csv-parse only',
  'reader',
  'reader, JSON lines',
] as const;
export type ParsingWay = (typeof PARSING_WAYS)[number];
