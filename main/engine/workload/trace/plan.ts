/** Thread plans of a trace workload: one per process id with split_by pid, else one. */
import type { ThreadSpec } from '../../../common/spec/schema';
import { sToNs } from '../../core/time';
import type { ThreadPlan } from '../thread';
import type { TraceProvider } from './record';
import type { TracePlan } from './thread';

/** The file's last path component, for names and summaries (the engine does no path handling). */
const baseName = (file: string): string => file.split(/[\\/]/).pop() ?? file;

export function traceThreadPlans(
  path: string,
  th: ThreadSpec,
  traces: TraceProvider | undefined,
  vm: number,
  spaceSectors: number,
  firstIndex: number,
  firstPid: number,
  vmStartS: number,
  durationS: number,
): (ThreadPlan & { trace: TracePlan })[] {
  const t = th.trace!;
  if (!traces) throw new Error(`${path}.trace: this run has no access to trace files`);
  let pids: (number | null)[] = [null];
  if (t.split_by === 'pid') {
    const known = traces.catalog(path).pids.filter((p) => p >= 0);
    if (known.length > 0) pids = known;
  }
  return pids.map((tracePid, k) => ({
    index: firstIndex + k,
    name: tracePid === null ? th.name : `${th.name}.${tracePid}`,
    vm,
    pid: firstPid + k,
    op: 'read',
    rwmixRead: 100,
    random: false,
    blockSectors: 1,
    iodepth: th.iodepth,
    thinkNs: 0,
    regionStart: 0,
    regionSectors: spaceSectors,
    poissonRateIops: null,
    startNs: sToNs(Math.max(th.start_s, vmStartS)),
    stopNs: sToNs(Math.min(th.stop_s ?? Number.POSITIVE_INFINITY, durationS)),
    syncWrites: th.sync_writes,
    trace: {
      path,
      file: baseName(t.file),
      pid: tracePid,
      mode: t.mode,
      timeScale: t.time_scale,
      offsetSectors: t.lba_offset_sectors,
      outOfRange: t.out_of_range,
    },
  }));
}
