/**
 * The platter angle as a remainder: `remainder(t, rev)` is `t % rev` (the time since the last
 * index mark), the same number to the last bit, without the `%` operator. V8 compiles a `%` of
 * doubles into a call to the C library's fmod, whose cost grows with log2(t / rev) (about 20
 * iterations for hours of simulated time on a 6 ms revolution); the model takes this remainder
 * several times per request.
 *
 * Exactness: fmod is exact, `t % m = t − n·m` with n = trunc(t / m), a representable number. Here
 * q = floor(fl(t / m)) is n or n + 1 (rounding is monotonic: t / m ≥ n gives fl(t / m) ≥ n, and
 * fl(t / m) ≤ n + 1). Dekker's TwoProduct gives q·m = p + e exactly (p = fl(q·m)); t − p is exact
 * by Sterbenz's lemma (p lies within [t / 2, 2t] for q ≥ 1); so (t − p) − e rounds the exact
 * t − q·m, which is t % m itself when q = n (representable, hence exact), and negative when
 * q = n + 1 (the sign survives rounding), in which case q − 1 is taken.
 */

import { timeField } from '../core/time';

/** Veltkamp's splitter for binary64: 2^27 + 1. */
const SPLIT = 134217729;

/**
 * A divisor with its Veltkamp split (high and low halves), computed once; `rem()` takes the
 * remainder of `t` and leaves it in `r`. The time and the result are fields, not an argument and a
 * result: V8 passes a double to and from a call it does not inline as a new heap number, and the
 * media path of the HDD model (hdd.ts serveMedia) runs out of its inlining budget before it.
 */
export class Modulus {
  readonly hi: number;
  readonly lo: number;
  /** `rem()` input. */
  t = timeField(0);
  /** `rem()` result: t % m. */
  r = timeField(0);
  constructor(readonly m: number) {
    if (!(m > 0 && m < 1e300)) throw new Error(`modulus must be positive and finite, got ${m}`);
    const c = SPLIT * m;
    this.hi = c - (c - m);
    this.lo = m - this.hi;
  }

  /** r = t % m: `remainder(t, this)`, the same steps (the same number), with the time and result in fields. */
  rem(): void {
    const t = this.t;
    const m = this.m;
    let q = Math.floor(t / m);
    if (!(t >= 0 && q < 4503599627370496)) {
      this.r = t % m;
      return;
    }
    while (q > 0) {
      const p = q * m;
      const c = SPLIT * q;
      const qh = c - (c - q);
      const ql = q - qh;
      const e = qh * this.hi - p + qh * this.lo + ql * this.hi + ql * this.lo;
      const r = t - p - e;
      if (r >= 0) {
        this.r = r;
        return;
      }
      q--;
    }
    this.r = t;
  }
}

/**
 * `t % mod.m` for any number t (exactly the `%` result; the fast path covers t >= 0 and t / m < 2^52).
 * The same computation as `Modulus.rem`, as a function for callers that V8 inlines it into (the
 * HDD model's walk, three times per request), where the fields would only add loads and stores.
 */
export function remainder(t: number, mod: Modulus): number {
  const m = mod.m;
  let q = Math.floor(t / m);
  if (!(t >= 0 && q < 4503599627370496)) return t % m;
  while (q > 0) {
    const p = q * m;
    const c = SPLIT * q;
    const qh = c - (c - q);
    const ql = q - qh;
    const e = qh * mod.hi - p + qh * mod.lo + ql * mod.hi + ql * mod.lo;
    const r = t - p - e;
    if (r >= 0) return r;
    q--;
  }
  return t;
}
