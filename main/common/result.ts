/**
 * The result JSON (DESIGN.md "Result JSON") and the live samples streamed while a run goes on.
 * Units: throughput MB/s = 10^6 bytes/s; latencies in ms; times in the series in seconds of
 * simulated time. Summary figures exclude `warmup_s`.
 */

export interface LatencySummary {
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  /** 99.9th percentile (absent in results of older versions). */
  p999?: number;
  max: number;
}

/** Mean latency split by layer; the four add up to the mean latency. */
export interface LatencyBreakdown {
  guest: number;
  qemu: number;
  host_queue: number;
  device: number;
}

export interface ThreadSummary {
  name: string;
  /** VM name, or null for a native host process. */
  vm: string | null;
  pid: number;
  mbps: number;
  iops: number;
  read_mbps: number;
  write_mbps: number;
  bytes: number;
  ios: number;
  latency_ms: LatencySummary;
  latency_breakdown_ms: LatencyBreakdown;
  /** Share of the disk's busy time spent on this thread's requests (0..1). */
  disk_time_share: number;
  /**
   * I/Os submitted but not completed when the run ended, and how long the oldest of them had been
   * waiting (ms; 0 when none): latency figures only count completed I/Os, so a starved thread
   * shows here. The simulator fills these; the real-disk backend may omit them.
   */
  pending_ios?: number;
  oldest_pending_ms?: number;
}

export interface VmSummary {
  name: string;
  mapping: string;
  weight: number;
  mbps: number;
  iops: number;
  bytes: number;
  ios: number;
  latency_ms: LatencySummary;
  latency_breakdown_ms: LatencyBreakdown;
  disk_time_share: number;
  threads: ThreadSummary[];
}

export interface SchedulerSummary {
  name: string;
  /** Idle windows (anticipation) started, and how many of them got the awaited request in time. */
  idle_windows: number;
  idle_paid_off: number;
  /** Total time spent idling with the disk free (s). */
  idle_s: number;
  /** Times the in-service context changed. */
  switches: number;
}

/** One trace-replaying thread's account of its trace (docs/traces.md). */
export interface TraceSummary {
  thread: string;
  vm: string | null;
  file: string;
  /** The process id it replays (split_by pid), or null for the whole trace. */
  pid: number | null;
  /** Records read from the trace, I/Os issued from them. */
  records: number;
  issued: number;
  /** Records outside the thread's space (the VM image or the disk), and what became of them. */
  out_of_range: number;
  remapped: number;
  dropped: number;
  /** True when the trace ended before the run did. */
  exhausted: boolean;
}

export interface RunSummary {
  total: { mbps: number; iops: number; bytes: number; ios: number; latency_ms: LatencySummary };
  disk: {
    utilization: number;
    busy_s: number;
    idle_s: number;
    requests: number;
    seeks: number;
    mean_seek_cyl: number;
    cache_hit_ratio: number;
    /**
     * DiskSim's two views of a request at the device (the simulator fills them; the real-disk
     * backend omits them). Response time: mean from the host's dispatch to the device until the
     * completion (ms), overheads, bus and queueing inside the drive included. Access time: mean
     * positioning + media transfer (ms) over the requests that needed positioning (not cache hits
     * or reads that continued the read-ahead), as DiskSim's "Access time"; positioning time: the
     * seek + rotational latency part of it.
     */
    response_time_ms?: number;
    access_time_ms?: number;
    positioning_time_ms?: number;
  };
  fairness: {
    /** Jain's index over the VMs' throughputs divided by their weights; null with fewer than two VMs. */
    jain_vms: number | null;
    /** Jain's index over all threads' throughputs (VM and native); null with fewer than two. */
    jain_threads: number | null;
    disk_time_share: Record<string, number>;
  };
  vms: VmSummary[];
  native: ThreadSummary[];
  scheduler: SchedulerSummary;
  /** Simulated seconds covered by the summary (duration − warmup). */
  measured_s: number;
  /** Trace-replaying threads (present when the spec has trace workloads). */
  traces?: TraceSummary[];
}

