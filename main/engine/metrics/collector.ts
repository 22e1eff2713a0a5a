/**
 * Everything measured in a run: per thread, per VM and total throughput and latency (summary
 * figures exclude the warm-up), disk utilisation and seeks, fairness, scheduler activity, and the
 * live series sampled every `sample_interval_ms` of simulated time.
 */
import { LATENCY_BUCKETS_MS, type RunSummary, type Sample } from '../../common/result';
import { timeField } from '../core/time';
import { type Disk, type DiskStats, emptyDiskStats, type ServiceInfo } from '../disk/types';
import { type BlockRequest, SECTOR_BYTES } from '../io/request';
import type { SchedTrace } from '../sched/types';
import type { HostObserver } from '../stack/host';
import type { StackLayout } from '../stack/layout';
import { type ActivitySink, ActivityTrace } from './activity-trace';
import { DispatchTrace } from './dispatch-trace';
import { jainIndex } from './fairness';
import { FlowCounter, type PendingOf, r3, r4, roundOrNull, summarizeFlows } from './flows';
import { LatencyRecorder } from './latency';
import { SampleStore } from './sample-store';

/** The simulated clock, read as a field (see the constructor). */
export interface Clock {
  readonly now: number;
}

/**
 * Counts of the whole run that exclude the warm-up: DiskSim's response and access times (sums in
 * ns over completed requests) and the scheduler's idle windows and switches. The collector keeps
 * two: one for events before the warm-up ends, which nothing reads, and one for the run. The code
 * counting them then takes the same path from the first event on, instead of a branch first taken
 * when the warm-up ends, which V8 has no feedback for and deoptimises on (and the fields' first
 * writes there changed their representation mid-run). (The per-flow run counters in `unitDone` keep
 * their branch: a warm-up set of flow counters picked by index measured up to ~2 % slower in the QD1
 * steady state, near the noise, to save one deoptimisation at the warm-up end.)
 */
class RunTally {
  respNs = timeField(0);
  respN = 0;
  accessNs = timeField(0);
  positionNs = timeField(0);
  accessN = 0;
  idleWindows = 0;
  idlePaid = 0;
  switches = 0;
}

export class MetricsCollector implements HostObserver, SchedTrace {
  private readonly threads: FlowCounter[];
  private readonly vms: FlowCounter[];
  private readonly total = new FlowCounter();
  private readonly run = new RunTally();
  /** [warm-up, run], picked by an index (`phase`): no property load that only one side of a branch makes. */
  private readonly tallies: readonly RunTally[] = [new RunTally(), this.run];
  private nativeDeviceNs = timeField(0);
  // interval state
  private readonly iThreads: FlowCounter[];
  private readonly iVms: FlowCounter[];
  private readonly iTotal = new FlowCounter(2);
  private readonly iHist: number[] = LATENCY_BUCKETS_MS.map(() => 0);
  /** Per VM: the interval latency of its threads together (reused every sample). */
  private readonly vmLat: LatencyRecorder[];
  private readonly vmThreadLat: LatencyRecorder[][];
  // Times and sums of times start as doubles (timeField, core/time.ts): no shape change mid-run.
  private iStart = timeField(0);
  private iBusyNs = timeField(0);
  // disk busy (at least one request in the device)
  private inDevice = 0;
  private busySince = timeField(0);
  private busyNs = timeField(0);
  /** The disk's counters when the warm-up ended (none: zeros). */
  private warmStats: DiskStats = emptyDiskStats();
  // fairness running from warm-up end (or 0 before it)
  private readonly runVmBytes: Float64Array;
  /** Per VM, for Jain's indexes of a sample: interval bytes and run bytes over the VM's weight. */
  private readonly vmWeighted: number[];
  private readonly runWeighted: number[];
  /** The sample filled in place when nothing streams (see `sample`). */
  private readonly scratch: Sample;
  // scheduler activity
  private serviceCtx = -1;
  private serviceSince = timeField(0);
  private idleCtx = -1;
  private idleSince = timeField(0);
  private idleNs = timeField(0);
  readonly dispatch: DispatchTrace;
  readonly activity: ActivitySink;
  /** The run's series, bounded (older points merged; common/series.ts). */
  private readonly samples: SampleStore;
  private freshSamples: Sample[] = [];
  /** Keep new samples and trace points for `drainSamples` and the traces' `drain` (live runs). */
  private streaming = true;

