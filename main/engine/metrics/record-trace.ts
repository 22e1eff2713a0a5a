/**
 * A trace of at most `cap` points, thinned evenly exactly as `Thinned` thins (keep every other
 * point, double the stride), whose kept points live as records of numbers in one Float64Array, not
 * as one object each: a kept point outlives many young-generation collections and most are thinned
 * away later, so as objects they would be promoted and then die in the old generation — garbage
 * that piles up between full collections and made the peak RSS grow with the simulated time.
 * `items` builds the objects once, for the result. A subclass names the fields of a record
 * (`point`) and writes them between `next` and `kept`.
 */
import { FIRST_ROOM, mutableFromTheStart } from './thinned';

export abstract class RecordTrace<P> {
  protected buf: Float64Array;
  private n = 0;
  /** `full` is called when `n` reaches this (at most `cap`; the buffer holds one record more). */
  private room: number;
  private stride = 1;
  private seen = 0;
  truncated = false;
  private fresh: P[] = [];
  private streaming = true;

  constructor(
    private readonly cap: number,
    /** Numbers per record. */
    private readonly rec: number,
  ) {
    this.room = Math.min(cap, FIRST_ROOM);
    // one record more than `room`: thinning a trace of cap 1 keeps its one point
    this.buf = new Float64Array(cap === 0 ? 0 : (this.room + 1) * rec);
    mutableFromTheStart(this);
  }

  /** The record at offset `o` as a point. */
  protected abstract point(o: number): P;

  /** Count one point and say whether it is kept (then `add` it). */
  accept(): boolean {
    if (this.cap === 0) {
      this.truncated = true;
      return false;
    }
    return this.seen++ % this.stride === 0;
  }

  /** Offset of the record of the point being kept: write its fields there, then call `kept`. */
  protected next(): number {
    return this.n++ * this.rec;
  }

  /** The record at `o` is written. */
  protected kept(o: number): void {
    if (this.streaming) this.fresh.push(this.point(o));
    if (this.n >= this.room) this.full();
  }

  /**
   * The buffer is full: a larger one (up to `cap` records) or, at `cap`, thinning (keep every
   * other point, double the stride). One rare call for both, made from the 64th point on, so
   * the call is known to the compiler long before the trace first thins (see Thinned.full).
   */
  private full(): void {
    const rec = this.rec;
    if (this.n < this.cap) {
      this.room = Math.min(this.cap, 2 * this.room);
      const b = new Float64Array((this.room + 1) * rec);
      b.set(this.buf);
      this.buf = b;
      return;
    }
    const b = this.buf;
    this.truncated = true;
    let w = 0;
    for (let i = 0; i < this.n; i += 2) b.copyWithin(w++ * rec, i * rec, (i + 1) * rec);
    this.n = w;
    this.stride *= 2;
  }

  /** The kept points, oldest first. */
  get items(): P[] {
    const out: P[] = new Array(this.n);
    for (let i = 0; i < this.n; i++) out[i] = this.point(i * this.rec);
    return out;
  }

  /** Nobody calls `drain` from here on: stop keeping points for it. */
  stopStreaming(): void {
    this.streaming = false;
    this.fresh = [];
  }

  /** Points added since the last call (for streaming). */
  drain(): P[] {
    const f = this.fresh;
    this.fresh = [];
    return f;
  }
}
