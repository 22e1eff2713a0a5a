/**
 * Seek-time models: seek time (ms) as a function of the seek distance in cylinders. Distance 0 is
 * always 0 ms.
 *
 * - `two-piece` (Ruemmler & Wilkes 1994): a + b·√d for d < boundary, c + e·d for d ≥ boundary.
 * - `three-point`: f(d) = a + b·√(d−1) + c·(d−1) for d ≥ 1, with a = track-to-track and b, c solved
 *   (2×2 linear system) so that f(maxDist) = full stroke and the mean of f over uniformly random
 *   start/end cylinders (distance 0 included, P(0) = 1/C, P(d) = 2(C−d)/C²) equals the average.
 * - `table`: linear interpolation between published points (DiskSim's "extracted" seek curves);
 *   below the first point interpolate from (0, 0); beyond the last point, hold the last value.
 */
import type { SeekSpec } from '../../common/spec/schema';

export type SeekFn = (distanceCyl: number) => number;

/** P(d) for uniformly random start and end cylinders among C: P(0)=1/C, P(d)=2(C−d)/C² for d ≥ 1. */
export function seekDistanceProb(cylinders: number, d: number): number {
  if (d === 0) return 1 / cylinders;
  if (d < 0 || d >= cylinders) return 0;
  return (2 * (cylinders - d)) / (cylinders * cylinders);
}

/** Mean of `f` over uniformly random start/end cylinders (exact sum over distances). */
export function meanSeekMs(f: SeekFn, cylinders: number): number {
  const c2 = cylinders * cylinders;
  let sum = 0;
  for (let d = 1; d < cylinders; d++) sum += f(d) * (cylinders - d);
  return (2 * sum) / c2;
}

export interface ThreePointFit {
  a: number;
  b: number;
  c: number;
}

/** The fit's weighted sums over distances d = 1..C−1 with w(d) = 2(C−d)/C² (P(d) above). */
export interface DistanceSums {
  /** Σ w(d) */
  s0: number;
  /** Σ w(d)·√(d−1) */
  s1: number;
  /** Σ w(d)·(d−1) */
  s2: number;
}

/**
 * The sums for the built-in drives' cylinder counts (sata-7200: 8 zones × 15,000), as
 * `sumDistances` computes them; a test recomputes each entry and compares it bit for bit. The sum
 * runs over every distance, and in a fresh process that loop runs unoptimised (about 10 ms on the
 * 2-core development machine) and puts an optimising compile of itself ahead of the simulation's
 * own code in the compiler's queue: a visible share of a short run. The sums depend on the cylinder
 * count alone, so an edited copy of the preset (other seek times, same zones) uses them too.
 */
export const BUILT_IN_DISTANCE_SUMS: ReadonlyMap<number, Readonly<DistanceSums>> = new Map([
  [120_000, { s0: 0.9999916666666671, s1: 184.74823369419818, s2: 39999.00000555493 }],
]);

/** Sums computed in this process for other cylinder counts (a pure function of the count). */
const computedSums = new Map<number, DistanceSums>();
const MAX_COMPUTED_SUMS = 64;

/** The weighted distance sums for `cylinders` (see DistanceSums), summed in increasing d. */
export function sumDistances(cylinders: number): DistanceSums {
  const c2 = cylinders * cylinders;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  for (let d = 1; d < cylinders; d++) {
    const w = (2 * (cylinders - d)) / c2;
    s0 += w;
    s1 += w * Math.sqrt(d - 1);
    s2 += w * (d - 1);
  }
  return { s0, s1, s2 };
}

function distanceSums(cylinders: number): Readonly<DistanceSums> {
  let sums = BUILT_IN_DISTANCE_SUMS.get(cylinders) ?? computedSums.get(cylinders);
  if (sums === undefined) {
    if (computedSums.size >= MAX_COMPUTED_SUMS) computedSums.clear();
    sums = sumDistances(cylinders);
    computedSums.set(cylinders, sums);
  }
  return sums;
}

/** Fit a + b·√(d−1) + c·(d−1) through track-to-track, full stroke and the random-seek mean. */
export function fitThreePoint(t2t: number, avg: number, full: number, cylinders: number): ThreePointFit {
  const a = t2t;
  const D = Math.max(1, cylinders - 1);
  if (D <= 1) return { a, b: 0, c: 0 };
  const { s0, s1, s2 } = distanceSums(cylinders);
  // b·√(D−1) + c·(D−1) = full − a ;  b·s1 + c·s2 = avg − a·s0
  const r1 = full - a;
  const r2 = avg - a * s0;
  const m11 = Math.sqrt(D - 1);
  const m12 = D - 1;
  const det = m11 * s2 - m12 * s1;
  if (Math.abs(det) < 1e-15) return { a, b: 0, c: r1 / m12 };
  const b = (r1 * s2 - m12 * r2) / det;
  const c = (m11 * r2 - r1 * s1) / det;
  return { a, b, c };
}

/** Build the seek function (ms) for a spec on a disk of `cylinders` cylinders. */
export function makeSeekFn(seek: SeekSpec, cylinders: number): SeekFn {
  switch (seek.model) {
    case 'two-piece': {
      const { boundary_cyl: bd, short_a_ms: sa, short_b_ms: sb, long_a_ms: la, long_b_ms: lb } = seek;
      return (d) => (d <= 0 ? 0 : d < bd ? sa + sb * Math.sqrt(d) : la + lb * d);
    }
    case 'three-point': {
      const { a, b, c } = fitThreePoint(
        seek.track_to_track_ms,
        seek.average_ms,
        seek.full_stroke_ms,
        cylinders,
      );
      return (d) => {
        if (d <= 0) return 0;
        const v = a + b * Math.sqrt(d - 1) + c * (d - 1);
        return Math.max(v, 0);
      };
    }
    case 'table': {
      const pts = [...seek.points].sort((p, q) => p[0] - q[0]);
      const xs = new Float64Array(pts.length + 1);
      const ys = new Float64Array(pts.length + 1);
      let n = 1; // (0, 0) first
      for (const [x, y] of pts) {
        if (x <= 0) continue;
        if (x === xs[n - 1]) {
          ys[n - 1] = y;
          continue;
        }
        xs[n] = x;
        ys[n] = y;
        n++;
      }
      const last = n - 1;
      return (d) => {
        if (d <= 0) return 0;
        if (d >= xs[last]) return ys[last];
        let lo = 0;
        let hi = last;
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          if (xs[mid] <= d) lo = mid;
          else hi = mid;
        }
        const x0 = xs[lo];
        return ys[lo] + ((ys[hi] - ys[lo]) * (d - x0)) / (xs[hi] - x0);
      };
    }
  }
}
