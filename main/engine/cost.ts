/**
 * What a spec will cost before it runs: simulated requests (the work), time-series values
 * (samples × series), recorded trace points and an estimate of the memory the results and the
 * engine's per-thread state take. Pure and cheap (no run is simulated, the matrix is counted before
 * it is expanded), so the CLI (`run`, `replay`, `sweep`), the serve API, the UI and the bundle reader
 * call it before anything large is built, and refuse — or ask — when a figure is over a limit.
 *
 * The figures are upper-bound estimates, not predictions: a closed-loop thread issues at most
 * `iodepth` requests per (think time + the shortest service the disk could give), the disk serves
 * at most its bus bandwidth over the smallest block, and open-loop (Poisson) arrivals are all
 * generated whatever the disk does — what the disk cannot serve queues, in memory.
 */

import { MAX_MATRIX_RUNS, matrixRunCount } from '../common/spec/matrix';
import type { DiskModelSpec, Spec, ThreadSpec, VmSpec } from '../common/spec/schema';
import { resolveDiskSpec } from './disk/index';

export { MAX_MATRIX_RUNS, matrixRunCount };

/** Limits a run may exceed only when the user allows it (`--allow-large`, or a confirmation in the UI). */
export interface CostLimits {
  /** Simulated requests over all runs. */
  maxRequests: number;
  /** Estimated memory of all runs' results and state, bytes. */
  maxMemoryBytes: number;
}

/**
 * Defaults: 200 million requests is minutes of engine time on one core (every paper preset needs
 * under 1 % of it); 2 GiB keeps the results of a run far below a Node heap's limit.
 */
export const DEFAULT_COST_LIMITS: Readonly<CostLimits> = Object.freeze({
  maxRequests: 200_000_000,
  maxMemoryBytes: 2 * 1024 ** 3,
});

export interface RunCost {
  /** Simulated requests (upper-bound estimate). */
  requests: number;
  /** Time-series samples (duration / sample interval). */
  samples: number;
  /** Values per sample (per-VM and per-thread series). */
  series: number;
  /** Dispatch and activity points kept for the seek chart and the trace. */
  tracePoints: number;
  /** Workload threads (each `count` expanded). */
  threads: number;
  /** Requests queued at the end when open-loop arrivals outrun the disk. */
  backlog: number;
  /** Estimated memory of the run's result (samples and trace points), kept until the experiment ends, bytes. */
  resultBytes: number;
  /** Estimated memory while the run executes (thread state, queued requests), bytes. */
  workingBytes: number;
  /** resultBytes + workingBytes. */
  memoryBytes: number;
}

export interface SpecCost {
  /** Runs of the matrix (1 without one), counted without expanding it. */
  runs: number;
  /** The largest run (by memory, then requests). */
  perRun: RunCost;
  /** Sums over every run. */
  total: {
    requests: number;
    samplePoints: number;
    tracePoints: number;
    /** Every run's result, the working memory of the runs that execute at once, and the process's base. */
    memoryBytes: number;
    /** Upper bound of the size of a result JSON of this spec (results.json in a bundle), bytes. */
    resultJsonBytes: number;
  };
}

// Memory model (bytes), calibrated against the engine's heap: a sample value lives in a JS array
// and once more in the JSON streamed to the UI or written to a bundle; a sample has about a dozen
// arrays; a trace point is an object of 7 fields; each thread holds latency histograms (HDR, 3
// digits) and its counters; a queued request is an object with a few links.
const BYTES_PER_VALUE = 24;
const BYTES_PER_SAMPLE = 600;
const BYTES_PER_TRACE_POINT = 160;
const BYTES_PER_THREAD = 48 * 1024;
const BYTES_PER_QUEUED_REQUEST = 400;
const BASE_BYTES = 64 * 1024 ** 2;
/** Runs assumed to execute at once (worker threads) when the working memory is summed. */
const PARALLEL_RUNS = 4;
// Result JSON (bytes), generous: a sample value is at most ~24 characters, a sample's field names
// ~300, a trace point ~150, a thread's summary ~2 KiB, a run's layout and summary ~64 KiB.
const JSON_PER_VALUE = 32;
const JSON_PER_SAMPLE = 400;
const JSON_PER_TRACE_POINT = 200;
const JSON_PER_THREAD = 2048;
const JSON_PER_RUN = 64 * 1024;
const JSON_BASE = 1024 ** 2;