  constructor(
    private readonly layout: StackLayout,
    private readonly disk: Disk,
    private readonly warmupNs: number,
    /**
     * The Simulator (its `now`). Read as a field: a time returned by a small compiled function
     * (`() => sim.now`) can come back as a small integer, which seeds integer feedback in the time
     * arithmetic here and deoptimises it once times pass 2^31 ns (2.1 s into a run).
     */
    private readonly clock: Clock,
    traceMax: number,
    /** Keeps the scheduler events instead of the bounded trace (a full-resolution window: ActivityWindow). */
    activity?: ActivitySink,
  ) {
    this.threads = layout.threads.map(() => new FlowCounter());
    this.vms = layout.vms.map(() => new FlowCounter());
    this.iThreads = layout.threads.map(() => new FlowCounter(2));
    this.iVms = layout.vms.map(() => new FlowCounter(2));
    // byte counts pass 2^31: doubles
    this.runVmBytes = new Float64Array(layout.vms.length);
    this.vmWeighted = layout.vms.map(() => 0);
    this.runWeighted = layout.vms.map(() => 0);
    this.vmLat = layout.vms.map(() => new LatencyRecorder(2));
    this.samples = new SampleStore(
      layout.vms.length,
      layout.threads.length,
      layout.contexts.length,
      layout.vms.map((v) => v.weight),
    );
    this.vmThreadLat = layout.vms.map((v) => v.threads.map((t) => this.iThreads[t].lat));
    this.dispatch = new DispatchTrace(traceMax);
    this.activity = activity ?? new ActivityTrace(traceMax);
    this.scratch = this.newSample();
  }

  // ------------------------------------------------------------ host observer

  dispatched(rq: BlockRequest): void {
    const now = this.clock.now;
    if (this.inDevice++ === 0) this.busySince = now;
    if (!this.dispatch.accept()) return;
    const u = rq.units[0];
    this.dispatch.add(now / 1e9, rq.sector, rq.sectors, u.vm, u.thread, rq.ctx, rq.op === 'write');
  }

  completed(rq: BlockRequest, info: ServiceInfo): void {
    const now = this.clock.now;
    if (--this.inDevice === 0) this.addBusy(this.busySince, now);
    const tally = this.tallies[this.phase(now)];
    tally.respNs += now - rq.units[0].tHostOut;
    tally.respN++;
    if (info.accessNs > 0) {
      tally.accessNs += info.accessNs;
      tally.positionNs += info.seekNs + info.rotationNs;
      tally.accessN++;
    }
    const busy = info.endNs - info.startNs;
    // max(1, busy) by comparison: Math.max hands an integral result back as a small integer, and
    // the divisions below (0 / small integer until the warm-up ends) were then compiled for
    // integers and deoptimised at the first fractional share. The same numbers for every unit.
    // biome-ignore lint/complexity/useMathMinMax: see above
    const span = busy > 1 ? busy : 1;
    const measured = this.clip(info.startNs, info.endNs) / span;
    const inInterval = this.overlap(info.startNs, info.endNs, this.iStart, now) / span;
    // An indexed loop: `for…of` goes through an array iterator object and its `next` calls, which
    // the unoptimised code of a run's first thousands of completions allocates and makes.
    const units = rq.units;
    for (let k = 0; k < units.length; k++) {
      const u = units[k];
      const share = (busy * u.sectors) / rq.sectors;
      const dev = share * measured;
      this.threads[u.thread].deviceNs += dev;
      if (u.vm >= 0) this.vms[u.vm].deviceNs += dev;
      else this.nativeDeviceNs += dev;
      this.total.deviceNs += dev;
      const iDev = share * inInterval;
      this.iThreads[u.thread].deviceNs += iDev;
      if (u.vm >= 0) this.iVms[u.vm].deviceNs += iDev;
      this.iTotal.deviceNs += iDev;
    }
  }

