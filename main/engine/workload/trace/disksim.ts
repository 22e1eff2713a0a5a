/**
 * DiskSim's ASCII traces (DiskSim 4.0 src/disksim_iotrace.c):
 *
 * - "ascii" (iotrace_ascii_get_ioreq_event): `time_ms devno blkno bcount flags`, flags in hex with
 *   bit 0 set for a read (DISKSIM_READ); devno is ignored (one device).
 * - "validate" (iotrace_validate_get_ioreq_event): `R|W Hit|Miss|Doub|Trip blkno bcount
 *   measured_response_us next_interarrival_us`. Closed loop: DiskSim issues each request
 *   `next_interarrival` (read from the previous line; 0 for the first) after the previous one
 *   completed (disksim_iodriver.c, iodriver_access_complete). Arrival times here follow the traced
 *   drive's own timeline: previous arrival + its measured response + the interarrival.
 */
import { show, uint, unum, words } from './fields';
import { type TraceLineParser, TraceParseError, type TraceRecord } from './record';

export function disksimAsciiParser(): TraceLineParser {
  return {
    parse(line: string, n: number): TraceRecord | null {
      const w = words(line);
      if (w.length === 0) return null;
      if (w.length !== 5)
        throw new TraceParseError(
          n,
          'line',
          `expected 5 fields (time devno blkno bcount flags), got ${w.length}`,
        );
      const timeNs = Math.round(unum(w[0], n, 'time') * 1e6);
      uint(w[1], n, 'devno');
      const sector = uint(w[2], n, 'blkno');
      const sectors = uint(w[3], n, 'bcount');
      if (!/^(0x)?[0-9a-fA-F]+$/.test(w[4]))
        throw new TraceParseError(n, 'flags', `expected hexadecimal flags, got ${show(w[4])}`);
      if (sectors === 0) throw new TraceParseError(n, 'bcount', 'must be at least 1');
      const read = (Number.parseInt(w[4].replace(/^0x/, ''), 16) & 1) === 1;
      return { timeNs, op: read ? 'read' : 'write', sector, sectors, pid: -1, thinkNs: 0, measuredNs: -1 };
    },
  };
}

const BUFFER_ACTIONS = new Set(['Hit', 'Miss', 'Doub', 'Trip']);

export function disksimValidateParser(): TraceLineParser {
  let nextInterNs = 0;
  let arrivalNs = 0;
  let lastMeasuredNs = 0;
  let first = true;
  return {
    parse(line: string, n: number): TraceRecord | null {
      const w = words(line);
      if (w.length === 0) return null;
      if (w.length !== 6)
        throw new TraceParseError(
          n,
          'line',
          `expected 6 fields (R|W Hit|Miss blkno bcount measured_response_us next_interarrival_us), got ${w.length}`,
        );
      if (w[0] !== 'R' && w[0] !== 'W')
        throw new TraceParseError(n, 'rw', `expected R or W, got ${show(w[0])}`);
      if (!BUFFER_ACTIONS.has(w[1]))
        throw new TraceParseError(n, 'buffer', `expected Hit, Miss, Doub or Trip, got ${show(w[1])}`);
      const sector = uint(w[2], n, 'blkno');
      const sectors = uint(w[3], n, 'bcount');
      if (sectors === 0) throw new TraceParseError(n, 'bcount', 'must be at least 1');
      const measuredNs = Math.round(unum(w[4], n, 'measured_response_us') * 1000);
      const nextNs = Math.round(unum(w[5], n, 'next_interarrival_us') * 1000);
      const thinkNs = nextInterNs;
      if (!first) arrivalNs += lastMeasuredNs + thinkNs;
      first = false;
      nextInterNs = nextNs;
      lastMeasuredNs = measuredNs;
      return {
        timeNs: arrivalNs,
        op: w[0] === 'R' ? 'read' : 'write',
        sector,
        sectors,
        pid: -1,
        thinkNs,
        measuredNs,
      };
    },
  };
}
