/**
 * The run's time series, stored as fixed-size records of numbers in one Float64Array instead of
 * one object per sample: memory stays flat in simulated time, and nothing long-lived is allocated
 * per sample (objects that outlive many collections and then die, as merged-away samples would,
 * make the garbage-collected heap grow with the run). Bounded and coarsened by the same rules as
 * every other series (common/series.ts); `all()` gives the Sample objects back.
 *
 * Records stay in their slot of the buffer for their whole life: point i of the series is the
 * record in slot `order[i]`. Coarsening moves points (each pass of `coarsen` shifts every point
 * after the first merge down the series): here a move copies one slot number, not a whole record
 * (a record is tens of numbers, and the 1000 older points were copied one by one, pass after pass).
 * A merge writes its result into the older part's slot and frees the newer part's slot, which the
 * next `push` takes. The numbers of every point are the same as with records moved in place.
 */
import { LATENCY_BUCKETS_MS, type LatencyBreakdown, type Sample } from '../../common/result';
import {
  coarsen,
  coarsenTarget,
  mean,
  r3,
  r4,
  SERIES_FULL_POINTS,
  SERIES_MAX_POINTS,
  type SeriesPoints,
} from '../../common/series';
import { jainIndex } from './fairness';

// Scalar fields of a record; per-VM, per-thread, per-context and histogram fields follow.
const T = 0;
const TOTAL_MBPS = 1;
const TOTAL_IOPS = 2;
const JAIN = 3;
const JAIN_INTERVAL = 4;
const UTIL = 5;
const HOST_QUEUE = 6;
const IN_SERVICE = 7;
const MERGED = 8;
const SCALARS = 9;

const nullable = (x: number | null): number => (x === null ? Number.NaN : x);
const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

export class SampleStore implements SeriesPoints {
  private readonly rec: number;
  private readonly vm: number;
  private readonly th: number;
  private readonly cx: number;
  private readonly hist: number;
  private buf: Float64Array;
  private readonly scratch: Float64Array;
  /** Slot of the record of point i. */
  private order: Int32Array;
  /** Slots freed by merges (a stack), and how many slots the buffer has handed out. */
  private free: Int32Array;
  private nFree = 0;
  private slots = 0;
  length = 0;

  constructor(
    private readonly vms: number,
    private readonly threads: number,
    private readonly contexts: number,
    private readonly vmWeights: readonly number[],
    private readonly max = SERIES_MAX_POINTS,
    private readonly full = SERIES_FULL_POINTS,
  ) {
    this.vm = SCALARS;
    this.th = this.vm + 10 * vms;
    this.cx = this.th + 5 * threads;
    this.hist = this.cx + contexts;
    this.rec = this.hist + LATENCY_BUCKETS_MS.length;
    this.buf = new Float64Array(Math.min(max + 1, 64) * this.rec);
    this.scratch = new Float64Array(this.rec);
    this.order = new Int32Array(Math.min(max + 1, 64));
    this.free = new Int32Array(this.order.length);
  }

  push(s: Sample): void {
    let slot: number;
    if (this.nFree > 0) slot = this.free[--this.nFree];
    else {
      // every slot handed out holds a point (none is free): slots === length
      slot = this.slots++;
      if (this.slots * this.rec > this.buf.length) {
        const cap = Math.min(this.max + 1, 2 * this.slots);
        const b = new Float64Array(cap * this.rec);
        b.set(this.buf);
        this.buf = b;
        const o = new Int32Array(cap);
        o.set(this.order);
        this.order = o;
        this.free = new Int32Array(cap);
      }
    }
    this.order[this.length++] = slot;
    this.write(s, slot * this.rec);
    if (this.length > this.max) coarsen(this, Math.min(this.full, this.max - 2), coarsenTarget(this.max));
  }

  span(i: number): number {
    return this.buf[this.order[i] * this.rec + MERGED];
  }

  t(i: number): number {
    return this.buf[this.order[i] * this.rec + T];
  }