  /** A unit is back at its thread (latency complete). */
  unitDone(u: BlockRequest['units'][number]): void {
    const bytes = u.sectors * SECTOR_BYTES;
    // FlowCounter.add(u, bytes, withLatency) in two steps: the count inlines, the latency is recorded after it
    const it = this.iThreads[u.thread];
    it.count(u, bytes);
    it.lat.record(u);
    if (u.vm >= 0) this.iVms[u.vm].count(u, bytes);
    this.iTotal.count(u, bytes);
    const latMs = (u.tDone - u.tSubmit) / 1e6;
    let b = 0;
    while (latMs > LATENCY_BUCKETS_MS[b]) b++;
    this.iHist[b]++;
    if (u.vm >= 0) this.runVmBytes[u.vm] += bytes;
    if (u.tDone < this.warmupNs) return;
    const th = this.threads[u.thread];
    th.count(u, bytes);
    th.lat.record(u);
    if (u.vm >= 0) this.vms[u.vm].count(u, bytes);
    this.total.count(u, bytes);
  }

  /** 1 for a time after the warm-up (counted in the run), 0 before it. */
  private phase(t: number): number {
    return t >= this.warmupNs ? 1 : 0;
  }

  /** max(0, e − max(s, warm-up end)), with comparisons as `overlap`. */
  private clip(s: number, e: number): number {
    // biome-ignore lint/complexity/useMathMinMax: Math.max would hand a small integer back (see overlap)
    const d = e - (s > this.warmupNs ? s : this.warmupNs);
    if (d > 0) return d;
    return 0;
  }

  /**
   * max(0, min(e, b) − max(s, a)), the same number for times (never NaN; ±0 both give 0) with
   * comparisons: Math.min and Math.max hand small integers back as such, so the difference of
   * the two was compiled for small integers and deoptimised once times passed 2^31 ns.
   */
  private overlap(s: number, e: number, a: number, b: number): number {
    // biome-ignore lint/complexity/useMathMinMax: see above
    const end = e < b ? e : b;
    // biome-ignore lint/complexity/useMathMinMax: see above
    const start = s > a ? s : a;
    const d = end - start;
    if (d > 0) return d;
    return 0;
  }

  private addBusy(s: number, e: number): void {
    this.busyNs += this.clip(s, e);
    this.iBusyNs += this.overlap(s, e, this.iStart, e);
  }

  /** Called by the simulation when the warm-up ends. */
  warmupEnded(): void {
    this.warmStats = { ...this.disk.stats() };
    this.runVmBytes.fill(0);
  }

  // ------------------------------------------------------------ scheduler trace

  serviceStart(ctx: number): void {
    const now = this.clock.now;
    if (ctx === this.serviceCtx) return;
    if (this.serviceCtx >= 0 && now > this.serviceSince && this.activity.accept())
      this.activity.add('service', this.serviceCtx, this.serviceSince / 1e9, now / 1e9, null);
    this.tallies[this.phase(now)].switches++;
    this.serviceCtx = ctx;
    this.serviceSince = now;
  }

  idleStart(ctx: number): void {
    if (this.idleCtx >= 0) this.idleEnd(this.idleCtx, false);
    this.idleCtx = ctx;
    this.idleSince = this.clock.now;
  }

