import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SampleStore } from '../engine/metrics/sample-store';
import { LATENCY_BUCKETS_MS, type Sample } from './result';
import { appendSample, coarsen, describeResolution, type SeriesPoints, spanOf } from './series';

/** A sample of 2 VMs (weights 100, 200), 3 threads and 2 contexts at the end of interval k (0.25 s). */
function sample(k: number): Sample {
  const x = (i: number) => Math.round(((k * 7 + i * 13) % 17) * 1000) / 1000;
  return {
    t: (k + 1) * 0.25,
    total_mbps: x(1) * 3,
    total_iops: x(2) * 40,
    vm_mbps: [x(3), x(4)],
    vm_iops: [x(5) * 10, x(6) * 10],
    vm_disk_share: [0.25, 0.75],
    vm_p50: [x(7), x(8)],
    vm_p95: [x(9), x(10)],
    vm_p99: [x(11), x(12)],
    vm_breakdown: [
      { guest: 0.1, qemu: 0.02, host_queue: x(13), device: 5 },
      { guest: 0.2, qemu: 0.02, host_queue: x(14), device: 6 },
    ],
    thread_mbps: [x(15), x(16), x(17)],
    thread_iops: [x(18), x(19), x(20)],
    thread_p50: [x(21), x(22), x(23)],
    thread_p99: [x(24), x(25), x(26)],
    thread_disk_share: [0.2, 0.3, 0.5],
    jain_vms: 0.9,
    jain_vms_interval: k % 3 === 0 ? null : 0.8,
    utilization: (k % 5) / 5,
    host_queue: k % 4,
    ctx_queue: [k % 2, k % 3],
    in_service_ctx: k % 2,
    latency_hist: LATENCY_BUCKETS_MS.map((_, i) => (i === k % 10 ? 3 : 0)),
  };
}

describe('bounded time series', () => {
  const N = 5000;
  const max = 400;
  const full = 200;
  const series: Sample[] = [];
  for (let k = 0; k < N; k++) appendSample(series, sample(k), [100, 200], max, full);

  it('holds at most max points, covering every interval once, the newest at full resolution', () => {
    expect(series.length).toBeLessThanOrEqual(max);
    expect(series.reduce((a, s) => a + spanOf(s), 0)).toBe(N);
    expect(series.slice(-full)).toEqual(Array.from({ length: full }, (_, i) => sample(N - full + i)));
    // time order, each point ending where an original interval ended; older points are coarser
    for (let i = 1; i < series.length; i++) expect(series[i].t).toBeGreaterThan(series[i - 1].t);
    expect(series.every((s) => Math.abs(s.t * 4 - Math.round(s.t * 4)) < 1e-9)).toBe(true);
    expect(spanOf(series[0])).toBeGreaterThan(spanOf(series[series.length - 1]));
  });

  it('keeps what the intervals add up to: requests (iops × time) and the latency histogram', () => {
    let prev = 0;
    let ios = 0;
    for (const s of series) {
      ios += s.total_iops * (s.t - prev);
      prev = s.t;
    }
    let want = 0;
    for (let k = 0; k < N; k++) want += sample(k).total_iops * 0.25;
    expect(ios).toBeCloseTo(want, -1);
    const hist = series.reduce((a, s) => a + s.latency_hist.reduce((x, y) => x + y, 0), 0);
    expect(hist).toBe(3 * N);
  });

  it('never shows a better percentile than the worst merged interval', () => {
    const worst = Math.max(...Array.from({ length: N }, (_, k) => sample(k).vm_p99[0]));
    expect(Math.max(...series.map((s) => s.vm_p99[0]))).toBe(worst);
  });

  it('is the same in the engine’s record store as in the UI’s list of samples', () => {
    const store = new SampleStore(2, 3, 2, [100, 200], max, full);
    for (let k = 0; k < N; k++) store.push(sample(k));
    expect(store.all()).toEqual(series);
  });

  it('says what resolution it holds', () => {
    expect(describeResolution([sample(0), sample(1)], 250)).toBe('every 250 ms');
    expect(describeResolution(series, 250)).toMatch(
      /^every 250 ms for the last [\d.]+ s, older points merged \(up to [\d.]+ s each\)$/,
    );
  });
});

describe('coarsen', () => {
  /** The first version: every pass moved the newest `full` points too (the result must not change). */
  function coarsenEveryPass(p: SeriesPoints, full: number, target: number): void {
    while (p.length > target) {
      const n = p.length;
      const region = n - full;
      if (region < 2) return;
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i + 1 < region; i++) best = Math.min(best, p.span(i) + p.span(i + 1));
      let w = 0;
      let i = 0;
      let start = 0;
      while (i < n) {
        if (i + 1 < region && n - (i - w) > target && p.span(i) + p.span(i + 1) === best) {
          p.mergeTo(i, start, w);
          i += 2;
        } else {
          if (w !== i) p.move(i, w);
          i++;
        }
        start = p.t(w);
        w++;
      }
      p.truncate(w);
    }
  }
  /** Points as [span, t, start] triples; a merge records the start it was given. */
  const points = (xs: number[][]): SeriesPoints & { xs: number[][] } => ({
    xs,
    get length() {
      return xs.length;
    },
    span: (i) => xs[i][0],
    t: (i) => xs[i][1],
    mergeTo: (i, start, w) => {
      xs[w] = [xs[i][0] + xs[i + 1][0], xs[i + 1][1], start];
    },
    move: (i, w) => {
      xs[w] = xs[i];
    },
    truncate: (n) => {
      xs.length = n;
    },
  });
  /** The same points, with `moveRange` (as the engine's record store has). */
  const rangePoints = (xs: number[][]): SeriesPoints & { xs: number[][] } => ({
    ...points(xs),
    get length() {
      return xs.length;
    },
    moveRange: (i, w, count) => {
      for (let k = 0; k < count; k++) xs[w + k] = xs[i + k];
    },
  });

  it('merges exactly as moving the newest points on every pass did', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 0, maxLength: 120 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 100 }),
        (spans, full, target) => {
          const xs: number[][] = [];
          let t = 0;
          for (const s of spans) {
            t += s;
            xs.push([s, t, -1]);
          }
          const a = points(xs.map((x) => [...x]));
          const b = points(xs.map((x) => [...x]));
          const c = rangePoints(xs.map((x) => [...x]));
          coarsen(a, full, target);
          coarsen(c, full, target);
          coarsenEveryPass(b, full, target);
          expect(a.xs).toEqual(b.xs);
          expect(c.xs).toEqual(b.xs);
        },
      ),
      { numRuns: 500 },
    );
  });
});
