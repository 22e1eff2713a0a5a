/**
 * The host dispatch trace of a simulated run: at most `cap` points, thinned evenly exactly as
 * `Thinned` thins (keep every other point, double the stride). The kept points live as records of
 * numbers in one Float64Array, not as one object each: a kept point outlives many young-generation
 * collections and most are thinned away later, so as objects they would be promoted and then die
 * in the old generation — garbage that piles up between full collections and made the peak RSS
 * grow with the simulated time. `items` builds the objects once, for the result.
 */
import type { DispatchPoint } from '../../common/result';
import { FIRST_ROOM, mutableFromTheStart } from './thinned';

const T = 0;
const SECTOR = 1;
const SECTORS = 2;
const VM = 3;
const THREAD = 4;
const CTX = 5;
const WRITE = 6;
const REC = 7;

export class DispatchTrace {
  private buf: Float64Array;
  private n = 0;
  /** `full` is called when `n` reaches this (at most `cap`; the buffer holds one record more). */
  private room: number;
  private stride = 1;
  private seen = 0;
  truncated = false;
  private fresh: DispatchPoint[] = [];
  private streaming = true;

  constructor(private readonly cap: number) {
    this.room = Math.min(cap, FIRST_ROOM);
    // one record more than `room`: thinning a trace of cap 1 keeps its one point
    this.buf = new Float64Array(cap === 0 ? 0 : (this.room + 1) * REC);
    mutableFromTheStart(this);
  }

  /** Count one point and say whether it is kept (then pass it to `add`). */
  accept(): boolean {
    if (this.cap === 0) {
      this.truncated = true;
      return false;
    }
    return this.seen++ % this.stride === 0;
  }

  /** Keep a point `accept` said to keep. */
  add(
    t: number,
    sector: number,
    sectors: number,
    vm: number,
    thread: number,
    ctx: number,
    write: boolean,
  ): void {
    const b = this.buf;
    const o = this.n++ * REC;
    b[o + T] = t;
    b[o + SECTOR] = sector;
    b[o + SECTORS] = sectors;
    b[o + VM] = vm;
    b[o + THREAD] = thread;
    b[o + CTX] = ctx;
    b[o + WRITE] = write ? 1 : 0;
    if (this.streaming) this.fresh.push(this.point(o));
    if (this.n >= this.room) this.full();
  }

  /**
   * The buffer is full: a larger one (up to `cap` records) or, at `cap`, thinning (keep every
   * other point, double the stride). One rare call for both, made from the 64th point on, so
   * the call is known to the compiler long before the trace first thins (see Thinned.full).
   */
  private full(): void {
    if (this.n < this.cap) {
      this.room = Math.min(this.cap, 2 * this.room);
      const b = new Float64Array((this.room + 1) * REC);
      b.set(this.buf);
      this.buf = b;
      return;
    }
    const b = this.buf;
    this.truncated = true;
    let w = 0;
    for (let i = 0; i < this.n; i += 2) b.copyWithin(w++ * REC, i * REC, (i + 1) * REC);
    this.n = w;
    this.stride *= 2;
  }

  private point(o: number): DispatchPoint {
    const b = this.buf;
    return {
      t: b[o + T],
      sector: b[o + SECTOR],
      sectors: b[o + SECTORS],
      vm: b[o + VM],
      thread: b[o + THREAD],
      ctx: b[o + CTX],
      write: b[o + WRITE] === 1,
    };
  }

  /** The kept points, oldest first. */
  get items(): DispatchPoint[] {
    const out: DispatchPoint[] = new Array(this.n);
    for (let i = 0; i < this.n; i++) out[i] = this.point(i * REC);
    return out;
  }

  /** Nobody calls `drain` from here on: stop keeping points for it. */
  stopStreaming(): void {
    this.streaming = false;
    this.fresh = [];
  }

  /** Points added since the last call (for streaming). */
  drain(): DispatchPoint[] {
    const f = this.fresh;
    this.fresh = [];
    return f;
  }
}
