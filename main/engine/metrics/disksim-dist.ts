/**
 * Response-time distributions as DiskSim 4.0 keeps and compares them, for `pvblk validate`.
 *
 * DiskSim's validation runs (valid/runvalid) compare the simulated "IOdriver Physical access time"
 * with the trace's "VALIDATE Trace access time". Both are large distributions defined in
 * valid/statdefs as `Distribution size: 1750`, `Scale/Equals: 1000/0`, `Start 0 step 1 grow 1`:
 * bucket bounds in µs that start at 0 and grow by 1 + 1 % of the bound (disksim_stat.c,
 * stat_get_large_dist). A value v (ms) is truncated to intval = (int)(v·1000) and counted in the
 * first bucket whose bound exceeds it (stat_update); the printout lists each bound (ms) with the
 * cumulative fraction to six decimals (stat_print_large_dist, "%f").
 *
 * The RMS horizontal distance is src/rms.c's compute_rms: for p = 0.0001, 0.0002, … ≤ 1 it
 * interpolates each curve linearly to the response time at which it reaches p, and returns the
 * root mean square of the differences (ms). rms.c reads each curve up to the first point whose
 * cumulative fraction is ≥ 1 (get_line).
 */

const BUCKETS = 1750;
const SCALE = 1000;

/** Bucket bounds (µs), as stat_get_large_dist computes them. */
export const DISKSIM_BOUNDS_US: readonly number[] = (() => {
  const out: number[] = [];
  let v = 0;
  for (let i = 0; i < BUCKETS; i++) {
    out.push(v);
    v += 1 + Math.trunc(Math.abs(v) / 100);
  }
  return out;
})();

export interface CdfCurve {
  /** Response time (ms) of each printed bound. */
  x: number[];
  /** Cumulative fraction below it, as printed (six decimals). */
  y: number[];
}

export class DiskSimDistribution {
  readonly counts = new Array<number>(BUCKETS).fill(0);
  count = 0;
  sumMs = 0;
  maxMs = 0;

  add(ms: number): void {
    const intval = Math.trunc(ms * SCALE);
    // First bound above intval (binary search), capped at the last bucket, as stat_update does.
    let lo = 0;
    let hi = BUCKETS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (DISKSIM_BOUNDS_US[mid] > intval) hi = mid;
      else lo = mid + 1;
    }
    this.counts[lo]++;
    this.count++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get meanMs(): number {
    return this.count > 0 ? this.sumMs / this.count : 0;
  }

  /** The curve rms.c reads: printed points up to the first with cumulative fraction ≥ 1. */
  curve(): CdfCurve {
    const x: number[] = [];
    const y: number[] = [];
    let dist = 0;
    for (let i = 0; i < BUCKETS; i++) {
      dist += this.counts[i] / this.count;
      const printed = Number(dist.toFixed(6));
      x.push(DISKSIM_BOUNDS_US[i] / SCALE);
      y.push(printed);
      if (printed >= 1) break;
    }
    return { x, y };
  }
}

/** src/rms.c compute_rms: RMS horizontal distance (ms) between two cumulative curves. */
export function rmsHorizontalDistance(a: CdfCurve, b: CdfCurve): number {
  const RMS_INCR = 0.0001;
  let count = 0;
  let squares = 0;
  let i1 = 0;
  let i2 = 0;
  const at = (c: CdfCurve, i: number, p: number): number => {
    const frac = (p - c.y[i - 1]) / (c.y[i] - c.y[i - 1]);
    return c.x[i - 1] + frac * (c.x[i] - c.x[i - 1]);
  };
  for (let pnt = RMS_INCR; pnt <= 1.0; pnt += RMS_INCR) {
    while (i1 < a.y.length - 1 && a.y[i1] < pnt) i1++;
    while (i2 < b.y.length - 1 && b.y[i2] < pnt) i2++;
    const d = at(a, Math.max(1, i1), pnt) - at(b, Math.max(1, i2), pnt);
    squares += d * d;
    count++;
  }
  return Math.sqrt(squares / count);
}