/** The disk's upper bounds: bytes per second over its bus, and requests per second at most. */
function diskBounds(disk: DiskModelSpec, minBlockBytes: number): { opsPerS: number } {
  if (disk.kind === 'ssd') {
    const bw = disk.bandwidth_mbps * 1e6;
    const lat = Math.min(disk.read_latency_us, disk.write_latency_us) / 1e6;
    const byLatency = lat > 0 ? (disk.queue_depth * disk.channels) / lat : Number.POSITIVE_INFINITY;
    return { opsPerS: Math.min(bw / minBlockBytes, byLatency) };
  }
  const media = Math.max(...disk.zones.map((z) => z.sectors_per_track)) * disk.sector_bytes * (disk.rpm / 60);
  const bus = disk.interface_mbps * 1e6;
  // Cache hits go at bus speed; misses at the media rate; either way the bus carries every byte.
  const bw = Math.max(media, bus);
  const overhead = disk.controller_overhead_ms / 1000;
  const byOverhead = overhead > 0 ? disk.queue_depth / overhead : Number.POSITIVE_INFINITY;
  return { opsPerS: Math.min(bw / minBlockBytes, byOverhead) };
}

function activeSeconds(th: ThreadSpec, vm: VmSpec | null, duration: number): number {
  const start = Math.max(th.start_s, vm?.start_s ?? 0);
  const stop = Math.min(th.stop_s ?? duration, duration);
  return Math.max(0, stop - start);
}

/** The cost of one concrete run (a spec without a matrix, defaults filled). */
export function estimateRunCost(spec: Spec): RunCost {
  let disk: DiskModelSpec | null = null;
  try {
    disk = resolveDiskSpec(spec.disk);
  } catch {
    disk = null; // an unknown preset is validation's error; estimate without a disk bound
  }
  const all: { th: ThreadSpec; vm: VmSpec | null }[] = [
    ...spec.vms.flatMap((vm) => vm.threads.map((th) => ({ th, vm }))),
    ...spec.native.map((th) => ({ th, vm: null })),
  ];
  const threads = all.reduce((n, { th }) => n + th.count, 0);
  const minBlock = Math.min(512 * 1024 * 1024, ...all.map(({ th }) => th.block_kb * 1024));
  const cap = disk ? diskBounds(disk, minBlock).opsPerS : Number.POSITIVE_INFINITY;
  let open = 0; // open-loop arrivals, all generated
  let openRate = 0;
  let closed = 0; // closed-loop demand, bounded by the disk
  for (const { th, vm } of all) {
    const secs = activeSeconds(th, vm, spec.duration_s);
    if (th.arrival) {
      open += th.arrival.rate_iops * th.count * secs;
      openRate += th.arrival.rate_iops * th.count;
      continue;
    }
    const blockS = disk ? 1 / diskBounds(disk, th.block_kb * 1024).opsPerS : 0;
    const cycle = th.think_ms / 1000 + blockS;
    closed += cycle > 0 ? (th.count * th.iodepth * secs) / cycle : Number.POSITIVE_INFINITY;
  }
  const served = Math.min(closed + open, cap * spec.duration_s);
  const requests = Math.ceil(Math.max(open, served));
  const backlog = Math.ceil(Math.max(0, openRate - cap) * spec.duration_s);
  const samples = Math.ceil((spec.duration_s * 1000) / spec.sample_interval_ms);
  const series = 4 + 11 * spec.vms.length + 7 * threads;
  const tracePoints = 2 * Math.min(spec.trace_max_points, requests);
  const resultBytes =
    samples * (BYTES_PER_SAMPLE + series * BYTES_PER_VALUE) + tracePoints * BYTES_PER_TRACE_POINT;
  const workingBytes = threads * BYTES_PER_THREAD + Math.min(backlog, requests) * BYTES_PER_QUEUED_REQUEST;
  return {
    requests: finite(requests),
    samples,
    series,
    tracePoints,
    threads,
    backlog: finite(backlog),
    resultBytes: finite(resultBytes),
    workingBytes: finite(workingBytes),
    memoryBytes: finite(resultBytes + workingBytes),
  };
}

