/**
 * The parent's accounting of a real run, computed like the simulator's collector
 * (engine/metrics/collector.ts): MB/s = 10^6 B/s, latency percentiles from the same HDR recorder,
 * Jain's index over VM throughput / weight, summary figures exclude the warm-up, samples every
 * sample_interval_ms. The device's utilisation and queue come from /sys/block/X/stat and are
 * device-wide (other processes' I/O included).
 *
 * Latency breakdown: guest = 0 (no guest kernel), qemu = waiting for the context's OS thread
 * (ready → pread/pwrite issued), host_queue = 0 (the kernel's queue and the device are not told
 * apart without blktrace), device = pread/pwrite call time.
 */
import { type DispatchPoint, LATENCY_BUCKETS_MS, type RunSummary, type Sample } from '../../common/result';
import { appendSample } from '../../common/series';
import type { IoUnit } from '../../engine/io/request';
import { jainIndex } from '../../engine/metrics/fairness';
import { FlowCounter as Counter, r3, r4, roundOrNull, summarizeFlows } from '../../engine/metrics/flows';
import { LatencyRecorder } from '../../engine/metrics/latency';
import { Thinned } from '../../engine/metrics/thinned';
import type { StackLayout } from '../../engine/stack/layout';
import { RECORD } from './protocol';

interface Interval {
  threads: Counter[];
  vms: Counter[];
  total: Counter;
  hist: number[];
}

export interface DeviceSnapshot {
  /** Device busy fraction over the interval (io_ticks), or null when unknown. */
  utilization: number | null;
  inflight: number;
}

export class RealCollector {
  private readonly threads: Counter[];
  private readonly vms: Counter[];
  private readonly total = new Counter();
  private readonly open = new Map<number, Interval>();
  private readonly device = new Map<number, DeviceSnapshot>();
  private emitted = 0;
  private readonly samples: Sample[] = [];
  private readonly runVmBytes: number[];
  private readonly intervalNs: number;
  /** Completions that arrived after their interval was emitted (counted in the summary only). */
  late = 0;
  /** Sum of time requests waited for their context's thread, and their pread/pwrite time (ns). */
  waitNs = 0;
  callNs = 0;
  /** Per thread: requests not completed by the end, and the oldest one's submit instant. */
  private readonly pending: { count: number; oldestNs: number }[];
  /** Completed requests where they were on the device (thinned to the spec's trace_max_points). */
  readonly dispatch: Thinned<DispatchPoint>;

  /**
   * `locate(thread, offset)` gives the device sector of byte `offset` of the thread's file
   * (extents.ts), -1 when unknown.
   */
  constructor(
    private readonly layout: StackLayout,
    private readonly warmupNs: number,
    private readonly durationNs: number,
    sampleIntervalMs: number,
    traceMax = 0,
    private readonly locate: (thread: number, offset: number) => number = () => -1,
  ) {
    this.dispatch = new Thinned(traceMax);
    this.pending = layout.threads.map(() => ({ count: 0, oldestNs: Number.POSITIVE_INFINITY }));
    this.threads = layout.threads.map(() => new Counter());
    this.vms = layout.vms.map(() => new Counter());
    this.runVmBytes = layout.vms.map(() => 0);
    this.intervalNs = sampleIntervalMs * 1e6;
  }

  get intervals(): number {
    return Math.ceil(this.durationNs / this.intervalNs - 1e-9);
  }

  private interval(k: number): Interval {
    let iv = this.open.get(k);
    if (!iv) {
      iv = {
        threads: this.layout.threads.map(() => new Counter()),
        vms: this.layout.vms.map(() => new Counter()),
        total: new Counter(),
        hist: LATENCY_BUCKETS_MS.map(() => 0),
      };
      this.open.set(k, iv);
    }
    return iv;
  }

  addRecords(data: Float64Array | number[]): void {
    for (let r = 0; r + RECORD <= data.length; r += RECORD) {
      const ti = data[r];
      const tSubmit = data[r + 1];
      const tDispatch = data[r + 2];
      const tDone = data[r + 3];
      const bytes = data[r + 4];
      const isRead = data[r + 5] === 1;
      if (tDone > this.durationNs) {
        // issued before the end, completed after it: still pending when the run ended
        this.notDone(ti, 1, tSubmit);
        continue;
      }
      const vm = this.layout.threads[ti].vm;
      const sector = this.locate(ti, data[r + 6]);
      // t: the completion, the one instant a user process knows the device had the request
      if (sector >= 0)
        this.dispatch.push({
          t: Math.round(tDone / 1e3) / 1e6,
          sector,
          sectors: Math.ceil(bytes / 512),
          vm,
          thread: ti,
          ctx: data[r + 7],
          write: !isRead,
        });
      const u = {
        op: isRead ? 'read' : 'write',
        tSubmit,
        tGuestOut: tSubmit,
        tHostIn: tDispatch,
        tHostOut: tDispatch,
        tDone,
      } as unknown as IoUnit;
      const dev = tDone - tDispatch;
      this.waitNs += tDispatch - tSubmit;
      this.callNs += dev;
      const k = Math.floor(tDone / this.intervalNs);
      if (k >= this.emitted) {
        const iv = this.interval(k);
        iv.threads[ti].add(u, bytes, true, dev);
        if (vm >= 0) iv.vms[vm].add(u, bytes, false, dev);
        iv.total.add(u, bytes, false, dev);
        const latMs = (tDone - tSubmit) / 1e6;
        let b = 0;
        while (latMs > LATENCY_BUCKETS_MS[b]) b++;
        iv.hist[b]++;
      } else this.late++;
      if (tDone < this.warmupNs) continue;
      this.threads[ti].add(u, bytes, true, dev);
      if (vm >= 0) this.vms[vm].add(u, bytes, false, dev);
      this.total.add(u, bytes, false, dev);
    }
  }

