/**
 * A log-linear histogram of non-negative integers with HdrHistogram's bucket layout and
 * percentile rule (as hdr-histogram-js implements them for lowestDiscernibleValue 1), so every
 * percentile is exactly what an HDR histogram of the same significant digits reports; the tests
 * check that against hdr-histogram-js. Written here for speed: recording is a few integer
 * operations, and `reset`, `add` and percentiles touch only the range of indices recorded since the
 * last reset instead of the whole counts array (a live interval holds a handful of values).
 */

/** 2 ** n for the integers n in [−1074, 1025], computed once with `**` (the same numbers, no pow call). */
const POW2_MIN = -1074;
const POW2 = Float64Array.from({ length: 1025 - POW2_MIN + 1 }, (_, i) => 2 ** (i + POW2_MIN));
const pow2 = (n: number): number => (n >= POW2_MIN && n <= 1025 ? POW2[n - POW2_MIN] : 2 ** n);

// The bits of a double: its exponent gives floor(log2(x)) without the log2 call.
const F64 = new Float64Array(1);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = new Uint32Array(F64.buffer, LITTLE_ENDIAN ? 4 : 0, 1);

/**
 * ulp(x) as hdr-histogram-js computes it, 2 ** (floor(log2(x)) − 52) (the percentile rule rounds
 * with it). floor(log2(x)) is read from the exponent bits when x is not within 2^−20 (relative) of
 * a power of two, where log2(x) is far from an integer (more than 10^−6) and Math.log2's rounding
 * cannot move its floor; otherwise, and for zero, subnormals and non-finite x, Math.log2 as the library.
 */
function ulp(x: number): number {
  F64[0] = x;
  const hi = HI[0];
  const m = hi & 0xfffff;
  const biased = (hi >>> 20) & 0x7ff;
  if (x > 0 && biased > 0 && biased < 0x7ff && m !== 0 && m !== 0xfffff) return pow2(biased - 1023 - 52);
  return pow2(Math.floor(Math.log2(x)) - 52);
}

/** floor(log2(v)) for v >= 1: exact through clz32 below 2^32, the library's formula above. */
const log2Floor = (v: number): number => (v < 4294967296 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v)));

/**
 * `lo` of an empty histogram: above any index (below 2^23 even for 5 digits and values to 2^64), and a small integer, so
 * `lo` and the loops starting from it stay integer code (+∞ made the field a double).
 */
const EMPTY_LO = 0x3fffffff;

/** Values whose indices a histogram keeps as a list (see `small`). */
const SMALL = 64;

function insertionSort(a: Int32Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const x = a[i];
    let j = i - 1;
    while (j >= 0 && a[j] > x) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = x;
  }
}

export class LogHistogram {
  /** log2 of half the sub-buckets per bucket. */
  private readonly halfMag: number;
  private readonly half: number;
  private readonly subCount: number;
  private counts: Float64Array;
  /** Lowest and highest index recorded since the last reset (lo > hi: empty). */
  private lo = EMPTY_LO;
  private hi = -1;
  total = 0;
  /**
   * While total <= SMALL: the index of every value recorded (in any order), so a percentile is the
   * countAt-th smallest of them instead of a walk over the counts (a live interval holds a few
   * dozen values spread over hundreds of indices). Sorted in place when asked.
   */
  private readonly small = new Int32Array(SMALL);
  private smallSorted = true;

  /** `digits`: significant decimal digits (HdrHistogram's numberOfSignificantValueDigits, 0..5). */
  constructor(readonly digits: number) {
    const largestSingleUnit = 2 * 10 ** digits;
    const subMag = Math.ceil(Math.log2(largestSingleUnit));
    // Small integers (`| 0`, shifts): `**` and Math.ceil hand back floating-point numbers, which
    // made every index computed from these a double and the `lo`/`hi` fields doubles, and the
    // optimised percentile loop was thrown away at its first double index.
    this.halfMag = (Math.max(subMag, 1) - 1) | 0;
    this.subCount = 1 << (this.halfMag + 1);
    this.half = this.subCount >> 1;
    // Room for values up to 2^20 at first (about 17 minutes in µs); grows when needed.
    this.counts = new Float64Array((21 - this.halfMag + 1) * this.half);
  }

