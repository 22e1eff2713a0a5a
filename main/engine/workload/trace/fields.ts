/** Field readers shared by the trace parsers: each names the field it reads in its error. */
import { TraceParseError } from './record';

/** A non-negative decimal integer (safe range). */
export function uint(text: string | undefined, lineNo: number, field: string): number {
  if (text === undefined || !/^\d+$/.test(text))
    throw new TraceParseError(lineNo, field, `expected a non-negative integer, got ${show(text)}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new TraceParseError(lineNo, field, `${text} is too large`);
  return n;
}

/** A finite non-negative decimal number (e.g. 12.5, 1e3). */
export function unum(text: string | undefined, lineNo: number, field: string): number {
  const n = text === undefined || text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(n) || n < 0)
    throw new TraceParseError(lineNo, field, `expected a non-negative number, got ${show(text)}`);
  return n;
}

/** Seconds with a decimal fraction ("12.000345678") to integer ns, without float rounding. */
export function secondsToNs(text: string | undefined, lineNo: number, field: string): number {
  const m = text === undefined ? null : /^(\d+)(?:\.(\d{1,9})\d*)?$/.exec(text);
  if (!m) throw new TraceParseError(lineNo, field, `expected seconds like 1.000000000, got ${show(text)}`);
  const ns = Number(m[1]) * 1e9 + Number((m[2] ?? '').padEnd(9, '0'));
  if (!Number.isSafeInteger(ns)) throw new TraceParseError(lineNo, field, `${text} s is too large`);
  return ns;
}

/** A byte range to whole 512-byte sectors covering it. */
export function bytesToSectors(offset: number, length: number): { sector: number; sectors: number } {
  const sector = Math.floor(offset / 512);
  return { sector, sectors: Math.ceil((offset + length) / 512) - sector };
}

export function show(text: string | undefined): string {
  if (text === undefined) return 'nothing';
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

export const words = (line: string): string[] => {
  const t = line.trim();
  return t === '' ? [] : t.split(/\s+/);
};