  /** Requests of thread `ti` not completed by the end: `count`, the oldest submitted at `oldestNs`. */
  notDone(ti: number, count: number, oldestNs: number): void {
    const p = this.pending[ti];
    p.count += count;
    if (oldestNs < p.oldestNs) p.oldestNs = oldestNs;
  }

  setDevice(k: number, d: DeviceSnapshot): void {
    this.device.set(k, d);
  }

  /** Close intervals whose end is before `upToNs`; returns the new samples. */
  emit(upToNs: number): Sample[] {
    const out: Sample[] = [];
    while (this.emitted < this.intervals && (this.emitted + 1) * this.intervalNs <= upToNs + 1) {
      const k = this.emitted;
      const iv = this.interval(k);
      this.open.delete(k);
      const start = k * this.intervalNs;
      const end = Math.min(this.durationNs, (k + 1) * this.intervalNs);
      const secs = Math.max(1e-9, (end - start) / 1e9);
      const mbps = (b: number) => r3(b / secs / 1e6);
      const devTotal = iv.total.deviceNs;
      const vmLat = this.layout.vms.map((v) =>
        LatencyRecorder.merged(v.threads.map((t) => iv.threads[t].lat)),
      );
      const lv = this.layout.vms;
      // running Jain index: cumulative from 0, restarted when the warm-up ends (as the simulator)
      if (this.warmupNs > 0 && start < this.warmupNs && end >= this.warmupNs) this.runVmBytes.fill(0);
      iv.vms.forEach((c, i) => {
        this.runVmBytes[i] += c.bytes;
      });
      const dev = this.device.get(k);
      const s: Sample = {
        t: r4(end / 1e9),
        total_mbps: mbps(iv.total.bytes),
        total_iops: r3(iv.total.ios / secs),
        vm_mbps: iv.vms.map((c) => mbps(c.bytes)),
        vm_iops: iv.vms.map((c) => r3(c.ios / secs)),
        vm_disk_share: iv.vms.map((c) => (devTotal > 0 ? r4(c.deviceNs / devTotal) : 0)),
        vm_p50: vmLat.map((l) => r3(l.percentile(50))),
        vm_p95: vmLat.map((l) => r3(l.percentile(95))),
        vm_p99: vmLat.map((l) => r3(l.percentile(99))),
        vm_breakdown: vmLat.map((l) => l.breakdown()),
        thread_mbps: iv.threads.map((c) => mbps(c.bytes)),
        thread_iops: iv.threads.map((c) => r3(c.ios / secs)),
        thread_p50: iv.threads.map((c) => r3(c.lat.percentile(50))),
        thread_p99: iv.threads.map((c) => r3(c.lat.percentile(99))),
        thread_disk_share: iv.threads.map((c) => (devTotal > 0 ? r4(c.deviceNs / devTotal) : 0)),
        jain_vms: roundOrNull(jainIndex(this.runVmBytes.map((b, i) => b / lv[i].weight))),
        jain_vms_interval: roundOrNull(jainIndex(iv.vms.map((c, i) => c.bytes / lv[i].weight))),
        utilization: dev?.utilization != null ? r4(Math.min(1, dev.utilization)) : 0,
        host_queue: dev?.inflight ?? 0,
        latency_hist: iv.hist,
      };
      appendSample(
        this.samples,
        s,
        this.layout.vms.map((v) => v.weight),
      );
      out.push(s);
      this.emitted++;
    }
    return out;
  }

  allSamples(): Sample[] {
    return this.samples;
  }

  summary(schedulerName: string, disk: { busyMs: number | null; requests: number | null }): RunSummary {
    const measuredNs = Math.max(1, this.durationNs - this.warmupNs);
    const secs = measuredNs / 1e9;
    const flows = summarizeFlows(
      this.layout,
      { threads: this.threads, vms: this.vms, total: this.total },
      secs,
      (i) => {
        const p = this.pending[i];
        return { count: p.count, oldestAgeNs: p.count > 0 ? this.durationNs - p.oldestNs : 0 };
      },
    );
    const busyS = disk.busyMs === null ? 0 : Math.min(secs, disk.busyMs / 1000);
    return {
      total: flows.total,
      disk: {
        utilization: r4(Math.min(1, busyS / secs)),
        busy_s: r4(busyS),
        idle_s: r4(Math.max(0, secs - busyS)),
        requests: disk.requests ?? this.total.ios,
        seeks: 0,
        mean_seek_cyl: 0,
        cache_hit_ratio: 0,
      },
      fairness: flows.fairness,
      vms: flows.vms,
      native: flows.native,
      scheduler: { name: schedulerName, idle_windows: 0, idle_paid_off: 0, idle_s: 0, switches: 0 },
      measured_s: r4(secs),
    };
  }
}
