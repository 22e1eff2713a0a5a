/**
 * A bounded, multi-resolution time series of samples: the newest `full` points stay at the sample
 * interval, older ones are merged pairwise into coarser points once the series holds `max`, so a
 * run of any simulated length keeps at most `max` points (memory flat in simulated time). The
 * simulator's collector, the real-disk collector and the UI's live store all append through
 * `appendSample`, so they hold the same points.
 *
 * A merged point covers the intervals of its parts (`merged` = how many sample intervals; absent
 * on full-resolution points; `t` is still the end of its interval). Its figures over that span:
 * rates (MB/s, IOPS) and utilization are time-weighted means, disk-time shares are weighted by busy
 * time, the latency breakdown by completed I/Os, the latency histogram is summed, percentiles are
 * the larger of the parts (a coarse point never hides a slow interval), Jain's index of the span
 * is recomputed from its VMs' throughputs, and the instantaneous figures (running Jain's index,
 * queue lengths, context in service) are those at its end.
 */
import { jainIndex } from './fairness';
import type { LatencyBreakdown, Sample } from './result';

/** Points a series keeps at most. */
export const SERIES_MAX_POINTS = 2000;
/** The newest points kept at full resolution. */
export const SERIES_FULL_POINTS = 1000;

export const r3 = (x: number): number => Math.round(x * 1000) / 1000;
export const r4 = (x: number): number => Math.round(x * 10000) / 10000;

/** Sample intervals a point covers. */
export const spanOf = (s: Sample): number => s.merged ?? 1;

/** Weighted mean of a and b (plain mean when both weights are 0), rounded. */
export function mean(a: number, wa: number, b: number, wb: number, round: (x: number) => number): number {
  const w = wa + wb;
  return w > 0 ? round((a * wa + b * wb) / w) : round((a + b) / 2);
}

function meanArr(
  a: number[] | undefined,
  wa: (i: number) => number,
  b: number[] | undefined,
  wb: (i: number) => number,
  round: (x: number) => number,
): number[] | undefined {
  if (!a || !b) return b;
  return b.map((x, i) => mean(a[i] ?? 0, wa(i), x, wb(i), round));
}

const maxArr = (a: number[] | undefined, b: number[] | undefined): number[] | undefined =>
  !a || !b ? b : b.map((x, i) => Math.max(a[i] ?? 0, x));

function breakdown(a: LatencyBreakdown, wa: number, b: LatencyBreakdown, wb: number): LatencyBreakdown {
  return {
    guest: mean(a.guest, wa, b.guest, wb, r3),
    qemu: mean(a.qemu, wa, b.qemu, wb, r3),
    host_queue: mean(a.host_queue, wa, b.host_queue, wb, r3),
    device: mean(a.device, wa, b.device, wb, r3),
  };
}

/**
 * One point for the adjacent points `a` (older, its interval starting at `aStart` s) and `b`.
 * `vmWeights`: the VMs' weights (for Jain's index of the merged span).
 */
export function mergeSamples(a: Sample, aStart: number, b: Sample, vmWeights: readonly number[]): Sample {
  const da = Math.max(0, a.t - aStart);
  const db = Math.max(0, b.t - a.t);
  const time = () => da;
  const timeB = () => db;
  const busyA = a.utilization * da;
  const busyB = b.utilization * db;
  const vmMbps = meanArr(a.vm_mbps, time, b.vm_mbps, timeB, r3) ?? [];
  const s: Sample = {
    t: b.t,
    total_mbps: mean(a.total_mbps, da, b.total_mbps, db, r3),
    total_iops: mean(a.total_iops, da, b.total_iops, db, r3),
    vm_mbps: vmMbps,
    vm_iops: meanArr(a.vm_iops, time, b.vm_iops, timeB, r3) ?? [],
    vm_disk_share:
      meanArr(
        a.vm_disk_share,
        () => busyA,
        b.vm_disk_share,
        () => busyB,
        r4,
      ) ?? [],
    vm_p50: maxArr(a.vm_p50, b.vm_p50) ?? [],
    vm_p95: maxArr(a.vm_p95, b.vm_p95) ?? [],
    vm_p99: maxArr(a.vm_p99, b.vm_p99) ?? [],
    vm_breakdown: b.vm_breakdown.map((x, i) =>
      a.vm_breakdown[i]
        ? breakdown(a.vm_breakdown[i], (a.vm_iops[i] ?? 0) * da, x, (b.vm_iops[i] ?? 0) * db)
        : x,
    ),
    thread_mbps: meanArr(a.thread_mbps, time, b.thread_mbps, timeB, r3) ?? [],
    thread_p50: maxArr(a.thread_p50, b.thread_p50) ?? [],
    thread_p99: maxArr(a.thread_p99, b.thread_p99) ?? [],
    thread_disk_share:
      meanArr(
        a.thread_disk_share,
        () => busyA,
        b.thread_disk_share,
        () => busyB,
        r4,
      ) ?? [],
    jain_vms: b.jain_vms,
    jain_vms_interval: (() => {
      const j = jainIndex(vmMbps.map((x, i) => x / (vmWeights[i] ?? 1)));
      return j === null ? null : r4(j);
    })(),
    utilization: mean(a.utilization, da, b.utilization, db, r4),
    host_queue: b.host_queue,
    latency_hist: b.latency_hist.map((x, i) => x + (a.latency_hist[i] ?? 0)),
    merged: spanOf(a) + spanOf(b),
  };
  if (b.thread_iops) s.thread_iops = meanArr(a.thread_iops, time, b.thread_iops, timeB, r3);
  if (b.ctx_queue) s.ctx_queue = b.ctx_queue;
  if (b.in_service_ctx !== undefined) s.in_service_ctx = b.in_service_ctx;
  return s;
}