  /**
   * The merge of `mergeSamples` (common/series.ts) computed on the records themselves, the same
   * arithmetic in the same order (the tests check both give the same points): no objects.
   */
  mergeTo(i: number, start: number, w: number): void {
    const b = this.buf;
    const m = this.scratch;
    const sa = this.order[i];
    const sb = this.order[i + 1];
    const oa = sa * this.rec;
    const ob = sb * this.rec;
    const da = Math.max(0, b[oa + T] - start);
    const db = Math.max(0, b[ob + T] - b[oa + T]);
    const busyA = b[oa + UTIL] * da;
    const busyB = b[ob + UTIL] * db;
    // (no closures: this runs for every merge of a long run)
    m[T] = b[ob + T];
    m[TOTAL_MBPS] = mean(b[oa + TOTAL_MBPS], da, b[ob + TOTAL_MBPS], db, r3);
    m[TOTAL_IOPS] = mean(b[oa + TOTAL_IOPS], da, b[ob + TOTAL_IOPS], db, r3);
    m[JAIN] = b[ob + JAIN];
    m[UTIL] = mean(b[oa + UTIL], da, b[ob + UTIL], db, r4);
    m[HOST_QUEUE] = b[ob + HOST_QUEUE];
    m[IN_SERVICE] = b[ob + IN_SERVICE];
    m[MERGED] = b[oa + MERGED] + b[ob + MERGED];
    const V = this.vms;
    const v = this.vm;
    for (let k = 0; k < V; k++) {
      let x = v + k;
      m[x] = mean(b[oa + x], da, b[ob + x], db, r3);
      x = v + V + k;
      m[x] = mean(b[oa + x], da, b[ob + x], db, r3);
      x = v + 2 * V + k;
      m[x] = mean(b[oa + x], busyA, b[ob + x], busyB, r4);
      for (let c = 3; c <= 5; c++) {
        x = v + c * V + k;
        m[x] = Math.max(b[oa + x], b[ob + x]);
      }
      const wa = b[oa + v + V + k] * da;
      const wb = b[ob + v + V + k] * db;
      for (let f = 0; f < 4; f++) {
        x = v + 6 * V + 4 * k + f;
        m[x] = mean(b[oa + x], wa, b[ob + x], wb, r3);
      }
    }
    let jain = Number.NaN;
    if (V > 0) {
      const xs: number[] = [];
      for (let k = 0; k < V; k++) xs.push(m[v + k] / (this.vmWeights[k] ?? 1));
      const j = jainIndex(xs);
      if (j !== null) jain = r4(j);
    }
    m[JAIN_INTERVAL] = jain;
    const N = this.threads;
    const t = this.th;
    for (let k = 0; k < N; k++) {
      let x = t + k;
      m[x] = mean(b[oa + x], da, b[ob + x], db, r3);
      x = t + N + k;
      m[x] = mean(b[oa + x], da, b[ob + x], db, r3);
      x = t + 2 * N + k;
      m[x] = Math.max(b[oa + x], b[ob + x]);
      x = t + 3 * N + k;
      m[x] = Math.max(b[oa + x], b[ob + x]);
      x = t + 4 * N + k;
      m[x] = mean(b[oa + x], busyA, b[ob + x], busyB, r4);
    }
    for (let k = this.cx; k < this.hist; k++) m[k] = b[ob + k];
    for (let k = this.hist; k < this.rec; k++) m[k] = b[ob + k] + b[oa + k];
    // a's slot takes the merge (the merge read all of a and b first: scratch); b's slot is free
    b.set(m, oa);
    this.order[w] = sa;
    this.free[this.nFree++] = sb;
  }

  move(i: number, w: number): void {
    this.order[w] = this.order[i];
  }

  moveRange(i: number, w: number, count: number): void {
    // w <= i: copyWithin copies as moving the points one by one from the first
    this.order.copyWithin(w, i, i + count);
  }

  truncate(n: number): void {
    this.length = n;
  }

  all(): Sample[] {
    const out: Sample[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.get(i));
    return out;
  }