/** One interval of the live series. Arrays are indexed like the run's `vms` and `threads` lists. */
export interface Sample {
  /** End of the interval, simulated seconds. */
  t: number;
  total_mbps: number;
  total_iops: number;
  vm_mbps: number[];
  vm_iops: number[];
  /** Per VM: the VM's share of the disk's busy time in this interval (0..1). */
  vm_disk_share: number[];
  /** Per VM latency percentiles of requests completed in the interval (ms; 0 when none). */
  vm_p50: number[];
  vm_p95: number[];
  vm_p99: number[];
  /** Per VM mean latency split by layer in the interval (ms). */
  vm_breakdown: LatencyBreakdown[];
  thread_mbps: number[];
  /** Per thread IOPS in the interval (the real-disk backend may omit it). */
  thread_iops?: number[];
  thread_p50: number[];
  thread_p99: number[];
  thread_disk_share: number[];
  /** Running Jain's index over VMs (weighted), cumulative from warm-up end; null with < 2 VMs. */
  jain_vms: number | null;
  /** Jain's index over VMs within this interval only. */
  jain_vms_interval: number | null;
  utilization: number;
  /** Requests queued in the host scheduler at the sample instant. */
  host_queue: number;
  /** Requests queued in the host scheduler per host context (indexed like `layout.contexts`). */
  ctx_queue?: number[];
  /** Host context in service (the scheduler's active queue) at the sample instant, or -1. */
  in_service_ctx?: number;
  /** Latency histogram of the interval over LATENCY_BUCKETS_MS (for the heatmap). */
  latency_hist: number[];
  /**
   * Sample intervals this point covers when older points of a long run were merged (series.ts);
   * absent on points at full resolution.
   */
  merged?: number;
}

/** Log-spaced latency bucket upper bounds (ms) for heatmaps and histograms. */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  0.1,
  0.2,
  0.5,
  1,
  2,
  3,
  5,
  7,
  10,
  15,
  20,
  30,
  50,
  75,
  100,
  150,
  200,
  300,
  500,
  750,
  1000,
  2000,
  5000,
  Number.POSITIVE_INFINITY,
];

/** A request dispatched to the disk (the seek-pattern chart, seekwatcher style). */
export interface DispatchPoint {
  t: number;
  /** Host sector (512 B). */
  sector: number;
  sectors: number;
  /** VM index, -1 for native. */
  vm: number;
  thread: number;
  ctx: number;
  write: boolean;
}

/** Scheduler activity: service periods and idle windows (t and end in simulated seconds). */
export interface ActivityEvent {
  kind: 'service' | 'idle';
  ctx: number;
  t: number;
  end: number;
  /** For idle windows: did the awaited request arrive in time? */
  paid_off?: boolean;
}

export interface RunLayout {
  vms: { name: string; mapping: string; weight: number; image_start: number; image_sectors: number }[];
  threads: { name: string; vm: number; pid: number }[];
  contexts: { id: number; name: string; vm: number; group: number }[];
  disk_sectors: number;
  sample_interval_ms: number;
  duration_s: number;
  warmup_s: number;
}

export interface TimeSeries {
  samples: Sample[];
}

export interface RunResult {
  params: Record<string, string | number | boolean>;
  layout: RunLayout;
  summary: RunSummary;
  timeseries: TimeSeries;
  trace: { dispatch: DispatchPoint[]; activity: ActivityEvent[]; truncated: boolean };
  /** Present when the run was stopped before its end: its numbers cover 0..simulated_s only. */
  partial?: { simulated_s: number; duration_s: number };
}

/**
 * A run of the spec's matrix that a backend could not do on this machine, and why (the real-disk
 * backend: `vpid-group` where the kernel has no proportional-weight I/O policy, or more OS threads
 * than it starts). It has no figures: not zeros, none.
 */
export interface NotRunEntry {
  /** The run's index in the spec's matrix (from 0). */
  index: number;
  params: Record<string, string | number | boolean>;
  status: 'not-run';
  /** Why, in words the user can act on. */
  reason: string;
}

export interface ExperimentResult {
  name: string;
  seed: number;
  engine_version: string;
  /** The runs done, in matrix order (every run of the matrix unless `not_run` lists some). */
  runs: RunResult[];
  /**
   * Runs of the matrix that were not done, with the reason, in matrix order. Only the real-disk
   * backend sets it, and only when a run could not be done; `runs` then holds the others
   * (runMatrixIndices gives each one's matrix index).
   */
  not_run?: NotRunEntry[];
  /**
   * Present when the experiment was stopped: `runs` holds the runs finished before the stop, in
   * matrix order, and the stopped run (marked `partial`) last; `runs_total` is the matrix's size.
   */
  partial?: { reason: 'stopped'; runs_total: number };
}

/** The matrix index of each of `result.runs`: 0, 1, 2… skipping the indices `not_run` lists. */
export function runMatrixIndices(result: Pick<ExperimentResult, 'runs' | 'not_run'>): number[] {
  const skip = new Set((result.not_run ?? []).map((n) => n.index));
  const out: number[] = [];
  for (let i = 0; out.length < result.runs.length; i++) if (!skip.has(i)) out.push(i);
  return out;
}
