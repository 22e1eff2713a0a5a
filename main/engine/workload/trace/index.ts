/** The trace parsers by format name (the spec's `trace.format`). */
import type { TraceFormat } from '../../../common/spec/schema';
import { type BlkparseEvent, blkparseParser } from './blkparse';
import { disksimAsciiParser, disksimValidateParser } from './disksim';
import { fioIologParser } from './fio-iolog';
import { msrCsvParser } from './msr';
import type { TraceLineParser } from './record';

export type { TraceCatalog, TraceLineParser, TraceProvider, TraceRecord, TraceSource } from './record';
export { TraceParseError } from './record';

/** A fresh parser (parsers keep per-file state: fio's header and clock, DiskSim's previous interarrival). */
export function createTraceParser(format: TraceFormat, events: BlkparseEvent = 'Q'): TraceLineParser {
  switch (format) {
    case 'blkparse':
      return blkparseParser(events);
    case 'fio-iolog':
      return fioIologParser();
    case 'disksim-ascii':
      return disksimAsciiParser();
    case 'disksim-validate':
      return disksimValidateParser();
    case 'msr-csv':
      return msrCsvParser();
  }
}
