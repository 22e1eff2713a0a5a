/**
 * One streaming pass over a trace file: checks every line and summarises it (request count,
 * duration, read/write mix, size histogram, LBA range, pids, SHA-256). Used before a run (bad
 * lines fail early, with file, line and field), by the editor's preview and by bundles.
 */
import type { TraceFormat } from '../../common/spec/schema';
import type { TracePreview } from '../../common/trace';
import { openTraceFile } from './reader';

const SIZE_BOUNDS_KB = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
const MAX_PIDS = 4096;

export function scanTrace(file: string, format: TraceFormat, events: 'Q' | 'D' = 'Q'): TracePreview {
  // node:crypto is taken here, when a trace is scanned, not at import: loading it costs some 6 ms,
  // which every `pvblk run` would pay (this module is on its path) though most specs have no trace.
  const hash = process.getBuiltinModule('node:crypto').createHash('sha256');
  let lines = 0;
  const src = openTraceFile(file, { format, events }, (b) => {
    hash.update(b);
    for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) lines++;
  });
  const hist = new Array<number>(SIZE_BOUNDS_KB.length + 1).fill(0);
  const pids = new Set<number>();
  let pidsTruncated = false;
  let records = 0;
  let reads = 0;
  let bytes = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let lbaMin = Number.POSITIVE_INFINITY;
  let lbaMax = 0;
  let measuredSum = 0;
  let measured = 0;
  for (let r = src.next(); r !== null; r = src.next()) {
    records++;
    if (r.op === 'read') reads++;
    bytes += r.sectors * 512;
    first = Math.min(first, r.timeNs);
    last = Math.max(last, r.timeNs);
    lbaMin = Math.min(lbaMin, r.sector);
    lbaMax = Math.max(lbaMax, r.sector + r.sectors);
    const kb = r.sectors / 2;
    let b = SIZE_BOUNDS_KB.findIndex((ub) => kb <= ub);
    if (b < 0) b = SIZE_BOUNDS_KB.length;
    hist[b]++;
    if (r.pid >= 0 && !pids.has(r.pid)) {
      if (pids.size < MAX_PIDS) pids.add(r.pid);
      else pidsTruncated = true;
    }
    if (r.measuredNs >= 0) {
      measuredSum += r.measuredNs;
      measured++;
    }
  }
  return {
    file,
    format,
    records,
    lines,
    duration_s: records > 0 ? (last - first) / 1e9 : 0,
    reads,
    writes: records - reads,
    bytes,
    size_hist: hist.map((count, i) => ({ le_kb: SIZE_BOUNDS_KB[i] ?? null, count })),
    lba_min: records > 0 ? lbaMin : 0,
    lba_max: lbaMax,
    pids: [...pids].sort((a, b) => a - b),
    pids_truncated: pidsTruncated,
    measured_mean_ms: measured > 0 ? measuredSum / measured / 1e6 : null,
    sha256: hash.digest('hex'),
  };
}
