/**
 * One kernel run's result in the simulator's shape, from what the guest wrote (fio's per-request
 * latency logs, the sysfs read-back, /sys/block/vda/stat) and what the NBD server logged.
 *
 * Sources, per figure:
 * - per-thread MB/s, IOPS and latency: fio's per-request log of the thread's own process (latency
 *   from submission to completion as the guest's process sees it; completion instants to 1 ms).
 *   Threads that share a process (`vm`, `vpid-hash` buckets) are told apart by partition in the
 *   NBD server's log instead: their latency is then the disk side (arrival at the server to the
 *   answer), without the guest's queue.
 * - disk busy time, disk-time shares, seeks, cache hits and the seek pattern: the NBD server's log,
 *   exact (the server is the disk), each request attributed to the thread whose region holds it.
 * - the time axis: 0 is the start mark (the guest reads a metadata sector, the server notes the
 *   arrival; the guest notes its CLOCK_MONOTONIC, to 10 ms).
 */
import type { DispatchPoint, RunResult } from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { r4 } from '../../engine/metrics/flows';
import { Thinned } from '../../engine/metrics/thinned';
import { runLayout } from '../../engine/stack/layout';
import { RealCollector } from '../real/metrics';
import { RECORD } from '../real/protocol';
import type { DiskLogEntry } from './disk-clock';
import type { GuestPlan } from './guest-plan';

/** Files of a tar archive (ustar, as busybox writes it): name → contents. */
export function readTar(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number) =>
      h
        .subarray(a, a + n)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = Number.parseInt(str(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156] || 48);
    const prefix = str(345, 155);
    const name = (prefix ? `${prefix}/` : '') + str(0, 100);
    off += 512;
    if (type === '0' || type === '\0')
      out.set(name.replace(/^\.\//, ''), Buffer.from(buf.subarray(off, off + size)));
    off += Math.ceil(size / 512) * 512;
  }
  return out;
}

/** One line of a fio latency log: completion (guest CLOCK_MONOTONIC ms), latency ns, read?, bytes, offset. */
export interface FioLogEntry {
  tMs: number;
  latNs: number;
  read: boolean;
  bytes: number;
  offset: number;
}

export function parseFioLog(text: string): FioLogEntry[] {
  const out: FioLogEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(',');
    if (f.length < 5) continue;
    const ddir = Number(f[2]);
    if (ddir !== 0 && ddir !== 1) continue;
    out.push({
      tMs: Number(f[0]),
      latNs: Number(f[1]),
      read: ddir === 0,
      bytes: Number(f[3]),
      offset: Number(f[4]),
    });
  }
  return out;
}

/** Calibration: the round trip of a depth-1 stream, from the server's log between two marks. */
export interface Calibration {
  /** Requests measured. */
  requests: number;
  /** Time from the disk's answer to the stream's next request: mean, median, 90th percentile (ms). */
  mean_ms: number;
  median_ms: number;
  p90_ms: number;
  /** Mean service time of those requests in the model (ms). */
  service_ms: number;
}

export function calibrate(log: DiskLogEntry[], fromNs: number, toNs: number): Calibration {
  const e = log
    .filter((x) => x.arriveNs >= fromNs && x.arriveNs <= toNs)
    .sort((a, b) => a.arriveNs - b.arriveNs);
  const gaps: number[] = [];
  for (let i = 2; i < e.length; i++) gaps.push((e[i].arriveNs - e[i - 1].replyNs) / 1e6);
  const svc = e.slice(1).map((x) => (x.endNs - x.startNs) / 1e6);
  gaps.sort((a, b) => a - b);
  const mean = (a: number[]) => (a.length ? a.reduce((s, x) => s + x, 0) / a.length : 0);
  const pct = (p: number) =>
    gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor((p / 100) * gaps.length))] : 0;
  return {
    requests: gaps.length,
    mean_ms: r4(mean(gaps)),
    median_ms: r4(pct(50)),
    p90_ms: r4(pct(90)),
    service_ms: r4(mean(svc)),
  };
}

/**
 * The dispatch gap: for a stream deeper than the device, the time from the disk's answer to the
 * next request's arrival at the server, while that request already waited in the guest's scheduler
 * (the completion's way into the guest, blk-mq's dispatch, virtio and Qemu's NBD client; no fio).
 * Each arrival is measured from the last answer before it (the slot it took). The median is the
 * figure used (a TCG guest occasionally stalls; the stall is not the path).
 */