/** A series as `coarsen` sees it: points in time order that can be merged and moved. */
export interface SeriesPoints {
  readonly length: number;
  /** Sample intervals point i covers. */
  span(i: number): number;
  /** End time (s) of point i. */
  t(i: number): number;
  /** Write the merge of points i and i + 1 (point i starting at `start` s) to position w <= i. */
  mergeTo(i: number, start: number, w: number): void;
  /** Move point i to position w <= i. */
  move(i: number, w: number): void;
  /** Move points i .. i + count − 1 to w .. w + count − 1 (w <= i), as `move` one by one in order. */
  moveRange?(i: number, w: number, count: number): void;
  /** Keep the first n points. */
  truncate(n: number): void;
}

/**
 * Merge adjacent pairs among the points older than the newest `full` until at most `target`
 * remain: each pass merges, oldest first, the pairs whose combined span is the smallest there is,
 * so resolution falls off step by step with age. The newest `full` points never merge: they are
 * moved once, after the last pass, not once per pass.
 *
 * The passes read the spans from a copy taken once (`spans`, updated as points merge and move)
 * rather than asking `p` twice per point and pass (a store of records reads each span from a
 * different record: about ten passes over the 1000 older points each time the series is full), and
 * the start of a merged point's interval is read only when a merge needs it: the end of the point
 * written just before it (position w − 1, final for this pass), as the old per-point `start` was.
 */
export function coarsen(p: SeriesPoints, full: number, target: number): void {
  const n0 = p.length;
  const tail0 = n0 - full;
  if (n0 <= target || tail0 < 2) return;
  const spans = new Float64Array(tail0);
  for (let i = 0; i < tail0; i++) spans[i] = p.span(i);
  let n = n0;
  while (n > target) {
    const region = n - full;
    if (region < 2) break;
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i + 1 < region; i++) {
      const span = spans[i] + spans[i + 1];
      if (span < best) best = span;
    }
    let w = 0;
    let i = 0;
    while (i < region) {
      if (n - (i - w) <= target && p.moveRange) {
        // enough merged: the rest of the region only moves
        if (w !== i) {
          p.moveRange(i, w, region - i);
          spans.copyWithin(w, i, region);
        }
        w += region - i;
        break;
      }
      if (i + 1 < region && n - (i - w) > target && spans[i] + spans[i + 1] === best) {
        p.mergeTo(i, w === 0 ? 0 : p.t(w - 1), w);
        spans[w] = best;
        i += 2;
      } else {
        if (w !== i) {
          p.move(i, w);
          spans[w] = spans[i];
        }
        i++;
      }
      w++;
    }
    n -= region - w;
  }
  if (n === n0) return;
  // a pass ran, so tail0 = n0 - full >= 2
  if (p.moveRange) p.moveRange(tail0, n - full, full);
  else for (let i = tail0, w = n - full; i < n0; i++, w++) p.move(i, w);
  p.truncate(n);
}

/** Points a series merges down to once it holds more than `max`: merging happens every max/8 samples. */
export const coarsenTarget = (max: number): number => max - (max >> 3);

/**
 * Append `s` to a series of Sample objects (the UI's live store, the real-disk collector), merging
 * older points when it would hold more than `max`.
 */
export function appendSample(
  samples: Sample[],
  s: Sample,
  vmWeights: readonly number[],
  max = SERIES_MAX_POINTS,
  full = SERIES_FULL_POINTS,
): void {
  samples.push(s);
  if (samples.length <= max) return;
  const points: SeriesPoints = {
    get length() {
      return samples.length;
    },
    span: (i) => spanOf(samples[i]),
    t: (i) => samples[i].t,
    mergeTo: (i, start, w) => {
      samples[w] = mergeSamples(samples[i], start, samples[i + 1], vmWeights);
    },
    move: (i, w) => {
      samples[w] = samples[i];
    },
    truncate: (n) => {
      samples.length = n;
    },
  };
  coarsen(points, Math.min(full, max - 2), coarsenTarget(max));
}

/** What a series holds, for labels: "every 250 ms" or "every 250 ms for the last 250 s, older points up to 64 s". */
export function describeResolution(samples: readonly Sample[], intervalMs: number): string {
  const fmt = (s: number) => (s >= 1 ? `${+s.toFixed(s >= 100 ? 0 : 1)} s` : `${+(s * 1000).toFixed(1)} ms`);
  const base = `every ${fmt(intervalMs / 1000)}`;
  let coarsest = 1;
  let fullFrom = 0;
  for (let i = 0; i < samples.length; i++) {
    const span = spanOf(samples[i]);
    if (span > coarsest) coarsest = span;
    if (span > 1) fullFrom = i + 1;
  }
  if (coarsest === 1) return base;
  const recent = samples.length - fullFrom;
  return `${base} for the last ${fmt((recent * intervalMs) / 1000)}, older points merged (up to ${fmt((coarsest * intervalMs) / 1000)} each)`;
}
