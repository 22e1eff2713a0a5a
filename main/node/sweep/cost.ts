/**
 * A rough, pure estimate of what a sweep costs before it runs: simulated requests per run (each
 * thread's closed-loop or open-loop request rate, bounded by what the disk can serve), the wall
 * time that takes on one core, and the size of the result JSON. It is an order-of-magnitude guide
 * for choosing shards and `--time`, not a measurement: `npm run bench` measures the engine.
 *
 * (The hardening issue plans a shared spec cost estimator; this one is minimal and self-contained
 * so the coordinator can replace it by that one.)
 */
import { matrixSize } from '../../common/spec/matrix';
import type { DiskModelSpec, Spec, ThreadSpec } from '../../common/spec/schema';
import { runAt } from '../../common/spec/validate';
import { characterizeDisk, resolveDiskSpec } from '../../engine/disk/index';

/**
 * Simulated requests per second of wall time on one core, the order of magnitude seen for the
 * paper presets (2.5–5 × 10^4 on the development machine: `pvblk run --preset paper-fairness --jobs 1`).
 */
export const ENGINE_REQUESTS_PER_S = 40_000;
/** Fixed cost of one run (spec resolution, disk geometry, result assembly), seconds. */
const RUN_OVERHEAD_S = 0.02;

export interface RunCost {
  /** Estimated requests the run completes. */
  requests: number;
  /** Estimated wall seconds on one core. */
  seconds: number;
  /** Estimated bytes of this run in results.json (time series and trace dominate). */
  resultBytes: number;
}

export interface SweepCost {
  runs: number;
  /** Runs actually estimated (an evenly spaced sample of at most `sample` runs). */
  sampled: number;
  perRun: { mean: RunCost; min: number; max: number };
  total: { requests: number; seconds: number; resultBytes: number };
}

interface DiskSpeed {
  /** Seconds of positioning for a random request. */
  randomPositionS: number;
  /** Bytes per second off the media (outer zone) or the flash channels. */
  bytesPerS: number;
  /** Requests the device serves at once. */
  parallel: number;
}

function diskSpeed(d: DiskModelSpec): DiskSpeed {
  if (d.kind === 'ssd')
    return {
      randomPositionS: (d.read_latency_us + d.write_latency_us) / 2 / 1e6,
      bytesPerS: d.bandwidth_mbps * 1e6,
      parallel: d.channels,
    };
  const c = characterizeDisk(d);
  const media = Math.max(...c.zones.map((z) => z.media_mbps)) * 1e6;
  return {
    randomPositionS: (c.seek_avg_ms + (c.rotation_ms ?? 0) / 2) / 1e3,
    bytesPerS: Math.min(media, d.interface_mbps * 1e6),
    parallel: 1,
  };
}

/** One thread group's demand: requests per second it would issue on an otherwise idle disk, and the device time of one. */
function threadDemand(
  th: ThreadSpec,
  disk: DiskSpeed,
  durationS: number,
): { rate: number; serviceS: number } {
  const transfer = (th.block_kb * 1024) / disk.bytesPerS;
  const serviceS = (th.pattern === 'random' ? disk.randomPositionS : 0) + transfer;
  const active = Math.max(0, Math.min(th.stop_s ?? durationS, durationS) - th.start_s) / durationS;
  const perReplica = th.arrival
    ? th.arrival.rate_iops
    : th.iodepth /
      (th.think_ms / 1e3 + serviceS * Math.min(th.iodepth, 1 + (th.iodepth - 1) / disk.parallel));
  return { rate: perReplica * th.count * active, serviceS };
}

const diskCache = new Map<string, DiskSpeed>();

/** Estimate one concrete run (no matrix). */
export function estimateRun(spec: Spec): RunCost {
  const model = resolveDiskSpec(spec.disk);
  const key = JSON.stringify(model);
  let disk = diskCache.get(key);
  if (!disk) {
    disk = diskSpeed(model);
    if (diskCache.size > 64) diskCache.clear();
    diskCache.set(key, disk);
  }
  const threads = [...spec.vms.flatMap((vm) => vm.threads), ...spec.native];
  const demands = threads.map((th) => threadDemand(th, disk, spec.duration_s));
  const demand = demands.reduce((s, d) => s + d.rate, 0);
  // The device bounds the total: demand-weighted mean service time, shared by `parallel` units.
  const meanService = demand > 0 ? demands.reduce((s, d) => s + d.rate * d.serviceS, 0) / demand : 0;
  const capacity = meanService > 0 ? disk.parallel / meanService : Number.POSITIVE_INFINITY;
  const requests = Math.min(demand, capacity) * spec.duration_s;
  const samples = Math.ceil((spec.duration_s * 1000) / spec.sample_interval_ms);
  const threadCount = threads.reduce((s, th) => s + th.count, 0);
  const traced = Math.min(requests, spec.trace_max_points);
  const resultBytes = Math.round(
    2000 + samples * (250 + 90 * threadCount + 160 * spec.vms.length) + traced * 75,
  );
  return {
    requests: Math.round(requests),
    seconds: RUN_OVERHEAD_S + requests / ENGINE_REQUESTS_PER_S + samples * threadCount * 2e-6,
    resultBytes,
  };
}

/** Estimate a sweep from an evenly spaced sample of at most `sample` of its runs (`indices`: only those runs). */
export function estimateSweep(spec: Spec, opts: { sample?: number; indices?: number[] } = {}): SweepCost {
  const runs = opts.indices ? opts.indices.length : matrixSize(spec);
  const at = (k: number) => (opts.indices ? opts.indices[k] : k);
  const n = Math.min(runs, opts.sample ?? 200);
  const costs: RunCost[] = [];
  for (let s = 0; s < n; s++) costs.push(estimateRun(runAt(spec, at(Math.floor((s * runs) / n))).spec));
  const mean = (f: (c: RunCost) => number) => (n ? costs.reduce((a, c) => a + f(c), 0) / n : 0);
  const perRun = {
    requests: mean((c) => c.requests),
    seconds: mean((c) => c.seconds),
    resultBytes: mean((c) => c.resultBytes),
  };
  const secs = costs.map((c) => c.seconds);
  return {
    runs,
    sampled: n,
    perRun: { mean: perRun, min: n ? Math.min(...secs) : 0, max: n ? Math.max(...secs) : 0 },
    total: {
      requests: perRun.requests * runs,
      seconds: perRun.seconds * runs,
      resultBytes: perRun.resultBytes * runs,
    },
  };
}

/** "1.2 s", "3 min 4 s", "2 h 5 min". */
export function formatDuration(s: number): string {
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** "12 KB", "3.4 MB" (10^3 steps, as in the CLI's other sizes). */
export function formatBytes(b: number): string {
  if (b < 1e3) return `${Math.round(b)} B`;
  if (b < 1e6) return `${(b / 1e3).toFixed(1)} KB`;
  if (b < 1e9) return `${(b / 1e6).toFixed(1)} MB`;
  return `${(b / 1e9).toFixed(2)} GB`;
}
