/**
 * What a trace parser yields and what a trace workload thread pulls: one block request as a
 * trace recorded it. Times are integer nanoseconds on the trace's own clock; sectors are 512 bytes.
 */
import type { Op } from '../../io/request';

export interface TraceRecord {
  /** Arrival on the trace's clock (ns). Formats without timestamps count their waits (fio iolog v2). */
  timeNs: number;
  op: Op;
  sector: number;
  sectors: number;
  /** Process id that issued it, or -1 when the format has none. */
  pid: number;
  /** Closed-loop think time before this request, after the previous one completed (ns; 0 when the format has none). */
  thinkNs: number;
  /** Response time the traced system measured (ns), or -1 when the format has none. */
  measuredNs: number;
}

/** A bad trace line: the Node layer adds the file name. */
export class TraceParseError extends Error {
  constructor(
    readonly line: number,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`line ${line}, field ${field}: ${reason}`);
    this.name = 'TraceParseError';
  }
}

/** Turns the lines of one trace file, in order, into records; null for lines that carry no request. */
export interface TraceLineParser {
  parse(line: string, lineNo: number): TraceRecord | null;
}

/**
 * A pull-based stream of one trace's records (the engine's only view of a trace file). `next()`
 * returns null once the trace is exhausted. The Node layer implements it over a lazily read file.
 */
export interface TraceSource {
  next(): TraceRecord | null;
}

/** What the layout needs to know about a trace before the run: the process ids it contains. */
export interface TraceCatalog {
  pids: number[];
}

/**
 * Handed to the simulation by its host (CLI, worker, session): opens trace sources by the thread's
 * spec path (`vms.0.threads.1`, `native.0`). `pid` selects one process's records (split_by pid),
 * null all of them.
 */
export interface TraceProvider {
  catalog(path: string): TraceCatalog;
  open(path: string, pid: number | null): TraceSource;
}