export interface QueuedCalibration {
  requests: number;
  mean_ms: number;
  median_ms: number;
  p90_ms: number;
}

export function calibrateQueued(log: DiskLogEntry[], fromNs: number, toNs: number): QueuedCalibration {
  const e = log.filter((x) => x.arriveNs >= fromNs && x.arriveNs <= toNs);
  const arrivals = e.map((x) => x.arriveNs).sort((a, b) => a - b);
  const replies = e.map((x) => x.replyNs).sort((a, b) => a - b);
  const gaps: number[] = [];
  let r = -1;
  // skip the stream's first requests (sent before any answer) and its last (the stream stopping)
  for (let i = 0; i < arrivals.length; i++) {
    while (r + 1 < replies.length && replies[r + 1] <= arrivals[i]) r++;
    if (r >= 1) gaps.push((arrivals[i] - replies[r]) / 1e6);
  }
  gaps.sort((a, b) => a - b);
  const pct = (p: number) =>
    gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor((p / 100) * gaps.length))] : 0;
  return {
    requests: gaps.length,
    mean_ms: r4(gaps.length ? gaps.reduce((s, x) => s + x, 0) / gaps.length : 0),
    median_ms: r4(pct(50)),
    p90_ms: r4(pct(90)),
  };
}

/** Thread owning model sector `s` (regions in layout order; -1 outside every region). */
export function threadLocator(plan: GuestPlan): (sector: number) => number {
  const L = plan.layout;
  const regions = L.threads.map((t, i) => {
    const a = (t.vm >= 0 ? L.vms[t.vm].imageStart : 0) + t.regionStart;
    return { a, b: a + t.regionSectors, i };
  });
  return (s) => {
    for (const r of regions) if (s >= r.a && s < r.b) return r.i;
    return -1;
  };
}

export interface RunInputs {
  spec: Spec;
  params: Record<string, string | number | boolean>;
  plan: GuestPlan;
  files: Map<string, Buffer>;
  log: DiskLogEntry[];
  /** Server clock ns of the start mark, and the guest's CLOCK_MONOTONIC (ms) then. */
  goNs: number;
  goGuestMs: number;
}

export interface DiskSide {
  busy_s: number;
  requests: number;
  /** Requests that waited in the server because the device held queue_depth already. */
  queued: number;
  /** Answer later than the model's end (timer lateness): median and 99th percentile, ms. */
  late_p50_ms: number;
  late_p99_ms: number;
  /** Requests outside every thread's region (not attributed). */
  unattributed: number;
}

