// Turns events into the bytes of the two formats the real service produces: the CSV exports (CRLF,
// minimal quoting, optionally with the spreadsheet-mangled numbers of the published files) and eventsim's
// native JSON lines. Hand-written because it is the hot path and needs no dependency.
import type { GeneratedEvent } from './events';

export const CSV_COLUMNS = [
  'artist',
  'auth',
  'firstName',
  'gender',
  'itemInSession',
  'lastName',
  'length',
  'level',
  'location',
  'method',
  'page',
  'registration',
  'sessionId',
  'song',
  'status',
  'ts',
  'userId',
] as const satisfies readonly (keyof GeneratedEvent)[];

export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\r\n`;

const NEEDS_QUOTES = /[",\r\n]/;

/** RFC 4180: quote only fields holding a comma, quote or line break; double the quotes inside. */
export function csvField(value: string | null): string {
  if (value === null) return '';
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * What a spreadsheet's General format made of 13-digit millisecond times in the published files: six
 * significant digits in E notation, trailing zeros dropped (1541105830796 -> 1.54111E+12, and
 * 1541300000000 -> 1.5413E+12).
 */
export function excelNumber(value: number): string {
  const [mantissa = '', exponent = ''] = value.toExponential(5).split('e');
  const trimmed = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
  const sign = exponent.startsWith('-') ? '-' : '+';
  const digits = exponent.replace(/^[+-]/, '');
  return `${trimmed}E${sign}${digits.length < 2 ? `0${digits}` : digits}`;
}

/**
 * Integers are printed with toFixed(0) and lengths with toFixed(5) minus trailing zeros, not String():
 * String() goes through V8's number-to-string cache, and every new entry there is a string that outlives a
 * young GC, which adds up to megabytes of promoted garbage on a large log. The text is the same.
 */
function integerText(value: number): string {
  return value.toFixed(0);
}

/** Lengths are rounded to 5 decimals, so this is exactly their shortest form (246.30812, 440.2673, 30). */
export function lengthText(value: number): string {
  const fixed = value.toFixed(5);
  let end = fixed.length;
  while (fixed.charCodeAt(end - 1) === 48) end--;
  if (fixed.charCodeAt(end - 1) === 46) end--;
  return end === fixed.length ? fixed : fixed.slice(0, end);
}

/** One CSV record with its CRLF. */
export function csvRow(e: GeneratedEvent, excelNumbers = false): string {
  const registration =
    e.registration === null ? '' : excelNumbers ? excelNumber(e.registration) : integerText(e.registration);
  const ts = excelNumbers ? excelNumber(e.ts) : integerText(e.ts);
  const length = e.length === null ? '' : lengthText(e.length);
  return (
    `${csvField(e.artist)},${e.auth},${csvField(e.firstName)},${e.gender ?? ''},${e.itemInSession},` +
    `${csvField(e.lastName)},${length},${e.level},${csvField(e.location)},${e.method},` +
    `${e.page},${registration},${e.sessionId},${csvField(e.song)},${e.status},${ts},${e.userId ?? ''}\r\n`
  );
}

/** One JSON line with its LF; field order and types as eventsim writes them (userId is a string). */
export function jsonLine(e: GeneratedEvent): string {
  return `${JSON.stringify(e)}\n`;
}
