/**
 * The fields a thinned trace changes only when it first fills up (`stride`, `truncated`) are
 * written twice here, before any code using them is compiled. V8 treats a field written once as a
 * constant and folds it into the optimised code of every function that reads it (`accept` is
 * inlined into the stack's dispatch path: `seen % 1`); the first thinning, seconds into a run,
 * then threw that code away (a lazy deoptimisation of the event loop) and it was all compiled
 * again. Written twice, the field is an ordinary mutable one from the start. Same values after.
 */
export function mutableFromTheStart(t: { truncated: boolean }): void {
  const w = t as unknown as { stride: number; truncated: boolean };
  w.stride = 2;
  w.stride = 1;
  w.truncated = true;
  w.truncated = false;
}

/** Points a trace holds before its first `full` call (then twice as many, up to its cap). */
export const FIRST_ROOM = 64;

/** Keeps at most `cap` points by thinning evenly (drop every other point, double the stride). */
export class Thinned<T> {
  readonly items: T[] = [];
  private stride = 1;
  private seen = 0;
  truncated = false;
  private fresh: T[] = [];
  private streaming = true;
  /** `full` is called when the trace holds this many points (at most `cap`). */
  private room: number;
  constructor(private readonly cap: number) {
    this.room = Math.min(cap, FIRST_ROOM);
    mutableFromTheStart(this);
  }
  push(x: T): void {
    if (this.accept()) this.add(x);
  }

  /**
   * Count one point and say whether it is kept; the caller then builds it and passes it to `add`
   * (no object for the points thinned away).
   */
  accept(): boolean {
    if (this.cap === 0) {
      this.truncated = true;
      return false;
    }
    return this.seen++ % this.stride === 0;
  }

  /** Keep a point `accept` said to keep. */
  add(x: T): void {
    this.items.push(x);
    if (this.streaming) this.fresh.push(x);
    if (this.items.length >= this.room) this.full();
  }

  /**
   * `room` points: below `cap`, room for twice as many; at `cap`, thin (keep every other point,
   * double the stride). The call is made from the 64th point on, long before the trace first
   * thins: a call the optimising compiler has never seen made is compiled as a deoptimisation,
   * and `add` is inlined into the stack's dispatch path, so the first thinning, seconds into a
   * run, threw the event loop's compiled code away.
   */
  private full(): void {
    if (this.items.length < this.cap) {
      this.room = Math.min(this.cap, 2 * this.room);
      return;
    }
    this.truncated = true;
    let w = 0;
    for (let i = 0; i < this.items.length; i += 2) this.items[w++] = this.items[i];
    this.items.length = w;
    this.stride *= 2;
  }
  /** Nobody calls `drain` from here on: stop keeping points for it. */
  stopStreaming(): void {
    this.streaming = false;
    this.fresh = [];
  }

  /** Points added since the last call (for streaming). */
  drain(): T[] {
    const f = this.fresh;
    this.fresh = [];
    return f;
  }
}