export function buildRun(x: RunInputs): { run: RunResult; disk: DiskSide } {
  const { spec, plan } = x;
  const L = plan.layout;
  const warmupNs = Math.min(spec.warmup_s, spec.duration_s * 0.99) * 1e9;
  const durationNs = spec.duration_s * 1e9;
  const locate = threadLocator(plan);
  const collector = new RealCollector(L, warmupNs, durationNs, spec.sample_interval_ms, 0);
  const rel = (ns: number) => ns - x.goNs;
  const rec: number[] = [];
  const push = (
    ti: number,
    s: number,
    d: number,
    e: number,
    bytes: number,
    read: boolean,
    off: number,
    ctx: number,
  ) => rec.push(ti, s, d, e, bytes, read ? 1 : 0, off, ctx);
  for (const j of plan.jobs) {
    if (j.partitions === null) {
      const ti = j.threads[0];
      for (const [name, data] of x.files) {
        if (!name.startsWith(`${j.name}_lat.`)) continue;
        for (const e of parseFioLog(data.toString('utf8'))) {
          const done = (e.tMs - x.goGuestMs) * 1e6;
          const sub = done - e.latNs;
          if (sub < 0) continue;
          push(ti, sub, sub, done, e.bytes, e.read, e.offset, j.ctx);
        }
      }
    } else {
      const mine = new Set(j.threads);
      for (const e of x.log) {
        const ti = locate(e.sector);
        if (!mine.has(ti)) continue;
        const a = rel(e.arriveNs);
        if (a < 0) continue;
        push(ti, a, rel(e.startNs), rel(e.replyNs), e.sectors * 512, e.op === 'read', 0, j.ctx);
      }
    }
  }
  for (let i = 0; i + RECORD <= rec.length; i += RECORD * 4096)
    collector.addRecords(rec.slice(i, Math.min(rec.length, i + RECORD * 4096)));
  const samples = collector.emit(durationNs);

  // the disk's own view
  const intervalNs = spec.sample_interval_ms * 1e6;
  const nIv = Math.ceil(durationNs / intervalNs - 1e-9);
  const ivThread = Array.from({ length: nIv }, () => new Float64Array(L.threads.length));
  const ivBusy = new Float64Array(nIv);
  const thrBusy = new Float64Array(L.threads.length);
  const trace = new Thinned<DispatchPoint>(spec.trace_max_points);
  let busy = 0;
  let requests = 0;
  let seeks = 0;
  let seekSum = 0;
  let hits = 0;
  let queued = 0;
  let unattributed = 0;
  const late: number[] = [];
  const ctxOf = (ti: number): number => {
    const j = plan.jobs.find((jj) => jj.threads.includes(ti));
    return j ? j.ctx : 0;
  };
  for (const e of x.log) {
    const s = rel(e.startNs);
    const end = rel(e.endNs);
    if (s < 0 || end > durationNs) continue;
    const ti = locate(e.sector);
    const svc = e.endNs - e.startNs;
    const k = Math.min(nIv - 1, Math.floor(end / intervalNs));
    ivBusy[k] += svc;
    if (ti >= 0) ivThread[k][ti] += svc;
    else unattributed++;
    trace.push({
      t: Math.round(s / 1e3) / 1e6,
      sector: e.sector,
      sectors: e.sectors,
      vm: ti >= 0 ? L.threads[ti].vm : -1,
      thread: ti,
      ctx: ti >= 0 ? ctxOf(ti) : 0,
      write: e.op === 'write',
    });
    if (end < warmupNs) continue;
    busy += svc;
    if (ti >= 0) thrBusy[ti] += svc;
    requests++;
    if (e.seekCyl > 0) seeks++;
    seekSum += e.seekCyl;
    if (e.cacheHit) hits++;
    if (e.queued) queued++;
    late.push((e.replyNs - e.endNs) / 1e6);
  }
  late.sort((a, b) => a - b);
  const pct = (p: number) =>
    late.length ? late[Math.min(late.length - 1, Math.floor((p / 100) * late.length))] : 0;
  samples.forEach((s, k) => {
    const tot = ivBusy[k];
    const th = ivThread[k];
    s.thread_disk_share = L.threads.map((_, i) => (tot > 0 ? r4(th[i] / tot) : 0));
    s.vm_disk_share = L.vms.map((v) => (tot > 0 ? r4(v.threads.reduce((a, i) => a + th[i], 0) / tot) : 0));
    const iv = Math.min(intervalNs, durationNs - k * intervalNs);
    s.utilization = r4(Math.min(1, tot / iv));
  });
  const summary = collector.summary(plan.scheduler, { busyMs: busy / 1e6, requests });
  const attributed = thrBusy.reduce((a, b) => a + b, 0);
  const share = (ts: number[]) =>
    attributed > 0 ? r4(ts.reduce((a, i) => a + thrBusy[i], 0) / attributed) : 0;
  summary.disk.seeks = seeks;
  summary.disk.mean_seek_cyl = requests > 0 ? r4(seekSum / requests) : 0;
  summary.disk.cache_hit_ratio = requests > 0 ? r4(hits / requests) : 0;
  for (const v of summary.vms) {
    const vp = L.vms.find((p) => p.name === v.name);
    if (!vp) continue;
    v.disk_time_share = share(vp.threads);
    v.threads.forEach((t, k) => {
      t.disk_time_share = share([vp.threads[k]]);
    });
    summary.fairness.disk_time_share[v.name] = v.disk_time_share;
  }
  const nativeIdx = L.threads.map((t, i) => (t.vm < 0 ? i : -1)).filter((i) => i >= 0);
  summary.native.forEach((t, k) => {
    t.disk_time_share = share([nativeIdx[k]]);
  });
  const run: RunResult = {
    params: x.params,
    layout: runLayout(spec, L),
    summary,
    timeseries: { samples },
    trace: { dispatch: trace.items, activity: [], truncated: trace.truncated },
  };
  return {
    run,
    disk: {
      busy_s: r4(busy / 1e9),
      requests,
      queued,
      late_p50_ms: r4(pct(50)),
      late_p99_ms: r4(pct(99)),
      unattributed,
    },
  };
}
