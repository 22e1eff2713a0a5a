/**
 * blkparse's default text output (blktrace's `blkparse -i dev`), one event per line:
 *
 *   8,0    3        1     0.000000000   697  Q   W 223490 + 8 [kjournald]
 *   dev  cpu   seq         time(s)      pid act rwbs sector + count [command]
 *
 * (blktrace's blkparse_fmt.c, default format "%D %2c %8s %5T.%9t %5p %2a %3d "). Only events of
 * the chosen action (Q = queued, D = issued to the driver) become requests; other actions, the
 * per-CPU summary at the end and blank lines carry none. RWBS with neither R nor W (flushes,
 * discards, "N") and zero-length events are skipped as well.
 */
import { secondsToNs, show, uint, words } from './fields';
import { type TraceLineParser, TraceParseError, type TraceRecord } from './record';

export type BlkparseEvent = 'Q' | 'D';

export function blkparseParser(event: BlkparseEvent): TraceLineParser {
  return {
    parse(line: string, n: number): TraceRecord | null {
      const w = words(line);
      // Event lines start with "major,minor"; summary lines ("CPU0 (8,0):", "Reads Queued: ...") do not.
      if (w.length < 6 || !/^\d+,\d+$/.test(w[0])) return null;
      uint(w[1], n, 'cpu');
      uint(w[2], n, 'sequence');
      const timeNs = secondsToNs(w[3], n, 'time');
      const pid = uint(w[4], n, 'pid');
      if (w[5] !== event) return null;
      const rwbs = w[6];
      if (rwbs === undefined || !/^[A-Z]+$/.test(rwbs))
        throw new TraceParseError(n, 'rwbs', `expected flags such as R, W, WS, got ${show(rwbs)}`);
      const write = rwbs.includes('W');
      if (!write && !rwbs.includes('R')) return null;
      const sector = uint(w[7], n, 'sector');
      if (w[8] !== '+')
        throw new TraceParseError(
          n,
          'sector',
          `expected "sector + count", got ${show(w[8])} after the sector`,
        );
      const sectors = uint(w[9], n, 'count');
      if (sectors === 0) return null;
      return { timeNs, op: write ? 'write' : 'read', sector, sectors, pid, thinkNs: 0, measuredNs: -1 };
    },
  };
}