const finite = (x: number): number => (Number.isFinite(x) ? x : Number.MAX_VALUE);

/**
 * The cost of a spec (parsed, defaults filled) over its whole matrix. The matrix is counted first;
 * `runs` (the spec with each run's values applied, e.g. from expandMatrix) is used only when given,
 * otherwise every run is assumed to cost what the base spec costs.
 */
export function estimateSpecCost(spec: Spec, runs?: readonly Spec[]): SpecCost {
  const count = runs ? runs.length : matrixRunCount(spec.matrix);
  const each = runs && runs.length > 0 ? runs.map(estimateRunCost) : [estimateRunCost(spec)];
  const scale = runs ? 1 : count;
  const sum = (f: (c: RunCost) => number) => finite(each.reduce((s, c) => s + f(c), 0) * scale);
  const perRun = each.reduce((a, b) =>
    b.memoryBytes > a.memoryBytes || (b.memoryBytes === a.memoryBytes && b.requests > a.requests) ? b : a,
  );
  const working = Math.max(...each.map((c) => c.workingBytes)) * Math.min(count, PARALLEL_RUNS);
  return {
    runs: count,
    perRun,
    total: {
      requests: sum((c) => c.requests),
      samplePoints: sum((c) => c.samples * c.series),
      tracePoints: sum((c) => c.tracePoints),
      memoryBytes: finite(BASE_BYTES + sum((c) => c.resultBytes) + working),
      resultJsonBytes: finite(
        JSON_BASE +
          sum(
            (c) =>
              JSON_PER_RUN +
              c.samples * (JSON_PER_SAMPLE + c.series * JSON_PER_VALUE) +
              c.tracePoints * JSON_PER_TRACE_POINT +
              c.threads * JSON_PER_THREAD,
          ),
      ),
    },
  };
}

/** The limits a cost exceeds, each as a sentence; empty when it is within every limit. */
export function costOverLimits(cost: SpecCost, limits: Readonly<CostLimits> = DEFAULT_COST_LIMITS): string[] {
  const over: string[] = [];
  if (cost.total.requests > limits.maxRequests)
    over.push(`about ${count(cost.total.requests)} simulated requests (limit ${count(limits.maxRequests)})`);
  if (cost.total.memoryBytes > limits.maxMemoryBytes)
    over.push(`about ${bytes(cost.total.memoryBytes)} of memory (limit ${bytes(limits.maxMemoryBytes)})`);
  return over;
}

/** One line: runs, requests, samples × series, trace points, memory. */
export function formatCost(cost: SpecCost): string {
  const r = cost.perRun;
  return (
    `${count(cost.runs)} run${cost.runs === 1 ? '' : 's'}, ~${count(cost.total.requests)} requests, ` +
    `${count(r.samples)} samples × ${count(r.series)} series per run, ` +
    `${count(cost.total.tracePoints)} trace points, ~${bytes(cost.total.memoryBytes)} of memory`
  );
}

function count(n: number): string {
  if (n >= 1e15) return n.toExponential(1);
  for (const [f, s] of [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const)
    if (n >= f) return `${(n / f).toFixed(n / f >= 100 ? 0 : 1)}${s}`;
  return String(Math.round(n));
}

function bytes(n: number): string {
  if (n >= 1024 ** 4) return `${(n / 1024 ** 4).toFixed(1)} TiB`;
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  return `${Math.max(1, Math.round(n / 1024 ** 2))} MiB`;
}
