/**
 * Per-flow accounting shared by the simulator's collector and the real-disk backend: bytes, I/Os
 * and device time per thread, VM and in total, and the summary figures built from them
 * (throughput in MB/s = 10^6 B/s, latency from the HDR recorder, disk-time shares, Jain's index).
 */
import type { RunSummary, ThreadSummary, VmSummary } from '../../common/result';
import { timeField } from '../core/time';
import type { IoUnit } from '../io/request';
import type { StackLayout } from '../stack/layout';
import { jainIndex } from './fairness';
import { LatencyRecorder } from './latency';

export const r3 = (x: number): number => Math.round(x * 1000) / 1000;
export const r4 = (x: number): number => Math.round(x * 10000) / 10000;
export const roundOrNull = (x: number | null): number | null => (x === null ? null : r4(x));

export class FlowCounter {
  // Byte counts pass 2^31 (and times do): doubles from the start (timeField, core/time.ts).
  bytes = timeField(0);
  readBytes = timeField(0);
  writeBytes = timeField(0);
  ios = 0;
  deviceNs = timeField(0);
  readonly lat: LatencyRecorder;

  /** `digits`: significant digits of latency percentiles (3 for summaries, 2 for live intervals). */
  constructor(digits: 2 | 3 = 3) {
    this.lat = new LatencyRecorder(digits);
  }

  /**
   * Account one completed I/O; `withLatency` also records its latency (threads only: a VM's and the
   * total latency are their threads' recorders merged, see `LatencyRecorder.merged`); `deviceNs`
   * its device time.
   */
  add(u: IoUnit, bytes: number, withLatency: boolean, deviceNs = 0): void {
    this.bytes += bytes;
    this.deviceNs += deviceNs;
    this.ios++;
    if (u.op === 'read') this.readBytes += bytes;
    else this.writeBytes += bytes;
    if (withLatency) this.lat.record(u);
  }

  /**
   * `add` without latency and device time, small enough for V8 to inline where the collector counts
   * every completed I/O (leaving out `deviceNs += 0` changes nothing: the sum is never −0).
   */
  count(u: IoUnit, bytes: number): void {
    this.bytes += bytes;
    this.ios++;
    if (u.op === 'read') this.readBytes += bytes;
    else this.writeBytes += bytes;
  }

  reset(): void {
    this.bytes = 0;
    this.readBytes = 0;
    this.writeBytes = 0;
    this.ios = 0;
    this.deviceNs = 0;
    this.lat.reset();
  }
}

/** Per thread (layout index): I/Os not completed at the end and the oldest one's age (ns). */
export type PendingOf = (thread: number) => { count: number; oldestAgeNs: number };

const pendingFields = (p: { count: number; oldestAgeNs: number }) => ({
  pending_ios: p.count,
  oldest_pending_ms: p.count > 0 ? r3(p.oldestAgeNs / 1e6) : 0,
});

export interface Flows {
  threads: FlowCounter[];
  vms: FlowCounter[];
  total: FlowCounter;
}

/** The per-flow part of a run summary over `secs` measured seconds. */
export function summarizeFlows(
  layout: StackLayout,
  f: Flows,
  secs: number,
  pending?: PendingOf,
): Pick<RunSummary, 'total' | 'vms' | 'native'> & { fairness: RunSummary['fairness'] } {
  const devTotal = Math.max(1e-9, f.total.deviceNs);
  const threadSummary = (i: number): ThreadSummary => {
    const c = f.threads[i];
    const p = layout.threads[i];
    return {
      name: p.name,
      vm: p.vm >= 0 ? layout.vms[p.vm].name : null,
      pid: p.pid,
      mbps: r3(c.bytes / secs / 1e6),
      iops: r3(c.ios / secs),
      read_mbps: r3(c.readBytes / secs / 1e6),
      write_mbps: r3(c.writeBytes / secs / 1e6),
      bytes: c.bytes,
      ios: c.ios,
      latency_ms: c.lat.summary(),
      latency_breakdown_ms: c.lat.breakdown(),
      disk_time_share: r4(c.deviceNs / devTotal),
      ...(pending ? pendingFields(pending(i)) : {}),
    };
  };
  const vms: VmSummary[] = layout.vms.map((v, i) => {
    const c = f.vms[i];
    const lat = LatencyRecorder.merged(v.threads.map((t) => f.threads[t].lat));
    return {
      name: v.name,
      mapping: v.mapping,
      weight: v.weight,
      mbps: r3(c.bytes / secs / 1e6),
      iops: r3(c.ios / secs),
      bytes: c.bytes,
      ios: c.ios,
      latency_ms: lat.summary(),
      latency_breakdown_ms: lat.breakdown(),
      disk_time_share: r4(c.deviceNs / devTotal),
      threads: v.threads.map(threadSummary),
    };
  });
  const share: Record<string, number> = {};
  for (const v of vms) share[v.name] = v.disk_time_share;
  return {
    total: {
      mbps: r3(f.total.bytes / secs / 1e6),
      iops: r3(f.total.ios / secs),
      bytes: f.total.bytes,
      ios: f.total.ios,
      latency_ms: LatencyRecorder.merged(f.threads.map((t) => t.lat)).summary(),
    },
    vms,
    native: layout.threads.filter((t) => t.vm < 0).map((t) => threadSummary(t.index)),
    fairness: {
      jain_vms: roundOrNull(jainIndex(vms.map((v) => v.bytes / v.weight))),
      jain_threads: roundOrNull(jainIndex(layout.threads.map((_, i) => f.threads[i].bytes / secs))),
      disk_time_share: share,
    },
  };
}