  private bucketOf(v: number): number {
    if (v < 1) return 0;
    const b = log2Floor(v) - this.halfMag;
    return Math.max(b, 0);
  }

  private indexOf(v: number): number {
    const b = this.bucketOf(v);
    // An integer below 2^31 shifts exactly (the values recorded are whole microseconds).
    const sub = v < 2147483648 && Number.isInteger(v) ? v >> b : Math.floor(v / pow2(b));
    return (b + 1) * this.half + sub - this.half;
  }

  /** Smallest value counted at index i. */
  private valueAt(i: number): number {
    let b = Math.floor(i / this.half) - 1;
    let sub = (i % this.half) + this.half;
    if (b < 0) {
      sub -= this.half;
      b = 0;
    }
    return sub * pow2(b);
  }

  /** Largest value equivalent to v (counted at the same index). */
  private highestEquivalent(v: number): number {
    const b = this.bucketOf(v);
    const sub = Math.floor(v / pow2(b));
    const lowest = sub * pow2(b);
    const size = pow2(sub >= this.subCount ? b + 1 : b);
    return lowest + size - 1;
  }

  private ensure(i: number): void {
    if (i < this.counts.length) return;
    let n = this.counts.length;
    while (n <= i) n *= 2;
    const c = new Float64Array(n);
    c.set(this.counts);
    this.counts = c;
  }

  record(v: number): void {
    const i = this.indexOf(v);
    if (i >= this.counts.length) this.ensure(i);
    this.counts[i]++;
    if (this.total < SMALL) {
      this.small[this.total] = i;
      this.smallSorted = false;
    }
    this.total++;
    if (i < this.lo) this.lo = i;
    if (i > this.hi) this.hi = i;
  }

  /** Add another histogram's counts (same digits). */
  add(o: LogHistogram): void {
    if (o.hi < 0) return;
    this.ensure(o.hi);
    const a = this.counts;
    const b = o.counts;
    for (let i = o.lo; i <= o.hi; i++) a[i] += b[i];
    if (this.total + o.total <= SMALL) {
      this.small.set(o.small.subarray(0, o.total), this.total);
      this.smallSorted = false;
    }
    this.total += o.total;
    if (o.lo < this.lo) this.lo = o.lo;
    if (o.hi > this.hi) this.hi = o.hi;
  }

  reset(): void {
    if (this.hi >= 0) this.counts.fill(0, this.lo, this.hi + 1);
    this.lo = EMPTY_LO;
    this.hi = -1;
    this.total = 0;
    this.smallSorted = true;
  }

  /** HdrHistogram's getValueAtPercentile: the highest value equivalent to the p-th percentile's. */
  valueAtPercentile(p: number): number {
    const requested = Math.min(p, 100);
    const fp = (requested / 100) * this.total;
    const countAt = Math.max(Math.ceil(fp - ulp(fp)), 1);
    if (this.total <= SMALL) {
      // the counts reach countAt at the index of the countAt-th smallest value recorded
      if (!(countAt <= this.total)) return 0;
      if (!this.smallSorted) {
        insertionSort(this.small, this.total);
        this.smallSorted = true;
      }
      const v = this.valueAt(this.small[countAt - 1]);
      return p === 0 ? v : this.highestEquivalent(v);
    }
    let running = 0;
    const c = this.counts;
    for (let i = this.lo; i <= this.hi; i++) {
      running += c[i];
      if (running >= countAt) {
        const v = this.valueAt(i);
        return p === 0 ? v : this.highestEquivalent(v);
      }
    }
    return 0;
  }
}