  /** Write `s` as the record at offset `o` of the buffer. */
  private write(s: Sample, o: number): void {
    const b = this.buf;
    b[o + T] = s.t;
    b[o + TOTAL_MBPS] = s.total_mbps;
    b[o + TOTAL_IOPS] = s.total_iops;
    b[o + JAIN] = nullable(s.jain_vms);
    b[o + JAIN_INTERVAL] = nullable(s.jain_vms_interval);
    b[o + UTIL] = s.utilization;
    b[o + HOST_QUEUE] = s.host_queue;
    b[o + IN_SERVICE] = s.in_service_ctx ?? -1;
    b[o + MERGED] = s.merged ?? 1;
    const V = this.vms;
    const v = o + this.vm;
    for (let k = 0; k < V; k++) {
      b[v + k] = s.vm_mbps[k];
      b[v + V + k] = s.vm_iops[k];
      b[v + 2 * V + k] = s.vm_disk_share[k];
      b[v + 3 * V + k] = s.vm_p50[k];
      b[v + 4 * V + k] = s.vm_p95[k];
      b[v + 5 * V + k] = s.vm_p99[k];
      const bd = s.vm_breakdown[k];
      b[v + 6 * V + 4 * k] = bd.guest;
      b[v + 6 * V + 4 * k + 1] = bd.qemu;
      b[v + 6 * V + 4 * k + 2] = bd.host_queue;
      b[v + 6 * V + 4 * k + 3] = bd.device;
    }
    const N = this.threads;
    const t = o + this.th;
    for (let k = 0; k < N; k++) {
      b[t + k] = s.thread_mbps[k];
      b[t + N + k] = s.thread_iops?.[k] ?? 0;
      b[t + 2 * N + k] = s.thread_p50[k];
      b[t + 3 * N + k] = s.thread_p99[k];
      b[t + 4 * N + k] = s.thread_disk_share[k];
    }
    const c = o + this.cx;
    for (let k = 0; k < this.contexts; k++) b[c + k] = s.ctx_queue?.[k] ?? 0;
    const h = o + this.hist;
    for (let k = 0; k < LATENCY_BUCKETS_MS.length; k++) b[h + k] = s.latency_hist[k] ?? 0;
  }

  /** Point i as a Sample, its fields in the collector's order (a merged point ends with `merged`). */
  get(i: number): Sample {
    const b = this.buf;
    const o = this.order[i] * this.rec;
    const V = this.vms;
    const v = o + this.vm;
    const N = this.threads;
    const t = o + this.th;
    const vmCol = (col: number) => numbers(b, v + col * V, V);
    const thCol = (col: number) => numbers(b, t + col * N, N);
    const s: Sample = {
      t: b[o + T],
      total_mbps: b[o + TOTAL_MBPS],
      total_iops: b[o + TOTAL_IOPS],
      vm_mbps: vmCol(0),
      vm_iops: vmCol(1),
      vm_disk_share: vmCol(2),
      vm_p50: vmCol(3),
      vm_p95: vmCol(4),
      vm_p99: vmCol(5),
      vm_breakdown: breakdowns(b, v + 6 * V, V),
      thread_mbps: thCol(0),
      thread_iops: thCol(1),
      thread_p50: thCol(2),
      thread_p99: thCol(3),
      thread_disk_share: thCol(4),
      jain_vms: orNull(b[o + JAIN]),
      jain_vms_interval: orNull(b[o + JAIN_INTERVAL]),
      utilization: b[o + UTIL],
      host_queue: b[o + HOST_QUEUE],
      ctx_queue: numbers(b, o + this.cx, this.contexts),
      in_service_ctx: b[o + IN_SERVICE],
      latency_hist: numbers(b, o + this.hist, LATENCY_BUCKETS_MS.length),
    };
    const merged = b[o + MERGED];
    if (merged > 1) s.merged = merged;
    return s;
  }
}

/**
 * `n` numbers of `b` from `at`, as an array (what Array.from of a subarray gives, without the
 * subarray and the iterator protocol: a result holds ~20 of these per sample).
 */
function numbers(b: Float64Array, at: number, n: number): number[] {
  const out = new Array<number>(n);
  for (let k = 0; k < n; k++) out[k] = b[at + k];
  return out;
}

/** `n` latency breakdowns stored as four numbers each from `at`. */
function breakdowns(b: Float64Array, at: number, n: number): LatencyBreakdown[] {
  const out = new Array<LatencyBreakdown>(n);
  for (let k = 0; k < n; k++) {
    const x = at + 4 * k;
    out[k] = { guest: b[x], qemu: b[x + 1], host_queue: b[x + 2], device: b[x + 3] };
  }
  return out;
}