  idleEnd(ctx: number, paidOff: boolean): void {
    if (this.idleCtx < 0) return;
    const now = this.clock.now;
    // accept() first: nothing recorded for the points the trace thins away (one idle window a request).
    if (this.activity.accept()) this.activity.add('idle', ctx, this.idleSince / 1e9, now / 1e9, paidOff);
    const tally = this.tallies[this.phase(this.idleSince)];
    tally.idleWindows++;
    if (paidOff) tally.idlePaid++;
    this.idleNs += this.clip(this.idleSince, now);
    this.idleCtx = -1;
  }

  // ------------------------------------------------------------ samples

  /** Close the interval ending now and start the next one. */
  sample(hostQueued: number, perCtx: ReadonlyMap<number, number>): void {
    const now = this.clock.now;
    const dt = Math.max(1, now - this.iStart);
    let busy = this.iBusyNs;
    if (this.inDevice > 0) busy += now - Math.max(this.busySince, this.iStart);
    const secs = dt / 1e9;
    const devTotal = this.iTotal.deviceNs;
    const vmLat = this.vmLat;
    for (let i = 0; i < vmLat.length; i++) vmLat[i].assign(this.vmThreadLat[i]);
    const lv = this.layout.vms;
    // A live run hands each sample out (a new object); a run straight to its result only stores it,
    // so it fills the same object every time (the store copies the numbers).
    const s = this.streaming ? this.newSample() : this.scratch;
    s.t = r4(now / 1e9);
    s.total_mbps = r3(this.iTotal.bytes / secs / 1e6);
    s.total_iops = r3(this.iTotal.ios / secs);
    const iVms = this.iVms;
    const weighted = this.vmWeighted;
    for (let i = 0; i < iVms.length; i++) {
      const c = iVms[i];
      s.vm_mbps[i] = r3(c.bytes / secs / 1e6);
      s.vm_iops[i] = r3(c.ios / secs);
      s.vm_disk_share[i] = devTotal > 0 ? r4(c.deviceNs / devTotal) : 0;
      const l = vmLat[i];
      s.vm_p50[i] = r3(l.percentile(50));
      s.vm_p95[i] = r3(l.percentile(95));
      s.vm_p99[i] = r3(l.percentile(99));
      l.breakdownInto(s.vm_breakdown[i]);
      weighted[i] = c.bytes / lv[i].weight;
    }
    const iThreads = this.iThreads;
    const threadIops = s.thread_iops!;
    for (let i = 0; i < iThreads.length; i++) {
      const c = iThreads[i];
      s.thread_mbps[i] = r3(c.bytes / secs / 1e6);
      threadIops[i] = r3(c.ios / secs);
      s.thread_p50[i] = r3(c.lat.percentile(50));
      s.thread_p99[i] = r3(c.lat.percentile(99));
      s.thread_disk_share[i] = devTotal > 0 ? r4(c.deviceNs / devTotal) : 0;
    }
    const run = this.runWeighted;
    for (let i = 0; i < run.length; i++) run[i] = this.runVmBytes[i] / lv[i].weight;
    s.jain_vms = roundOrNull(jainIndex(run));
    s.jain_vms_interval = roundOrNull(jainIndex(weighted));
    s.utilization = r4(Math.min(1, busy / dt));
    s.host_queue = hostQueued;
    const contexts = this.layout.contexts;
    const ctxQueue = s.ctx_queue!;
    for (let i = 0; i < contexts.length; i++) ctxQueue[i] = perCtx.get(contexts[i].id) ?? 0;
    s.in_service_ctx = this.serviceCtx;
    const hist = this.iHist;
    for (let i = 0; i < hist.length; i++) {
      s.latency_hist[i] = hist[i];
      hist[i] = 0;
    }
    this.samples.push(s);
    if (this.streaming) this.freshSamples.push(s);
    for (const c of iThreads) c.reset();
    for (const c of iVms) c.reset();
    this.iTotal.reset();
    this.iBusyNs = 0;
    if (this.inDevice > 0) this.busySince = Math.max(this.busySince, this.iStart);
    this.iStart = now;
  }

