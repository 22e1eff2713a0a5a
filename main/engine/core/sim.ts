/**
 * The event core: one priority queue of timed callbacks over integer nanoseconds, in the spirit of
 * SimPy's environment. Events at the same time run in the order they were scheduled (FIFO by a
 * sequence number), which makes every run deterministic. Timers are cancellable (schedulers arm
 * idle timers and cancel them when the awaited request arrives).
 */

export interface TimerHandle {
  /** Absolute time (ns) the event fires at. */
  readonly time: number;
  /** True once cancelled or fired. */
  readonly done: boolean;
}

interface Event extends TimerHandle {
  time: number;
  seq: number;
  fn: () => void;
  done: boolean;
}

export class Simulator {
  private heap: Event[] = [];
  private seq = 0;
  private _now = 0;
  /** Number of events executed so far (for benchmarks). */
  executed = 0;

  get now(): number {
    return this._now;
  }

  /** Schedule `fn` at absolute time `time` (ns, integer, >= now). */
  at(time: number, fn: () => void): TimerHandle {
    const t = time < this._now ? this._now : Math.round(time);
    const ev: Event = { time: t, seq: this.seq++, fn, done: false };
    this.push(ev);
    return ev;
  }

  /** Schedule `fn` after `delay` ns. */
  after(delay: number, fn: () => void): TimerHandle {
    return this.at(this._now + Math.max(delay, 0), fn);
  }

  /** Cancel a pending event; cancelling a fired or cancelled event is a no-op. */
  cancel(h: TimerHandle | null | undefined): void {
    if (h && !h.done) (h as Event).done = true;
  }

  /** Time of the next pending event, or Infinity. */
  peekTime(): number {
    this.dropCancelled();
    return this.heap.length > 0 ? this.heap[0].time : Number.POSITIVE_INFINITY;
  }

  /** Run every event with time <= `until`; leaves `now` at `until`. */
  runUntil(until: number): void {
    for (;;) {
      this.dropCancelled();
      const top = this.heap[0];
      if (top === undefined || top.time > until) break;
      this.pop();
      this._now = top.time;
      top.done = true;
      this.executed++;
      top.fn();
    }
    if (until > this._now) this._now = until;
  }

  get pending(): number {
    return this.heap.length;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0].done) this.pop();
  }

  private less(a: Event, b: Event): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(ev: Event): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      const tmp = h[i];
      h[i] = h[p];
      h[p] = tmp;
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(h[l], h[m])) m = l;
      if (r < n && this.less(h[r], h[m])) m = r;
      if (m === i) break;
      const tmp = h[i];
      h[i] = h[m];
      h[m] = tmp;
      i = m;
    }
  }
}
