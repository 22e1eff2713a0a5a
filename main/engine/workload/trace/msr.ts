/**
 * SNIA IOTTA / MSR Cambridge block traces (Narayanan et al., FAST'08), CSV:
 *
 *   Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime
 *   128166372003061629,hm,1,Read,3154149376,32768,2688
 *
 * Timestamp in Windows filetime (100 ns ticks), Offset and Size in bytes, ResponseTime in 100 ns
 * ticks. Times are taken relative to the first record (the absolute ticks exceed a double's exact
 * range, so they are read as BigInt). An optional header line is skipped. The think time of a
 * request is the gap between the previous request's completion and its arrival (0 when they
 * overlap). The traces carry no process ids.
 */
import { bytesToSectors, show, uint } from './fields';
import { type TraceLineParser, TraceParseError, type TraceRecord } from './record';

export function msrCsvParser(): TraceLineParser {
  let origin: bigint | null = null;
  let prevDoneNs = 0;
  return {
    parse(line: string, n: number): TraceRecord | null {
      const t = line.trim();
      if (t === '' || /^timestamp\s*,/i.test(t)) return null;
      const f = t.split(',').map((s) => s.trim());
      if (f.length !== 7)
        throw new TraceParseError(
          n,
          'line',
          `expected 7 comma-separated fields (Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime), got ${f.length}`,
        );
      if (!/^\d{1,30}$/.test(f[0]))
        throw new TraceParseError(n, 'Timestamp', `expected an integer (100 ns ticks), got ${show(f[0])}`);
      const ticks = BigInt(f[0]);
      if (origin === null) origin = ticks;
      const rel = (ticks - origin) * 100n;
      if (rel > BigInt(Number.MAX_SAFE_INTEGER) || rel < -BigInt(Number.MAX_SAFE_INTEGER))
        throw new TraceParseError(n, 'Timestamp', `${f[0]} is too far from the first record`);
      const timeNs = Number(rel);
      uint(f[2], n, 'DiskNumber');
      const type = f[3].toLowerCase();
      if (type !== 'read' && type !== 'write')
        throw new TraceParseError(n, 'Type', `expected Read or Write, got ${show(f[3])}`);
      const offset = uint(f[4], n, 'Offset');
      const size = uint(f[5], n, 'Size');
      const measuredNs = uint(f[6], n, 'ResponseTime') * 100;
      if (size === 0) return null;
      const { sector, sectors } = bytesToSectors(offset, size);
      const thinkNs = Math.max(0, timeNs - prevDoneNs);
      prevDoneNs = timeNs + measuredNs;
      return { timeNs, op: type, sector, sectors, pid: -1, thinkNs, measuredNs };
    },
  };
}