  /** A sample with its arrays sized for this run (every field in the order of the result's samples). */
  private newSample(): Sample {
    const V = this.layout.vms.length;
    const N = this.layout.threads.length;
    const zeros = (n: number) => new Array<number>(n).fill(0);
    return {
      t: 0,
      total_mbps: 0,
      total_iops: 0,
      vm_mbps: zeros(V),
      vm_iops: zeros(V),
      vm_disk_share: zeros(V),
      vm_p50: zeros(V),
      vm_p95: zeros(V),
      vm_p99: zeros(V),
      vm_breakdown: Array.from({ length: V }, () => ({ guest: 0, qemu: 0, host_queue: 0, device: 0 })),
      thread_mbps: zeros(N),
      thread_iops: zeros(N),
      thread_p50: zeros(N),
      thread_p99: zeros(N),
      thread_disk_share: zeros(N),
      jain_vms: null,
      jain_vms_interval: null,
      utilization: 0,
      host_queue: 0,
      ctx_queue: zeros(this.layout.contexts.length),
      in_service_ctx: -1,
      latency_hist: zeros(LATENCY_BUCKETS_MS.length),
    };
  }

  /** Nobody drains from here on (a run straight to its result): keep only the bounded series. */
  stopStreaming(): void {
    this.streaming = false;
    this.freshSamples = [];
    this.dispatch.stopStreaming();
    this.activity.stopStreaming();
  }

  drainSamples(): Sample[] {
    const f = this.freshSamples;
    this.freshSamples = [];
    return f;
  }

  allSamples(): Sample[] {
    return this.samples.all();
  }

  // ------------------------------------------------------------ summary

  summary(schedulerName: string, pending?: PendingOf): RunSummary {
    const end = this.clock.now;
    if (this.serviceCtx >= 0 && end > this.serviceSince) {
      if (this.activity.accept())
        this.activity.add('service', this.serviceCtx, this.serviceSince / 1e9, end / 1e9, null);
      this.serviceCtx = -1;
    }
    if (this.idleCtx >= 0) this.idleEnd(this.idleCtx, false);
    let busyNs = this.busyNs;
    if (this.inDevice > 0) busyNs += this.clip(this.busySince, end);
    const measuredNs = Math.max(1, end - this.warmupNs);
    const secs = measuredNs / 1e9;
    const st = this.disk.stats();
    const run = this.run;
    const w = this.warmStats;
    const seeks = st.seeks - w.seeks;
    const media = st.mediaRequests - w.mediaRequests;
    const reads = st.readRequests - w.readRequests;
    const flows = summarizeFlows(
      this.layout,
      { threads: this.threads, vms: this.vms, total: this.total },
      secs,
      pending,
    );
    return {
      total: flows.total,
      disk: {
        utilization: r4(Math.min(1, busyNs / measuredNs)),
        busy_s: r4(busyNs / 1e9),
        idle_s: r4(Math.max(0, measuredNs - busyNs) / 1e9),
        requests: st.requests - w.requests,
        seeks,
        mean_seek_cyl: media > 0 ? r3((st.seekCylSum - w.seekCylSum) / media) : 0,
        cache_hit_ratio: reads > 0 ? r4((st.cacheHits - w.cacheHits) / reads) : 0,
        response_time_ms: run.respN > 0 ? r4(run.respNs / run.respN / 1e6) : 0,
        access_time_ms: run.accessN > 0 ? r4(run.accessNs / run.accessN / 1e6) : 0,
        positioning_time_ms: run.accessN > 0 ? r4(run.positionNs / run.accessN / 1e6) : 0,
      },
      fairness: flows.fairness,
      vms: flows.vms,
      native: flows.native,
      scheduler: {
        name: schedulerName,
        idle_windows: run.idleWindows,
        idle_paid_off: run.idlePaid,
        idle_s: r4(this.idleNs / 1e9),
        switches: run.switches,
      },
      measured_s: r4(secs),
    };
  }
}
